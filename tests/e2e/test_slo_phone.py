"""The SLO pages on a phone (375 px wide) and on a desktop: nothing scrolls sideways, the budget
chart fits, its table opens. Screenshots: var/e2e-screenshots/slo-phone/ and slo-desktop/."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents.choices import Impact, IncidentStatus
from slo.alerts import slo_evaluate
from slo.models import Objective
from tests.factories import IncidentFactory

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_slo_pages_fit(
    viewport, agent_l1, manager, service, new_page, login_with_session, screenshots
) -> None:
    now = timezone.now()
    start = now - timedelta(days=3)
    IncidentFactory(
        service=service,
        impact=Impact.HIGH,
        identified_at=start,
        logged_at=start,
        status=IncidentStatus.RESOLVED,
        resolved_at=start + timedelta(minutes=30),
        service_restored_at=start + timedelta(minutes=30),
    )
    for kind, extra in (
        ("availability", {}),
        ("response", {"priorities": [1, 2], "threshold_minutes": 5}),
    ):
        Objective.objects.create(
            service=service,
            kind=kind,
            target="99.9",
            window_days=28,
            created_by=manager,
            created_at=now,
            updated_at=now,
            **extra,
        )
    slo_evaluate()
    name = "phone" if viewport is PHONE else "desktop"
    shot = screenshots(f"slo-{name}")
    page = new_page(viewport=viewport)
    login_with_session(page, agent_l1)
    for url in ("/slo/", f"/slo/{service.pk}/"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], url
        shot(page, f"{name}-{url.strip('/').replace('/', '-')}")
    charts = page.locator("svg.chart")
    assert charts.count() == 2
    box = charts.first.bounding_box()
    assert box is not None and box["x"] >= 0
    page.get_by_text("Budget left as a table").first.click()
    expect(
        page.get_by_role("table", name="Budget left at the end of each day").first
    ).to_be_visible()
    shot(page, f"{name}-table-open")
