"""The timeline: one event per change, append-only in the database, scoped to the viewer."""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, IntegrityError, ProgrammingError, connection, transaction
from django.test import RequestFactory

from core.choices import EventKind, Source
from core.exceptions import TransitionError
from core.models import Comment, Service, TimelineEvent, User
from core.selectors import timeline_for_user
from incidents import services
from incidents.choices import (
    CancelReason,
    Category,
    HoldReason,
    Impact,
    IncidentStatus,
    ResolutionCode,
    Urgency,
)
from incidents.models import Incident

S = IncidentStatus


def events_of(incident: Incident) -> list[TimelineEvent]:
    return list(
        TimelineEvent.objects.filter(
            ticket_type=ContentType.objects.get_for_model(Incident), ticket_id=incident.pk
        ).order_by("id")
    )


def test_create_appends_one_created_event(end_user: User) -> None:
    incident = services.incident_create(
        requester=end_user,
        title="Laptop will not boot",
        impact=Impact.HIGH,
        urgency=Urgency.LOW,
        source=Source.EMAIL,
    )
    [event] = events_of(incident)
    assert event.kind == EventKind.CREATED
    assert event.actor == end_user
    assert event.source == Source.EMAIL
    assert (event.from_status, event.to_status) == ("", S.IDENTIFIED)
    assert event.changes == {"priority": 3, "impact": "high", "urgency": "low"}
    assert event.is_public is True


def test_every_transition_appends_exactly_one_status_changed_event(
    end_user: User, agent_l1: User, service: Service
) -> None:
    incident = services.incident_create(requester=end_user, title="Mail is down")
    steps: list[tuple[Callable[[Incident], Incident], User | None, str, str, str]] = [
        (
            lambda i: services.incident_accept(i, actor=agent_l1, source=Source.API),
            agent_l1,
            Source.API,
            S.IDENTIFIED,
            S.LOGGED,
        ),
        (
            lambda i: services.incident_classify(
                i,
                actor=agent_l1,
                category=Category.SOFTWARE,
                impact=Impact.MEDIUM,
                urgency=Urgency.MEDIUM,
                service=service,
            ),
            agent_l1,
            Source.WEB,
            S.LOGGED,
            S.CLASSIFIED,
        ),
        (
            lambda i: services.incident_hold(
                i, actor=agent_l1, on_hold_reason=HoldReason.AWAITING_USER, note="Asked for logs"
            ),
            agent_l1,
            Source.WEB,
            S.CLASSIFIED,
            S.ON_HOLD,
        ),
        (
            lambda i: services.incident_resume(i, actor=agent_l1),
            agent_l1,
            Source.WEB,
            S.ON_HOLD,
            S.CLASSIFIED,
        ),
        (
            lambda i: services.incident_contain(i, actor=agent_l1, containment_notes="Failover"),
            agent_l1,
            Source.WEB,
            S.CLASSIFIED,
            S.CONTAINED,
        ),
        (
            lambda i: services.incident_diagnose(i, actor=agent_l1, diagnosis_notes="Disk full"),
            agent_l1,
            Source.WEB,
            S.CONTAINED,
            S.DIAGNOSED,
        ),
        (
            lambda i: services.incident_resolve(
                i, actor=agent_l1, resolution_code=ResolutionCode.FIXED, resolution_notes="Freed"
            ),
            agent_l1,
            Source.WEB,
            S.DIAGNOSED,
            S.RESOLVED,
        ),
        (
            lambda i: services.incident_reopen(i, actor=end_user, reason="Still failing"),
            end_user,
            Source.WEB,
            S.RESOLVED,
            S.CLASSIFIED,
        ),
        (
            lambda i: services.incident_resolve(
                i,
                actor=None,
                resolution_code=ResolutionCode.FIXED,
                resolution_notes="Alert cleared",
                source=Source.ALERT,
            ),
            None,
            Source.ALERT,
            S.CLASSIFIED,
            S.RESOLVED,
        ),
        (
            lambda i: services.incident_close(i, actor=None, source=Source.SYSTEM),
            None,
            Source.SYSTEM,
            S.RESOLVED,
            S.CLOSED,
        ),
    ]
    for step, actor, source, from_status, to_status in steps:
        seen = len(events_of(incident))
        incident = step(incident)
        # Other kinds (an SLA re-target, say) may accompany a transition; status changes may not.
        new = [e for e in events_of(incident)[seen:] if e.kind == EventKind.STATUS_CHANGED]
        assert len(new) == 1, f"{from_status} -> {to_status} appended {len(new)} status events"
        event = new[0]
        assert event.kind == EventKind.STATUS_CHANGED
        assert event.actor == actor
        assert event.source == source
        assert (event.from_status, event.to_status) == (from_status, to_status)

    status_events = [e for e in events_of(incident) if e.kind == EventKind.STATUS_CHANGED]
    assert len(status_events) == len(steps)
    by_target = {e.to_status: e for e in status_events}
    # What changed and why is recorded with the event.
    assert by_target[S.ON_HOLD].changes == {
        "on_hold_reason": "awaiting_user",
        "status_before_hold": "classified",
    }
    assert by_target[S.ON_HOLD].message == "Asked for logs"
    assert by_target[S.CONTAINED].message == "Failover"
    assert status_events[7].message == "Still failing"
    assert status_events[7].changes["reopen_count"] == 1


