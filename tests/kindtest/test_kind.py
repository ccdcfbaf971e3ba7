"""A kind is a model, a lifecycle table, an action table and a registration: the chore kind
(tests/kindtest) declares nothing else, and gets transitions, the timeline, SLA clocks, webhooks,
API actions and an agent page from the kernel."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.choices import Priority, Source
from core.exceptions import TransitionError
from core.models import TimelineEvent
from core.tickets.actions import actions_of
from core.tickets.describe import describe
from core.tickets.executor import transition_run
from core.tickets.kinds import kind_named
from core.tickets.opening import ticket_open
from core.webhooks.events import event_types
from core.webhooks.models import WebhookDelivery, WebhookSubscription
from sla.choices import ClockState, Metric
from sla.models import SlaClock, SlaPolicy
from tests.kindtest.models import Chore, ChoreStatus

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.kindtest.urls")]


@pytest.fixture
def chore_policy(always_open_calendar):
    return SlaPolicy.objects.create(
        name="Chores P3",
        ticket_kind="chore",
        priority=Priority.P3,
        response_target=timedelta(hours=1),
        resolution_target=timedelta(hours=8),
        calendar=always_open_calendar,
    )


def _open(requester, **fields):
    return ticket_open(
        Chore,
        fields={"title": "Water the plants", "requester": requester, "priority": 3, **fields},
        actor=requester,
        source=Source.WEB,
        event_fields={"priority": 3},
    )


def _events(chore):
    return TimelineEvent.objects.filter(
        ticket_type=ContentType.objects.get_for_model(Chore), ticket_id=chore.pk
    ).order_by("id")


def test_the_registry_knows_the_kind():
    kind = kind_named("chore")
    assert kind.prefix == "CHR" and kind.noun == "chore" and kind.has_sla
    assert [a.name for a in actions_of(kind)][:2] == ["start", "finish"]


def test_transitions_milestones_timeline_and_refusals(agent_l1, end_user):
    chore = _open(end_user)
    assert chore.number.startswith("CHR-") and chore.status == ChoreStatus.QUEUED
    started = transition_run(chore, action="start", actor=agent_l1, source=Source.WEB)
    assert (started.status, started.version) == (ChoreStatus.DOING, 2)
    assert started.started_at is not None
    with pytest.raises(TransitionError, match="Cannot start a chore that is doing"):
        transition_run(started, action="start", actor=agent_l1, source=Source.WEB)
    kinds = [event.kind for event in _events(chore)]
    assert kinds == ["created", "status_changed"]
    views = [describe(event, started).verb for event in _events(chore)]
    assert views == ["asked for the chore", "changed the status"]


def test_sla_clocks_start_pause_and_stop_by_the_kinds_rules(agent_l1, end_user, chore_policy):
    chore = _open(end_user)
    clocks = SlaClock.objects.filter(ticket_id=chore.pk, ticket_type__model="chore")
    assert sorted(clocks.values_list("metric", flat=True)) == [Metric.RESOLUTION, Metric.RESPONSE]
    assert chore.sla_due_at is not None
    started = transition_run(chore, action="start", actor=agent_l1, source=Source.WEB)
    assert clocks.get(metric=Metric.RESPONSE).state == ClockState.MET
    held = (
        actions_of(started)
        .get("hold")
        .run(  # type: ignore[union-attr]
            started,
            actor=agent_l1,
            source=Source.WEB,
            expected_version=started.version,
            data={"on_hold_reason": "awaiting_parts", "note": ""},
        )
    )
    assert clocks.get(metric=Metric.RESOLUTION).state == ClockState.PAUSED
    resumed = (
        actions_of(held)
        .get("resume")
        .run(  # type: ignore[union-attr]
            held, actor=agent_l1, source=Source.WEB, expected_version=held.version, data={}
        )
    )
    transition_run(resumed, action="finish", actor=agent_l1, source=Source.WEB)
    assert clocks.get(metric=Metric.RESOLUTION).state == ClockState.MET


def test_webhooks_announce_the_kinds_events(agent_l1, end_user, admin_user):
    names = {event.name for event in event_types()}
    assert {"chore.created", "chore.status_changed", "chore.resolved"} <= names
    WebhookSubscription.objects.create(
        name="Chores",
        url="https://hooks.example.com/chores",
        secret="s" * 32,
        event_types=["chore.created", "chore.resolved"],
        created_by=admin_user,
        created_at=timezone.now(),
    )
    chore = _open(end_user)
    started = transition_run(chore, action="start", actor=agent_l1, source=Source.WEB)
    transition_run(started, action="finish", actor=agent_l1, source=Source.WEB)
    sent = sorted(WebhookDelivery.objects.values_list("event_type", flat=True))
    assert sent == ["chore.created", "chore.resolved"]


def test_api_actions_come_from_the_action_table(agent_l1, end_user):
    chore = _open(end_user)
    client = APIClient()
    client.force_authenticate(agent_l1)
    url = reverse("chores-start", kwargs={"number": chore.number})
    response = client.post(url, {}, format="json", HTTP_IF_MATCH='"v1"')
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "doing" and response["ETag"] == '"v2"'
    again = client.post(url, {}, format="json")
    assert again.status_code == 409
    stale = client.post(
        reverse("chores-finish", kwargs={"number": chore.number}),
        {},
        format="json",
        HTTP_IF_MATCH='"v1"',
    )
    assert stale.status_code == 412
    claimed = client.post(reverse("chores-claim", kwargs={"number": chore.number}), {})
    assert claimed.status_code == 200 and claimed.json()["assignee"]["username"]


def test_the_agent_page_and_its_actions_come_from_the_kernel(client_for, agent_l1, end_user):
    chore = _open(end_user)
    client = client_for(agent_l1)
    page = client.get(reverse("chores:agent_detail", args=[chore.number]))
    assert page.status_code == 200
    body = page.content.decode()
    assert chore.number in body and "Water the plants" in body
    assert [item.action.name for item in page.context["actions"]] == ["start", "hold", "cancel"]
    posted = client.post(
        reverse("chores:agent_transition", args=[chore.number, "start"]),
        {"start-version": chore.version},
    )
    assert posted.status_code == 302
    chore.refresh_from_db()
    assert chore.status == ChoreStatus.DOING
    listing = client.get(reverse("chores:agent_list"))
    assert listing.status_code == 200 and chore.number in listing.content.decode()
    rows = client.get(reverse("chores:agent_list"), HTTP_HX_REQUEST="true")
    assert "<html" not in rows.content.decode() and chore.number in rows.content.decode()
