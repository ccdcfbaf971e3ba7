"""incidents.bulk (priority changes) and core.tickets.bulk (assign, status) on incidents: the bulk
services act incident by incident and report every refusal with its reason."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType

from core.choices import EventKind, Priority
from core.exceptions import ConflictError, TransitionError, ValidationFailed
from core.models import TimelineEvent
from core.tickets import bulk
from core.tickets.kinds import kind_named
from incidents import services
from incidents.bulk import (
    incident_bulk_change_priority,
    incident_change_priority,
    matrix_pair_for,
)
from incidents.choices import (
    CancelReason,
    HoldReason,
    Impact,
    IncidentStatus,
    ResolutionCode,
    Urgency,
)
from incidents.models import Incident
from sla.choices import ClockState, Metric
from sla.models import SlaClock
from tests.agent.conftest import T0
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def _events(incident: Incident, kind: str) -> list[TimelineEvent]:
    return list(
        TimelineEvent.objects.filter(
            ticket_type=ContentType.objects.get_for_model(Incident),
            ticket_id=incident.pk,
            kind=kind,
        ).order_by("id")
    )


# --- Priority ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("impact", "urgency", "priority", "expected"),
    [
        (Impact.LOW, Urgency.MEDIUM, 3, (Impact.LOW, Urgency.HIGH)),  # keep impact
        (Impact.LOW, Urgency.LOW, 1, (Impact.HIGH, Urgency.HIGH)),  # only one pair gives P1
        (Impact.HIGH, Urgency.LOW, 2, (Impact.HIGH, Urgency.MEDIUM)),
        (Impact.MEDIUM, Urgency.HIGH, 5, (Impact.LOW, Urgency.LOW)),
        (Impact.MEDIUM, Urgency.MEDIUM, 3, (Impact.MEDIUM, Urgency.MEDIUM)),
    ],
)
def test_matrix_pair_is_the_closest_pair_giving_the_priority(impact, urgency, priority, expected):
    assert matrix_pair_for(priority, impact=impact, urgency=urgency) == expected


def test_change_priority_keeps_the_matrix_records_the_reason_and_retargets_clocks(
    make_incident, agent_l1
):
    incident = make_incident(impact=Impact.LOW, urgency=Urgency.LOW)  # P5: respond in 5h
    with time_machine.travel(T0, tick=False):
        updated = incident_change_priority(
            incident, actor=agent_l1, priority=1, reason="CEO affected", expected_version=1
        )
    assert (updated.priority, updated.impact, updated.urgency) == (1, Impact.HIGH, Urgency.HIGH)
    assert updated.version == incident.version + 1
    (event,) = _events(updated, EventKind.FIELDS_CHANGED)
    assert event.actor == agent_l1 and not event.is_public
    assert event.message == "CEO affected"
    assert event.changes == {"priority": 1, "impact": Impact.HIGH, "urgency": Urgency.HIGH}
    response = SlaClock.objects.get(ticket_id=incident.pk, metric=Metric.RESPONSE)
    assert response.policy.priority == 1
    assert response.due_at == T0 + timedelta(hours=1)
    assert _events(updated, EventKind.SLA)


def test_same_priority_changes_nothing(make_incident, agent_l1):
    incident = make_incident(impact=Impact.LOW, urgency=Urgency.MEDIUM)  # P4
    same = incident_change_priority(incident, actor=agent_l1, priority=4, reason="no change")
    assert same.version == incident.version
    assert not _events(incident, EventKind.FIELDS_CHANGED)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"priority": 2, "reason": "  "}, ValidationFailed),
        ({"priority": 9, "reason": "why"}, ValidationFailed),
        ({"priority": 2, "reason": "why", "expected_version": 7}, ConflictError),
    ],
)
def test_bad_priority_change_is_refused_and_changes_nothing(make_incident, agent_l1, kwargs, error):
    incident = make_incident()
    with pytest.raises(error):
        incident_change_priority(incident, actor=agent_l1, **kwargs)
    incident.refresh_from_db()
    assert (incident.priority, incident.version) == (4, 1)


def test_priority_of_closed_incident_or_by_end_user_is_refused(agent_l1, end_user):
    closed = IncidentFactory(status=IncidentStatus.CLOSED)
    with pytest.raises(TransitionError, match="closed"):
        incident_change_priority(closed, actor=agent_l1, priority=1, reason="late")
    with pytest.raises(TransitionError):
        incident_change_priority(IncidentFactory(), actor=end_user, priority=1, reason="me")


# --- Bulk assign ------------------------------------------------------------------------------


def test_bulk_assign_to_an_agent_reports_each_incident(agent_l1, agent_l2):
    free = IncidentFactory()
    already = IncidentFactory(assignee=agent_l2)
    closed = IncidentFactory(status=IncidentStatus.CLOSED)
    outcome = bulk.tickets_bulk_assign(
        [free, already, closed],
        actor=agent_l1,
        assignee=agent_l2,
        keep_assignee=False,
        support_group=None,
    )
    assert outcome.done == [free.number]
    assert outcome.unchanged == [already.number]
    assert [(r.number, r.reason) for r in outcome.refused] == [
        (closed.number, f"{closed.number} is closed.")
    ]
    free.refresh_from_db()
    closed.refresh_from_db()
    assert free.assignee == agent_l2 and closed.assignee is None


def test_bulk_move_to_group_keeps_assignees_and_moves_the_tier(agent_l1, agent_l2, l2_group):
    mine = IncidentFactory(assignee=agent_l1)
    theirs = IncidentFactory(assignee=agent_l2)
    outcome = bulk.tickets_bulk_assign(
        [mine, theirs],
        actor=agent_l1,
        assignee=None,
        keep_assignee=True,
        support_group=l2_group,
    )
    assert outcome.done == [mine.number, theirs.number]
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.assignee, mine.support_group, mine.tier) == (agent_l1, l2_group, 2)
    assert theirs.assignee == agent_l2


def test_bulk_assign_refuses_an_incident_changed_since_it_was_read(agent_l1, agent_l2):
    stale = IncidentFactory()
    fresh = IncidentFactory()
    services.incident_claim(Incident.objects.get(pk=stale.pk), actor=agent_l2)
    outcome = bulk.tickets_bulk_assign(
        [stale, fresh],
        actor=agent_l1,
        assignee=None,
        keep_assignee=True,
        support_group=None,
    )
    # Keeping "its assignee" as read before the claim must not undo the claim.
    assert [r.number for r in outcome.refused] == [stale.number]
    assert "changed by someone else" in outcome.refused[0].reason
    stale.refresh_from_db()
    assert stale.assignee == agent_l2


def test_bulk_assign_to_a_non_agent_refuses_each(agent_l1, end_user):
    incidents = IncidentFactory.create_batch(2)
    outcome = bulk.tickets_bulk_assign(
        incidents, actor=agent_l1, assignee=end_user, keep_assignee=False, support_group=None
    )
    assert [r.number for r in outcome.refused] == [i.number for i in incidents]
    assert "is not an active agent" in outcome.refused[0].reason


# --- Bulk priority ----------------------------------------------------------------------------


def test_bulk_priority_changes_open_ones_and_refuses_closed(make_incident, agent_l1):
    a = make_incident("a")
    b = make_incident("b", impact=Impact.HIGH, urgency=Urgency.MEDIUM)  # already P2
    closed = IncidentFactory(status=IncidentStatus.CANCELLED)
    outcome = incident_bulk_change_priority(
        [a, b, closed], actor=agent_l1, priority=2, reason="Outage"
    )
    assert outcome.label == f"Change priority to {Priority(2).label}"
    assert (outcome.done, outcome.unchanged) == ([a.number], [b.number])
    assert [r.number for r in outcome.refused] == [closed.number]
    a.refresh_from_db()
    assert a.priority == 2


# --- Bulk status ------------------------------------------------------------------------------


def test_common_actions_are_those_legal_for_every_incident(agent_l1, make_incident, classify):
    new = make_incident("new")
    worked = classify(make_incident("worked"), agent_l1)
    assert [
        t.action for t in bulk.bulk_common_actions(kind_named("incident"), agent_l1, [new])
    ] == ["accept", "cancel"]
    assert [
        t.action for t in bulk.bulk_common_actions(kind_named("incident"), agent_l1, [new, worked])
    ] == ["cancel"]
    closed = IncidentFactory(status=IncidentStatus.CLOSED)
    assert bulk.bulk_common_actions(kind_named("incident"), agent_l1, [new, closed]) == []
    assert bulk.bulk_common_actions(kind_named("incident"), agent_l1, []) == []


def test_bulk_transition_does_each_in_its_own_transaction(agent_l1, make_incident, classify):
    first = classify(make_incident("first"), agent_l1)
    on_hold = services.incident_hold(
        classify(make_incident("held"), agent_l1),
        actor=agent_l1,
        on_hold_reason=HoldReason.AWAITING_USER,
    )
    last = classify(make_incident("last"), agent_l1)
    outcome = bulk.tickets_bulk_transition(
        kind_named("incident"),
        [first, on_hold, last],
        actor=agent_l1,
        action="resolve",
        data={"resolution_code": ResolutionCode.FIXED, "resolution_notes": "Patched"},
    )
    assert outcome.done == [first.number, last.number]
    (refusal,) = outcome.refused
    assert refusal.number == on_hold.number
    assert refusal.reason == "Cannot resolve an incident that is on hold."
    statuses = dict(
        Incident.objects.filter(pk__in=[first.pk, on_hold.pk, last.pk]).values_list(
            "number", "status"
        )
    )
    assert statuses == {
        first.number: IncidentStatus.RESOLVED,
        on_hold.number: IncidentStatus.ON_HOLD,
        last.number: IncidentStatus.RESOLVED,
    }
    resolution = SlaClock.objects.get(ticket_id=first.pk, metric=Metric.RESOLUTION)
    assert resolution.state in (ClockState.MET, ClockState.BREACHED)


def test_bulk_transition_missing_field_is_refused_per_incident(agent_l1, make_incident):
    incidents = [make_incident("a"), make_incident("b")]
    outcome = bulk.tickets_bulk_transition(
        kind_named("incident"),
        incidents,
        actor=agent_l1,
        action="cancel",
        data={"cancel_reason": "", "note": ""},
    )
    assert not outcome.done
    assert [r.reason for r in outcome.refused] == ["This field is required."] * 2
    assert {i.status for i in Incident.objects.all()} == {IncidentStatus.IDENTIFIED}


def test_bulk_cancel_with_reason(agent_l1, make_incident):
    incidents = [make_incident("a"), make_incident("b")]
    outcome = bulk.tickets_bulk_transition(
        kind_named("incident"),
        incidents,
        actor=agent_l1,
        action="cancel",
        data={"cancel_reason": CancelReason.DUPLICATE, "note": "Same as INC-1"},
    )
    assert outcome.done == [i.number for i in incidents]
    assert {i.status for i in Incident.objects.all()} == {IncidentStatus.CANCELLED}


def test_unknown_bulk_action_is_refused(agent_l1):
    with pytest.raises(TransitionError):
        bulk.tickets_bulk_transition(
            kind_named("incident"), [IncidentFactory()], actor=agent_l1, action="explode", data={}
        )
