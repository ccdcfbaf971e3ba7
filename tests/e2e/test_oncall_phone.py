"""The on-call pages on a phone (375 px wide): nothing scrolls sideways, the timeline's bars
fit the screen, and an override can be saved from the schedule page. Screenshots:
var/e2e-screenshots/oncall-phone/."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from oncall.models import LayerMember, Override, RotationLayer, Schedule

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}


def test_the_on_call_pages_fit_a_phone(agent_l1, new_page, login_with_session, screenshots) -> None:
    group = agent_l1.support_groups.first()
    schedule = Schedule.objects.create(
        support_group=group, name="Primary", time_zone="Europe/Berlin"
    )
    layer = RotationLayer.objects.create(
        schedule=schedule, level=1, name="Daily", shift_hours=24, handoff_at=timezone.now()
    )
    LayerMember.objects.create(layer=layer, person=agent_l1, position=0)
    shot = screenshots("oncall-phone")
    page = new_page(viewport=PHONE)
    login_with_session(page, agent_l1)
    for url in ("/oncall/", "/oncall/my-shifts/", f"/oncall/schedules/{schedule.pk}/"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], url
        shot(page, url.strip("/").replace("/", "-"))
    bars = page.locator("svg.oc-bar")
    for index in range(bars.count()):
        box = bars.nth(index).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    start = timezone.localtime(timezone.now() + timedelta(days=1))
    page.get_by_label("From").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Until").fill((start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save the override").click()
    expect(page.get_by_text("The override is saved.")).to_be_visible()
    assert Override.objects.filter(schedule=schedule, person=agent_l1).exists()
    shot(page, "override-saved")