def test_cancel_appends_one_status_changed_event(end_user: User, agent_l1: User) -> None:
    incident = services.incident_create(requester=end_user, title="Dup")
    incident = services.incident_cancel(
        incident, actor=agent_l1, cancel_reason=CancelReason.DUPLICATE
    )
    created, cancelled = events_of(incident)
    assert created.kind == EventKind.CREATED
    assert (cancelled.kind, cancelled.actor, cancelled.from_status, cancelled.to_status) == (
        EventKind.STATUS_CHANGED,
        agent_l1,
        S.IDENTIFIED,
        S.CANCELLED,
    )


def test_a_refused_transition_appends_nothing(end_user: User, agent_l1: User) -> None:
    incident = services.incident_create(requester=end_user, title="Mail")
    with pytest.raises(TransitionError, match="Cannot close"):
        services.incident_close(incident, actor=agent_l1)
    assert len(events_of(incident)) == 1


def test_comments_append_commented_events(end_user: User, agent_l1: User) -> None:
    incident = services.incident_create(requester=end_user, title="Mail")
    services.incident_comment(incident, author=agent_l1, body="Checking DNS", is_internal=True)
    services.incident_comment(incident, author=agent_l1, body="Working on it", is_internal=False)
    services.incident_comment(incident, author=end_user, body="Thanks", is_internal=False)
    _created, note, reply, thanks = events_of(incident)
    for event, author, public, body in [
        (note, agent_l1, False, "Checking DNS"),
        (reply, agent_l1, True, "Working on it"),
        (thanks, end_user, True, "Thanks"),
    ]:
        assert event.kind == EventKind.COMMENTED
        assert event.actor == author
        assert event.is_public is public
        assert event.comment is not None
        assert event.comment.body == body
        assert event.comment.is_internal is not public
    assert Comment.objects.count() == 3


# --- append-only in the database ------------------------------------------------------------


def _refusal() -> type[DatabaseError]:
    # The triggers raise differently per backend: SQLite's RAISE(ABORT) is a constraint error,
    # PL/pgSQL's RAISE EXCEPTION (SQLSTATE P0001) reaches Django as a ProgrammingError.
    return {"sqlite": IntegrityError, "postgresql": ProgrammingError}[connection.vendor]


def _appended_incident(end_user: User, agent_l1: User) -> Incident:
    incident = services.incident_create(requester=end_user, title="Audit me")
    services.incident_accept(incident, actor=agent_l1)
    return incident


@pytest.mark.parametrize(
    "rewrite",
    [
        lambda events: events.update(message="rewritten"),
        lambda events: events.update(actor=None),
        lambda events: events.delete(),
    ],
    ids=["update-message", "update-actor", "delete"],
)
def test_the_database_refuses_to_rewrite_the_timeline(
    end_user: User, agent_l1: User, rewrite: Callable[[Any], Any]
) -> None:
    incident = _appended_incident(end_user, agent_l1)
    before = [(e.pk, e.message, e.actor_id) for e in events_of(incident)]
    assert len(before) == 2
    events = TimelineEvent.objects.filter(ticket_id=incident.pk)
    with pytest.raises(_refusal(), match="timeline events are append-only"), transaction.atomic():
        rewrite(events)
    assert [(e.pk, e.message, e.actor_id) for e in events_of(incident)] == before


