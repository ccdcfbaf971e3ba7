"""A catalog request that needs approval, in the browser: the end user asks for a laptop, their
manager approves it from the approvals page, an agent starts fulfilment, ticks off the checklist
and fulfils it, and the end user confirms. Screenshots: var/e2e-screenshots/request/."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from service_requests.choices import RequestStatus
from service_requests.models import ServiceRequest
from tests.e2e.conftest import disclosure, form_of, login, status_badge

pytestmark = pytest.mark.browser

JUSTIFICATION = "My laptop is five years old and no longer gets updates."
APPROVAL_COMMENT = "Approved: the old one is out of warranty."
FULFILMENT = "Your new laptop is on your desk; the old one was collected."


def test_catalog_request_approved_and_fulfilled(
    new_page, screenshots, requester, manager, agent_l1, laptop_item, request_policies
):
    shot = screenshots("request")

    # The end user picks the item from the catalog and answers its questions.
    user = new_page()
    login(user, requester)
    user.goto(reverse("requests:catalog"))
    shot(user, "catalog")
    user.get_by_role("link", name=re.compile(rf"^{laptop_item.name}")).click()
    expect(user.get_by_role("heading", name=laptop_item.name, level=1)).to_be_visible()
    user.get_by_label("Model").select_option(label='Performance 16"')
    user.get_by_label("Why do you need it?").fill(JUSTIFICATION)
    shot(user, "item-form")
    user.get_by_role("button", name="Submit request").click()
    expect(status_badge(user)).to_have_text("Awaiting approval")
    sr = ServiceRequest.objects.get(requester=requester)
    assert sr.status == RequestStatus.AWAITING_APPROVAL
    assert sr.approver == manager
    expect(user.get_by_text(sr.number).first).to_be_visible()
    shot(user, "submitted")

    # The manager finds it among their approvals and approves it.
    approver = new_page()
    login(approver, manager)
    approver.goto(reverse("requests:approval_list"))
    approver.get_by_role("row").filter(has_text=sr.number).get_by_role("link").first.click()
    expect(approver.get_by_text(JUSTIFICATION).first).to_be_visible()
    disclosure(approver, "Approve").click()
    approve = form_of(approver.get_by_role("button", name="Approve", exact=True))
    approve.get_by_label("Comment").fill(APPROVAL_COMMENT)
    shot(approver, "approval")
    approve.get_by_role("button", name="Approve", exact=True).click()
    expect(status_badge(approver)).to_have_text("Approved")
    shot(approver, "approved")

    # An agent takes it from the request queue, works the checklist and fulfils it.
    agent = new_page()
    login(agent, agent_l1)
    agent.goto(reverse("requests:agent_list"))
    agent.get_by_role("link", name=re.compile(rf"{sr.number}|{laptop_item.name}")).first.click()
    expect(agent.get_by_text(APPROVAL_COMMENT).first).to_be_visible()
    agent.get_by_role("button", name="Start fulfilment").click()
    expect(status_badge(agent)).to_have_text("In fulfilment")
    for task in ("Order the laptop", "Hand it over"):
        # "Mark done" and "Reopen" carry the task's title for screen readers.
        agent.get_by_role("button", name=re.compile(rf"^Mark done\W+{task}$")).click()
        expect(agent.get_by_role("button", name=re.compile(rf"^Reopen\W+{task}$"))).to_be_visible()
    disclosure(agent, "Fulfil").click()
    fulfil = form_of(agent.get_by_role("button", name="Fulfil", exact=True))
    fulfil.get_by_label("What was done").fill(FULFILMENT)
    shot(agent, "fulfilment")
    fulfil.get_by_role("button", name="Fulfil", exact=True).click()
    expect(status_badge(agent)).to_have_text("Fulfilled")
    shot(agent, "fulfilled")

    # The end user sees what was done and confirms.
    user.reload()
    expect(status_badge(user)).to_have_text("Fulfilled")
    expect(user.get_by_text(FULFILMENT).first).to_be_visible()
    shot(user, "fulfilment-seen")
    user.get_by_role("button", name="Yes, close the request").click()
    expect(status_badge(user)).to_have_text("Closed")
    shot(user, "confirmed")
    sr.refresh_from_db()
    assert sr.status == RequestStatus.CLOSED
    assert sr.decided_by == manager
    assert sr.tasks.filter(is_done=False).count() == 0
