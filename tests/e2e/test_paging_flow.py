"""Paging in the browser: an agent pages the on-call from a ticket's page and sees the Paging
panel; the paged colleague finds it under "Pages for me" and acknowledges it; the panel then
says who acknowledged, via what. Screenshots: var/e2e-screenshots/paging/."""

import re

import pytest
from playwright.sync_api import expect

from core.choices import Role
from incidents.choices import IncidentStatus
from oncall.models import (
    ContactMethod,
    ContactMethodKind,
    EscalationPolicy,
    EscalationStep,
    NotificationRule,
    Page,
    PageStatus,
    StepTarget,
)
from tests.e2e.conftest import disclosure, form_of
from tests.factories import IncidentFactory, UserFactory

pytestmark = pytest.mark.browser


def test_page_the_on_call_and_acknowledge_from_pages_for_me(
    agent_l1, l1_group, new_page, login_with_session, screenshots
) -> None:
    colleague = UserFactory(username="sam", first_name="Sam", last_name="Oncall", role=Role.AGENT)
    l1_group.members.add(colleague)
    policy = EscalationPolicy.objects.create(support_group=l1_group, name="L1 paging")
    step = EscalationStep.objects.create(
        policy=policy, position=1, target=StepTarget.PEOPLE, wait_minutes=5
    )
    step.people.add(colleague)
    method = ContactMethod.objects.create(
        person=colleague, kind=ContactMethodKind.EMAIL, label="Work mail", address="sam@x.example"
    )
    NotificationRule.objects.create(contact_method=method, delay_minutes=0)
    incident = IncidentFactory(
        support_group=l1_group,
        tier=l1_group.tier,
        status=IncidentStatus.IDENTIFIED,
        title="Checkout returns 502",
    )
    shot = screenshots("paging")

    page = new_page()
    login_with_session(page, agent_l1)
    page.goto(f"/agent/incidents/{incident.number}/")
    panel = page.locator("#paging")
    expect(panel.get_by_text(f"Nobody has been paged for {incident.number}.")).to_be_visible()
    disclosure(page, "Page the on-call").click()
    submit = page.get_by_role("button", name="Page the on-call")
    form_of(submit).get_by_label("Message").fill("Checkout is failing for everyone")
    shot(page, "page-form")
    submit.click()
    expect(page.get_by_text(re.compile(r"Paging the on-call of .* for INC-"))).to_be_visible()
    expect(panel.get_by_text("Checkout is failing for everyone")).to_be_visible()
    expect(panel.get_by_role("cell", name="Sam Oncall")).to_be_visible()
    expect(panel.get_by_text("Work mail")).to_be_visible()
    shot(page, "panel-paging")

    paged = new_page()
    login_with_session(paged, colleague)
    paged.goto("/oncall/")
    mine = paged.locator("#pages-for-me")
    expect(mine.get_by_role("link", name=incident.number)).to_be_visible()
    shot(paged, "pages-for-me")
    mine.get_by_role("button", name=re.compile("Acknowledge")).click()
    expect(paged.get_by_text(f"You acknowledged the page for {incident.number}.")).to_be_visible()
    expect(mine.get_by_text("No page is waiting for you.")).to_be_visible()
    record = Page.objects.get()
    assert record.status == PageStatus.ACKNOWLEDGED and record.acknowledged_by == colleague

    page.reload()
    expect(panel.get_by_text(re.compile("Acknowledged by Sam Oncall"))).to_be_visible()
    expect(panel.get_by_text("via Web", exact=False)).to_be_visible()
    shot(page, "panel-acknowledged")
