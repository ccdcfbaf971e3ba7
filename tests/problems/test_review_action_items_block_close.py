"""A major incident whose completed review still has open action items cannot be closed — not by
an agent, its requester, the API or the auto-close task — and the refusal says why."""

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.api.tokens import api_token_create
from core.exceptions import TransitionError
from core.tasks import autoclose_task
from incidents import services as incident_services
from incidents.choices import IncidentStatus
from problems import reviews
from tests.problems.test_reviews import FILLED

pytestmark = pytest.mark.django_db

REFUSAL = "can be closed once its post-incident review's action item is done (1 open)"


@pytest.fixture
def reviewed(make_incident, agent_l1):
    """A resolved major incident whose review is completed with one action item not done."""
    incident = make_incident(
        IncidentStatus.RESOLVED,
        is_major=True,
        contained_at=timezone.now() - timedelta(hours=2),
        resolved_at=timezone.now() - timedelta(hours=1),
    )
    review = reviews.review_start(incident, actor=agent_l1)
    item = reviews.review_add_action_item(
        review,
        actor=agent_l1,
        description="Alert 30 days before certificates expire",
        owner=agent_l1,
        due_date=timezone.localdate() + timedelta(days=14),
    )
    review = reviews.review_update(review, actor=agent_l1, values=FILLED)
    reviews.review_complete(review, actor=agent_l1)
    incident.refresh_from_db()
    return incident, item


def test_open_action_items_refuse_closing(reviewed, agent_l1, end_user):
    incident, _ = reviewed
    for actor in (agent_l1, end_user):
        with pytest.raises(TransitionError, match=re.escape(REFUSAL)):
            incident_services.incident_close(incident, actor=actor)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED


def test_auto_close_skips_it(reviewed, settings):
    settings.INCIDENT_AUTOCLOSE_DAYS = 0
    incident, _ = reviewed
    assert autoclose_task() == 0
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED


def test_the_api_answers_409_with_the_reason(reviewed, client, agent_l1):
    incident, _ = reviewed
    secret = api_token_create(user=agent_l1, name="cli", scopes=["read", "write"]).secret
    response = client.post(
        f"/api/v1/incidents/{incident.number}/close/",
        {},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 409
    assert REFUSAL in response.json()["error"]["message"]


def test_the_agent_page_offers_no_close_and_a_post_is_refused_with_the_reason(
    reviewed, client_for, agent_l1
):
    incident, _ = reviewed
    client = client_for(agent_l1)
    page = client.get(reverse("incidents:agent_detail", args=[incident.number]))
    assert reverse("incidents:agent_transition", args=[incident.number, "close"]) not in (
        page.content.decode()
    )
    response = client.post(
        reverse("incidents:agent_transition", args=[incident.number, "close"]),
        {"close-version": incident.version},
        follow=True,
    )
    assert html.escape(REFUSAL) in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED


def test_ticking_the_last_item_off_lets_it_close(reviewed, agent_l1):
    incident, item = reviewed
    reviews.review_set_action_item_done(item, actor=agent_l1, is_done=True)
    closed = incident_services.incident_close(incident, actor=agent_l1)
    assert closed.status == IncidentStatus.CLOSED