def test_the_database_refuses_saving_a_changed_event(end_user: User, agent_l1: User) -> None:
    incident = _appended_incident(end_user, agent_l1)
    event = events_of(incident)[-1]
    event.to_status = S.CLOSED
    with pytest.raises(_refusal()), transaction.atomic():
        event.save()
    with pytest.raises(_refusal()), transaction.atomic():
        event.delete()
    assert events_of(incident)[-1].to_status == S.LOGGED


def test_the_database_refuses_raw_sql_too(end_user: User, agent_l1: User) -> None:
    incident = _appended_incident(end_user, agent_l1)
    with pytest.raises(_refusal()), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_timelineevent WHERE ticket_id = %s", [incident.pk])
    assert len(events_of(incident)) == 2


def test_the_admin_offers_no_add_edit_or_delete(admin_user: User) -> None:
    request = RequestFactory().get("/admin/core/timelineevent/")
    request.user = admin_user
    model_admin = admin.site._registry[TimelineEvent]
    assert model_admin.has_view_permission(request) is True
    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request) is False
    assert model_admin.has_delete_permission(request) is False
    assert "delete_selected" not in model_admin.get_actions(request)


# --- scoped reads ---------------------------------------------------------------------------


def test_requester_sees_only_public_events(end_user: User, agent_l1: User) -> None:
    incident = services.incident_create(requester=end_user, title="Mail")
    incident = services.incident_accept(incident, actor=agent_l1)
    services.incident_assign(incident, actor=agent_l1, assignee=agent_l1)
    services.incident_comment(incident, author=agent_l1, body="Internal", is_internal=True)
    services.incident_comment(incident, author=agent_l1, body="Public", is_internal=False)
    incident.refresh_from_db()
    services.incident_update_details(
        incident, actor=agent_l1, title="Mail is down for sales", description="edited"
    )

    all_events = list(timeline_for_user(ticket=incident, user=agent_l1))
    assert [e.kind for e in all_events] == [
        EventKind.CREATED,
        EventKind.STATUS_CHANGED,
        EventKind.ASSIGNED,
        EventKind.COMMENTED,
        EventKind.COMMENTED,
        EventKind.FIELDS_CHANGED,
    ]
    seen_by_requester = list(timeline_for_user(ticket=incident, user=end_user))
    assert [e.pk for e in seen_by_requester] == [e.pk for e in all_events if e.is_public]
    assert [e.kind for e in seen_by_requester] == [
        EventKind.CREATED,
        EventKind.STATUS_CHANGED,
        EventKind.COMMENTED,
    ]
    assert seen_by_requester[-1].comment is not None
    assert seen_by_requester[-1].comment.body == "Public"


def test_timeline_is_per_ticket(end_user: User, agent_l1: User) -> None:
    first = services.incident_create(requester=end_user, title="One")
    second = services.incident_create(requester=end_user, title="Two")
    services.incident_accept(second, actor=agent_l1)
    assert len(list(timeline_for_user(ticket=first, user=agent_l1))) == 1
    assert len(list(timeline_for_user(ticket=second, user=agent_l1))) == 2


def test_containment_and_diagnosis_notes_stay_internal(end_user, agent_l1, service):
    incident = services.incident_create(requester=end_user, title="Disk alarm")
    incident = services.incident_accept(incident, actor=agent_l1)
    incident = services.incident_classify(
        incident,
        actor=agent_l1,
        category=Category.HARDWARE,
        impact=Impact.LOW,
        urgency=Urgency.LOW,
        service=service,
    )
    incident = services.incident_contain(incident, actor=agent_l1, containment_notes="Moved VMs")
    incident = services.incident_diagnose(incident, actor=agent_l1, diagnosis_notes="Disk full")
    requester_view = " ".join(e.message for e in timeline_for_user(ticket=incident, user=end_user))
    agent_view = " ".join(e.message for e in timeline_for_user(ticket=incident, user=agent_l1))
    assert "Disk full" not in requester_view and "Moved VMs" not in requester_view
    assert "Disk full" in agent_view and "Moved VMs" in agent_view
