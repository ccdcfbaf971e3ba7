"""An incident from report to rating, in the browser: an end user reports it with a screenshot,
it shows up in the agent's open queue at the next refresh, the agent claims, accepts, classifies
it, sends a public reply and resolves it, the end user reads the resolution, confirms it and
rates it, and the agent sees the rating. Screenshots: var/e2e-screenshots/incident/."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from core.selectors import attachments_for_user
from incidents.choices import Category, Impact, IncidentStatus, ResolutionCode, Urgency
from incidents.models import Incident
from tests.e2e.conftest import PNG_1X1, disclosure, form_of, login, status_badge

pytestmark = pytest.mark.browser

TITLE = "Outlook shows a certificate warning"
REPLY = "We are renewing the mail relay certificate now."
RESOLUTION = "The mail relay certificate was renewed; restart Outlook once."
RATING_COMMENT = "Quick and clear, thank you."
QUEUE_REFRESH_SECONDS = 15


def test_incident_from_report_to_rating(
    new_page, screenshots, settings, end_user, agent_l1, service, incident_policies
):
    shot = screenshots("incident")
    settings.QUEUE_REFRESH_SECONDS = QUEUE_REFRESH_SECONDS

    # The agent has the open queue on screen before anything is reported. The page's clock is
    # controlled, so "the next refresh" is a jump in time, not a wait.
    agent = new_page()
    agent.clock.install()
    login(agent, agent_l1)
    agent.goto(reverse("incidents:agent_list"))
    expect(agent.get_by_role("heading", name="Incidents", level=1)).to_be_visible()
    queue_row = agent.get_by_role("row").filter(has_text=TITLE)
    expect(queue_row).to_have_count(0)
    shot(agent, "agent-queue-empty")

    # The end user reports it, with a screenshot attached.
    user = new_page()
    login(user, end_user)
    user.goto(reverse("incidents:portal_report"))
    user.get_by_label("What is broken?").fill(TITLE)
    user.get_by_label("Details").fill("Since this morning, every time Outlook starts.")
    user.get_by_label("Which service?").select_option(label=service.name)
    user.get_by_role("group", name=re.compile("affect", re.I)).get_by_role("radio").nth(1).check()
    user.get_by_label(re.compile(r"^Screenshots? or files?")).set_input_files(
        files=[{"name": "warning.png", "mimeType": "image/png", "buffer": PNG_1X1}]
    )
    shot(user, "report-form")
    user.get_by_role("button", name="Send report").click()
    expect(user.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(user.get_by_role("link", name="warning.png").first).to_be_visible()
    incident = Incident.objects.get(title=TITLE)
    assert incident.requester == end_user
    assert incident.status == IncidentStatus.IDENTIFIED
    files = attachments_for_user(ticket=incident, user=end_user)
    assert [f.original_name for f in files] == ["warning.png"]
    shot(user, "reported")

    # One refresh of the queue later, the agent sees it and claims it.
    agent.clock.fast_forward((QUEUE_REFRESH_SECONDS + 1) * 1000)
    expect(queue_row).to_have_count(1)
    expect(queue_row).to_contain_text(incident.number)
    shot(agent, "agent-queue-new-incident")
    claim = queue_row.get_by_role("button", name=re.compile(r"^Claim"))
    claim.click()
    # Claimed: the row no longer offers it (it shows the assignee, or leaves an "unassigned" view).
    expect(claim).to_have_count(0)
    shot(agent, "agent-queue-claimed")
    agent.goto(reverse("incidents:agent_detail", args=[incident.number]))
    expect(agent.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(agent.get_by_role("complementary").first).to_contain_text(agent_l1.display_name)
    expect(agent.get_by_role("link", name="warning.png").first).to_be_visible()

    # Accept, classify.
    agent.get_by_role("button", name="Accept (log)").click()
    expect(status_badge(agent)).to_have_text("Logged")
    disclosure(agent, "Classify").click()
    classify = form_of(agent.get_by_role("button", name="Classify", exact=True))
    classify.get_by_label("Category").select_option(Category.SOFTWARE.value)
    classify.get_by_label("Impact").select_option(Impact.MEDIUM.value)
    classify.get_by_label("Urgency").select_option(Urgency.HIGH.value)
    classify.get_by_label("Service").select_option(label=service.name)
    shot(agent, "agent-classify")
    classify.get_by_role("button", name="Classify", exact=True).click()
    expect(status_badge(agent)).to_have_text("Classified")

    # A public reply, then the resolution.
    reply = form_of(agent.get_by_role("button", name="Send public reply"))
    reply.get_by_role("textbox").fill(REPLY)
    reply.get_by_role("button", name="Send public reply").click()
    expect(agent.get_by_text(REPLY).first).to_be_visible()
    disclosure(agent, "Resolve").click()
    resolve = form_of(agent.get_by_role("button", name="Resolve", exact=True))
    resolve.get_by_label("Resolution code").select_option(ResolutionCode.FIXED.value)
    resolve.get_by_label("Resolution notes").fill(RESOLUTION)
    resolve.get_by_role("button", name="Resolve", exact=True).click()
    expect(status_badge(agent)).to_have_text("Resolved")
    shot(agent, "agent-resolved")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.assignee == agent_l1

    # The end user reads the reply and the resolution, confirms it and rates it.
    user.reload()
    expect(status_badge(user)).to_have_text("Resolved")
    expect(user.get_by_text(REPLY).first).to_be_visible()
    expect(user.get_by_text(RESOLUTION).first).to_be_visible()
    shot(user, "resolution-seen")
    user.get_by_role("button", name="Confirm it's fixed").click()
    expect(status_badge(user)).to_have_text("Closed")
    shot(user, "confirmed")
    rating = form_of(user.get_by_role("button", name="Send my rating"))
    rating.get_by_role("radio", name=re.compile(r"^4 of 5")).check()
    rating.get_by_role("textbox").fill(RATING_COMMENT)
    rating.get_by_role("button", name="Send my rating").click()
    expect(user.get_by_text(RATING_COMMENT).first).to_be_visible()
    expect(user.get_by_text(re.compile(r"4 of 5")).first).to_be_visible()
    shot(user, "rated")

    # The agent sees the rating on the incident.
    agent.reload()
    rating_card = agent.get_by_role("region", name="Requester's rating")
    expect(rating_card).to_contain_text("4 of 5")
    expect(rating_card).to_contain_text(RATING_COMMENT)
    shot(agent, "agent-sees-rating")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED
    assert (incident.satisfaction_score, incident.satisfaction_comment) == (4, RATING_COMMENT)
