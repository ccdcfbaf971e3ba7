"""The manager's dashboard in the browser: the numbers on its tiles follow what happens to the
tickets (a new incident raises the backlog and the created count, a resolution lowers the backlog
and raises the resolved count). Screenshots: var/e2e-screenshots/dashboard/."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from incidents import services as incidents
from incidents.choices import Category, Impact, ResolutionCode, Urgency
from tests.e2e.conftest import login

pytestmark = pytest.mark.browser


def stat(page, tile: str, label: str):
    """The number a tile shows under `label`: the tile is a region named by its heading, each
    number a term and its definition."""
    term = page.get_by_role("term").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    region = page.get_by_role("region", name=tile)
    return region.locator(".stat").filter(has=term).get_by_role("definition").first


def _report_and_classify(requester, agent, service, title):
    incident = incidents.incident_create(requester=requester, title=title, service=service)
    incident = incidents.incident_accept(incident, actor=agent)
    return incidents.incident_classify(
        incident,
        actor=agent,
        category=Category.SOFTWARE,
        impact=Impact.MEDIUM,
        urgency=Urgency.MEDIUM,
        service=service,
    )


def test_dashboard_numbers_follow_the_tickets(
    new_page, screenshots, manager, end_user, agent_l1, service, incident_policies
):
    shot = screenshots("dashboard")
    first = _report_and_classify(end_user, agent_l1, service, "Shared drive is read-only")

    page = new_page()
    login(page, manager)
    page.goto(reverse("reporting:dashboard"))
    expect(page.get_by_role("heading", name="SLA dashboard", level=1)).to_be_visible()
    open_now = stat(page, "Backlog by age", "Open now")
    created = stat(page, "Created vs resolved", "Created")
    resolved = stat(page, "Created vs resolved", "Resolved")
    expect(open_now).to_have_text("1")
    expect(created).to_have_text("1")
    expect(resolved).to_have_text("0")
    shot(page, "one-open")

    # Another incident comes in: the backlog and the created count go up.
    _report_and_classify(end_user, agent_l1, service, "Printer on floor 3 jams")
    page.reload()
    expect(open_now).to_have_text("2")
    expect(created).to_have_text("2")
    expect(resolved).to_have_text("0")
    shot(page, "second-reported")

    # The first one is resolved: the backlog goes down, the resolved count up.
    incidents.incident_resolve(
        first,
        actor=agent_l1,
        resolution_code=ResolutionCode.CONFIGURATION,
        resolution_notes="The share's permissions were restored.",
    )
    page.reload()
    expect(open_now).to_have_text("1")
    expect(created).to_have_text("2")
    expect(resolved).to_have_text("1")
    shot(page, "first-resolved")
