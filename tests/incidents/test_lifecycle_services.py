"""The incident lifecycle through incidents.services, against the database."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import transaction

from core.choices import EventKind, Role, Source
from core.exceptions import ConflictError, TransitionError, ValidationFailed
from core.models import OutboxMessage, Service, TimelineEvent, User
from core.tasks import autoclose_task as autoclose_resolved_task
from core.tasks import send_email_task
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
from tests.factories import ConfigurationItemFactory, ServiceFactory, UserFactory

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
S = IncidentStatus


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def incident(end_user: User, clock: time_machine.Traveller) -> Incident:
    return services.incident_create(requester=end_user, title="Mail is down")


def reload(incident: Incident) -> Incident:
    return Incident.objects.get(pk=incident.pk)


def state(incident: Incident) -> tuple[dict[str, Any], int, int]:
    """Everything a refused call must leave alone: the row, its timeline, the outbox."""
    row = Incident.objects.filter(pk=incident.pk).values().get()
    events = TimelineEvent.objects.filter(
        ticket_type=ContentType.objects.get_for_model(Incident), ticket_id=incident.pk
    ).count()
    return row, events, OutboxMessage.objects.count()


def events_of(incident: Incident, kind: str | None = None) -> list[TimelineEvent]:
    events = TimelineEvent.objects.filter(
        ticket_type=ContentType.objects.get_for_model(Incident), ticket_id=incident.pk
    )
    if kind:
        events = events.filter(kind=kind)
    return list(events.order_by("id"))


# --- walking the lifecycle ------------------------------------------------------------------


def accept(i: Incident, actor: User, **kw: Any) -> Incident:
    return services.incident_accept(i, actor=actor, **kw)


def classify(i: Incident, actor: User, service: Service, **kw: Any) -> Incident:
    params: dict[str, Any] = {
        "category": Category.SOFTWARE,
        "impact": Impact.MEDIUM,
        "urgency": Urgency.HIGH,
        "service": service,
    }
    return services.incident_classify(i, actor=actor, **{**params, **kw})


def contain(i: Incident, actor: User, **kw: Any) -> Incident:
    return services.incident_contain(i, actor=actor, containment_notes="Failed over", **kw)


def diagnose(i: Incident, actor: User, **kw: Any) -> Incident:
    return services.incident_diagnose(i, actor=actor, diagnosis_notes="Disk full", **kw)


def resolve(i: Incident, actor: User | None, **kw: Any) -> Incident:
    params = {"resolution_code": ResolutionCode.FIXED, "resolution_notes": "Freed space"}
    return services.incident_resolve(i, actor=actor, **{**params, **kw})


def to_status(incident: Incident, agent: User, service: Service, target: str) -> Incident:
    """Walk an incident forward through the services until it reaches `target`."""
    steps: list[tuple[str, Callable[[Incident], Incident]]] = [
        (S.LOGGED, lambda i: accept(i, agent)),
        (S.CLASSIFIED, lambda i: classify(i, agent, service)),
        (S.CONTAINED, lambda i: contain(i, agent)),
        (S.DIAGNOSED, lambda i: diagnose(i, agent)),
        (S.RESOLVED, lambda i: resolve(i, agent)),
        (S.CLOSED, lambda i: services.incident_close(i, actor=agent)),
    ]
    for reached, step in steps:
        if incident.status == target:
            break
        incident = step(incident)
        assert incident.status == reached
    assert incident.status == target
    return incident


# --- statuses and milestones ----------------------------------------------------------------


def test_each_service_moves_the_status_and_stamps_its_milestone_once(
    incident: Incident, agent_l1: User, service: Service, clock: time_machine.Traveller
) -> None:
    assert incident.status == S.IDENTIFIED
    assert incident.identified_at == T0
    assert incident.version == 1
    milestones = [
        "logged_at",
        "classified_at",
        "contained_at",
        "diagnosed_at",
        "resolved_at",
        "closed_at",
    ]
    assert all(getattr(incident, name) is None for name in milestones)
    walk = [
        (lambda i: accept(i, agent_l1), S.LOGGED, "logged_at"),
        (lambda i: classify(i, agent_l1, service), S.CLASSIFIED, "classified_at"),
        (lambda i: contain(i, agent_l1), S.CONTAINED, "contained_at"),
        (lambda i: diagnose(i, agent_l1), S.DIAGNOSED, "diagnosed_at"),
        (lambda i: resolve(i, agent_l1), S.RESOLVED, "resolved_at"),
        (lambda i: services.incident_close(i, actor=agent_l1), S.CLOSED, "closed_at"),
    ]
    stamped: dict[str, datetime] = {}
    for hour, (step, status, milestone) in enumerate(walk, start=1):
        clock.move_to(T0 + timedelta(hours=hour))
        before = incident.version
        incident = step(incident)
        stored = reload(incident)
        assert stored.status == status
        assert stored.version == before + 1
        assert getattr(stored, milestone) == T0 + timedelta(hours=hour)
        stamped[milestone] = T0 + timedelta(hours=hour)
        # Earlier milestones stay where they were.
        assert {name: getattr(stored, name) for name in stamped} == stamped
        assert stored.identified_at == T0


def test_hold_and_resume_keep_milestones_and_return_to_the_remembered_status(
    incident: Incident, agent_l1: User, service: Service, clock: time_machine.Traveller
) -> None:
    incident = to_status(incident, agent_l1, service, S.CONTAINED)
    before = reload(incident)
    clock.shift(timedelta(hours=2))
    held = services.incident_hold(
        incident, actor=agent_l1, on_hold_reason=HoldReason.AWAITING_VENDOR, note="Ticket #42"
    )
    stored = reload(held)
    assert stored.status == S.ON_HOLD
    assert stored.on_hold_reason == HoldReason.AWAITING_VENDOR
    assert stored.status_before_hold == S.CONTAINED
    clock.shift(timedelta(hours=2))
    resumed = services.incident_resume(held, actor=agent_l1)
    stored = reload(resumed)
    assert stored.status == S.CONTAINED
    assert stored.on_hold_reason == ""
    assert stored.status_before_hold == ""
    assert stored.version == before.version + 2
    for name in ("logged_at", "classified_at", "contained_at"):
        assert getattr(stored, name) == getattr(before, name)


def test_hold_from_logged_resumes_to_logged(
    incident: Incident, agent_l1: User, service: Service
) -> None:
    incident = accept(incident, agent_l1)
    incident = services.incident_hold(
        incident, actor=agent_l1, on_hold_reason=HoldReason.AWAITING_USER
    )
    assert services.incident_resume(incident, actor=agent_l1).status == S.LOGGED


def test_reopen_starts_a_new_pass(
    incident: Incident,
    agent_l1: User,
    end_user: User,
    service: Service,
    clock: time_machine.Traveller,
) -> None:
    incident = to_status(incident, agent_l1, service, S.RESOLVED)
    first = reload(incident)
    assert first.resolved_at == T0
    assert first.resolution_code == ResolutionCode.FIXED

    clock.shift(timedelta(days=1))
    incident = services.incident_reopen(incident, actor=end_user, reason="Still broken")
    stored = reload(incident)
    assert stored.status == S.CLASSIFIED
    assert stored.resolved_at is None
    assert stored.resolution_code == ""
    assert stored.resolution_notes == ""
    assert stored.reopen_count == 1
    # Milestones of the first pass before resolution stay.
    for name in ("logged_at", "classified_at", "contained_at", "diagnosed_at"):
        assert getattr(stored, name) == getattr(first, name)

    clock.shift(timedelta(hours=1))
    incident = diagnose(incident, agent_l1)
    assert reload(incident).diagnosed_at == first.diagnosed_at  # re-diagnosis does not move it

    clock.shift(timedelta(hours=1))
    incident = resolve(incident, agent_l1, resolution_notes="Replaced the disk")
    stored = reload(incident)
    assert stored.resolved_at == T0 + timedelta(days=1, hours=2)
    assert stored.resolution_notes == "Replaced the disk"

    incident = services.incident_reopen(incident, actor=agent_l1, reason="Again")
    assert reload(incident).reopen_count == 2


def test_cancel_stamps_cancelled_at(
    incident: Incident, agent_l1: User, clock: time_machine.Traveller
) -> None:
    clock.shift(timedelta(minutes=5))
    cancelled = services.incident_cancel(
        incident, actor=agent_l1, cancel_reason=CancelReason.DUPLICATE, note="Same as INC-1"
    )
    stored = reload(cancelled)
    assert stored.status == S.CANCELLED
    assert stored.cancel_reason == CancelReason.DUPLICATE
    assert stored.cancelled_at == T0 + timedelta(minutes=5)


def test_cancel_from_hold(incident: Incident, agent_l1: User) -> None:
    incident = accept(incident, agent_l1)
    incident = services.incident_hold(
        incident, actor=agent_l1, on_hold_reason=HoldReason.AWAITING_USER
    )
    cancelled = services.incident_cancel(
        incident, actor=agent_l1, cancel_reason=CancelReason.NOT_AN_INCIDENT
    )
    assert reload(cancelled).status == S.CANCELLED


def test_classify_sets_priority_group_and_tier(
    incident: Incident, agent_l1: User, service: Service, l2_group: Any
) -> None:
    incident = accept(incident, agent_l1)
    incident = classify(
        incident,
        agent_l1,
        service,
        impact=Impact.HIGH,
        urgency=Urgency.HIGH,
        support_group=l2_group,
        is_major=True,
    )
    stored = reload(incident)
    assert stored.priority == 1
    assert stored.support_group == l2_group
    assert stored.tier == 2
    assert stored.is_major is True
    assert stored.service == service


# --- required fields and invalid values -----------------------------------------------------

REQUIRED_CASES: list[tuple[str, str, Callable[..., Incident], set[str]]] = [
    (
        "classify-no-category",
        S.LOGGED,
        lambda i, a, s: classify(i, a, s, category=""),
        {"category"},
    ),
    ("classify-no-service", S.LOGGED, lambda i, a, s: classify(i, a, None), {"service"}),
    (
        "classify-nothing",
        S.LOGGED,
        lambda i, a, s: services.incident_classify(
            i, actor=a, category="", impact="", urgency="", service=None
        ),
        {"category", "impact", "urgency", "service"},
    ),
    (
        "contain-blank",
        S.CLASSIFIED,
        lambda i, a, s: services.incident_contain(i, actor=a, containment_notes="   "),
        {"containment_notes"},
    ),
    (
        "diagnose-blank",
        S.CLASSIFIED,
        lambda i, a, s: services.incident_diagnose(i, actor=a, diagnosis_notes=""),
        {"diagnosis_notes"},
    ),
    (
        "resolve-nothing",
        S.DIAGNOSED,
        lambda i, a, s: services.incident_resolve(
            i, actor=a, resolution_code="", resolution_notes=" "
        ),
        {"resolution_code", "resolution_notes"},
    ),
    (
        "resolve-no-notes",
        S.DIAGNOSED,
        lambda i, a, s: resolve(i, a, resolution_notes=""),
        {"resolution_notes"},
    ),
    (
        "reopen-no-reason",
        S.RESOLVED,
        lambda i, a, s: services.incident_reopen(i, actor=a, reason="  "),
        {"reason"},
    ),
    (
        "hold-no-reason",
        S.CLASSIFIED,
        lambda i, a, s: services.incident_hold(i, actor=a, on_hold_reason=""),
        {"on_hold_reason"},
    ),
    (
        "cancel-no-reason",
        S.LOGGED,
        lambda i, a, s: services.incident_cancel(i, actor=a, cancel_reason=""),
        {"cancel_reason"},
    ),
    (
        "edit-blank-title",
        S.LOGGED,
        lambda i, a, s: services.incident_update_details(i, actor=a, title=" ", description=""),
        {"title"},
    ),
]


@pytest.mark.parametrize(
    ("start", "call", "fields"),
    [case[1:] for case in REQUIRED_CASES],
    ids=[case[0] for case in REQUIRED_CASES],
)
def test_required_fields_are_enforced_and_nothing_changes(
    incident: Incident,
    agent_l1: User,
    service: Service,
    start: str,
    call: Callable[..., Incident],
    fields: set[str],
) -> None:
    incident = to_status(incident, agent_l1, service, start)
    before = state(incident)
    with pytest.raises(ValidationFailed) as refused:
        call(incident, agent_l1, service)
    assert set(refused.value.errors) == fields
    after = state(incident)
    assert after == before
    stored = reload(incident)
    assert (stored.status, stored.version) == (start, incident.version)


INVALID_CASES: list[tuple[str, str, Callable[..., Incident], str]] = [
    ("category", S.LOGGED, lambda i, a, s: classify(i, a, s, category="weather"), "category"),
    ("impact", S.LOGGED, lambda i, a, s: classify(i, a, s, impact="extreme"), "impact"),
    ("urgency", S.LOGGED, lambda i, a, s: classify(i, a, s, urgency="now!"), "urgency"),
    (
        "resolution_code",
        S.DIAGNOSED,
        lambda i, a, s: resolve(i, a, resolution_code="magic"),
        "resolution_code",
    ),
    (
        "on_hold_reason",
        S.CLASSIFIED,
        lambda i, a, s: services.incident_hold(i, actor=a, on_hold_reason="lunch"),
        "on_hold_reason",
    ),
    (
        "cancel_reason",
        S.LOGGED,
        lambda i, a, s: services.incident_cancel(i, actor=a, cancel_reason="bored"),
        "cancel_reason",
    ),
]


@pytest.mark.parametrize(
    ("start", "call", "field"),
    [case[1:] for case in INVALID_CASES],
    ids=[case[0] for case in INVALID_CASES],
)
def test_invalid_choice_values_are_refused(
    incident: Incident,
    agent_l1: User,
    service: Service,
    start: str,
    call: Callable[..., Incident],
    field: str,
) -> None:
    incident = to_status(incident, agent_l1, service, start)
    before = state(incident)
    with pytest.raises(ValidationFailed) as refused:
        call(incident, agent_l1, service)
    assert set(refused.value.errors) == {field}
    assert "not a valid choice" in refused.value.errors[field]
    assert state(incident) == before


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "ok", "impact": "huge"}, "impact"),
        ({"title": "ok", "urgency": "yesterday"}, "urgency"),
        ({"title": "ok", "category": "gossip"}, "category"),
    ],
)
def test_create_refuses_bad_input_and_stores_nothing(
    end_user: User, kwargs: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.incident_create(requester=end_user, **kwargs)
    assert set(refused.value.errors) == {field}
    assert Incident.objects.count() == 0
    assert TimelineEvent.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_configuration_item_of_another_service_is_refused(
    incident: Incident, agent_l1: User, service: Service
) -> None:
    other_ci = ConfigurationItemFactory(service=ServiceFactory(name="Payroll"))
    incident = accept(incident, agent_l1)
    before = state(incident)
    with pytest.raises(ValidationFailed) as refused:
        classify(incident, agent_l1, service, configuration_item=other_ci)
    assert set(refused.value.errors) == {"configuration_item"}
    assert state(incident) == before
    own_ci = ConfigurationItemFactory(service=service)
    classified = classify(incident, agent_l1, service, configuration_item=own_ci)
    assert reload(classified).configuration_item == own_ci


def test_create_refuses_a_configuration_item_without_its_service(end_user: User) -> None:
    ci = ConfigurationItemFactory()
    with pytest.raises(ValidationFailed) as refused:
        services.incident_create(requester=end_user, title="Down", configuration_item=ci)
    assert set(refused.value.errors) == {"configuration_item"}
    with pytest.raises(ValidationFailed):
        services.incident_create(
            requester=end_user,
            title="Down",
            service=ServiceFactory(name="Other"),
            configuration_item=ci,
        )
    assert Incident.objects.count() == 0


# --- illegal transitions and stale versions -------------------------------------------------

ILLEGAL_CASES: list[tuple[str, str, Callable[..., Incident]]] = [
    ("resolve-identified", S.IDENTIFIED, lambda i, a, s: resolve(i, a)),
    ("classify-identified", S.IDENTIFIED, classify),
    ("accept-twice", S.LOGGED, lambda i, a, s: accept(i, a)),
    ("contain-logged", S.LOGGED, lambda i, a, s: contain(i, a)),
    ("contain-diagnosed", S.DIAGNOSED, lambda i, a, s: contain(i, a)),
    ("close-diagnosed", S.DIAGNOSED, lambda i, a, s: services.incident_close(i, actor=a)),
    ("resume-not-held", S.CLASSIFIED, lambda i, a, s: services.incident_resume(i, actor=a)),
    (
        "hold-resolved",
        S.RESOLVED,
        lambda i, a, s: services.incident_hold(i, actor=a, on_hold_reason="awaiting_user"),
    ),
    (
        "cancel-resolved",
        S.RESOLVED,
        lambda i, a, s: services.incident_cancel(i, actor=a, cancel_reason="duplicate"),
    ),
    ("reopen-closed", S.CLOSED, lambda i, a, s: services.incident_reopen(i, actor=a, reason="x")),
    ("resolve-closed", S.CLOSED, lambda i, a, s: resolve(i, a)),
]


@pytest.mark.parametrize(
    ("start", "call"), [case[1:] for case in ILLEGAL_CASES], ids=[c[0] for c in ILLEGAL_CASES]
)
def test_illegal_transition_raises_and_changes_nothing(
    incident: Incident,
    agent_l1: User,
    service: Service,
    start: str,
    call: Callable[..., Incident],
) -> None:
    incident = to_status(incident, agent_l1, service, start)
    before = state(incident)
    with pytest.raises(TransitionError) as refused:
        call(incident, agent_l1, service)
    assert S(start).label.lower() in str(refused.value)
    assert state(incident) == before


def test_security_incident_must_be_contained_before_resolution(
    incident: Incident, agent_l1: User, service: Service
) -> None:
    incident = accept(incident, agent_l1)
    incident = classify(incident, agent_l1, service, category=Category.SECURITY)
    before = state(incident)
    with pytest.raises(TransitionError, match="contained first"):
        resolve(incident, agent_l1)
    with pytest.raises(TransitionError, match="contained first"):
        diagnose(incident, agent_l1)
    assert state(incident) == before
    incident = contain(incident, agent_l1)
    assert resolve(incident, agent_l1).status == S.RESOLVED


def test_reopen_after_the_window_is_refused(
    incident: Incident,
    agent_l1: User,
    end_user: User,
    service: Service,
    clock: time_machine.Traveller,
    settings: Any,
) -> None:
    settings.INCIDENT_REOPEN_WINDOW_DAYS = 3
    incident = to_status(incident, agent_l1, service, S.RESOLVED)
    clock.shift(timedelta(days=3, seconds=1))
    before = state(incident)
    with pytest.raises(TransitionError, match=r"reopen window \(3 days"):
        services.incident_reopen(incident, actor=end_user, reason="Broken again")
    assert state(incident) == before


STALE_CASES: list[tuple[str, str, Callable[..., Incident]]] = [
    ("accept", S.IDENTIFIED, lambda i, a, s, v: accept(i, a, expected_version=v)),
    ("classify", S.LOGGED, lambda i, a, s, v: classify(i, a, s, expected_version=v)),
    ("resolve", S.DIAGNOSED, lambda i, a, s, v: resolve(i, a, expected_version=v)),
    (
        "assign",
        S.LOGGED,
        lambda i, a, s, v: services.incident_assign(i, actor=a, assignee=a, expected_version=v),
    ),
    (
        "update_details",
        S.LOGGED,
        lambda i, a, s, v: services.incident_update_details(
            i, actor=a, title="Edited", description="Edited", expected_version=v
        ),
    ),
]


@pytest.mark.parametrize(
    ("start", "call"), [case[1:] for case in STALE_CASES], ids=[c[0] for c in STALE_CASES]
)
def test_stale_expected_version_is_a_conflict_and_changes_nothing(
    incident: Incident,
    agent_l1: User,
    service: Service,
    start: str,
    call: Callable[..., Incident],
) -> None:
    incident = to_status(incident, agent_l1, service, start)
    current = reload(incident).version
    before = state(incident)
    with pytest.raises(ConflictError, match=rf"version {current - 1}, now {current}"):
        call(incident, agent_l1, service, current - 1)
    assert state(incident) == before
    # The current version goes through.
    assert reload(call(incident, agent_l1, service, current)).version == current + 1


# --- who may do what ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "call"),
    [
        (S.IDENTIFIED, lambda i, u, s: accept(i, u)),
        (S.LOGGED, classify),
        (S.CLASSIFIED, lambda i, u, s: contain(i, u)),
        (S.CLASSIFIED, lambda i, u, s: diagnose(i, u)),
        (S.DIAGNOSED, lambda i, u, s: resolve(i, u)),
        (
            S.LOGGED,
            lambda i, u, s: services.incident_hold(i, actor=u, on_hold_reason="awaiting_user"),
        ),
        (
            S.IDENTIFIED,
            lambda i, u, s: services.incident_cancel(i, actor=u, cancel_reason="duplicate"),
        ),
        (S.LOGGED, lambda i, u, s: services.incident_assign(i, actor=u, assignee=None)),
        (S.LOGGED, lambda i, u, s: services.incident_claim(i, actor=u)),
        (
            S.LOGGED,
            lambda i, u, s: services.incident_update_details(
                i, actor=u, title="Mine", description=""
            ),
        ),
    ],
    ids=[
        "accept",
        "classify",
        "contain",
        "diagnose",
        "resolve",
        "hold",
        "cancel",
        "assign",
        "claim",
        "update_details",
    ],
)
def test_requester_may_not_work_the_incident(
    incident: Incident,
    agent_l1: User,
    end_user: User,
    service: Service,
    start: str,
    call: Callable[..., Incident],
) -> None:
    incident = to_status(incident, agent_l1, service, start)
    before = state(incident)
    with pytest.raises(TransitionError, match=r"(not allowed|Only agents)"):
        call(incident, end_user, service)
    assert state(incident) == before


def test_requester_may_close_their_own_resolved_incident(
    incident: Incident, agent_l1: User, end_user: User, service: Service
) -> None:
    incident = to_status(incident, agent_l1, service, S.RESOLVED)
    closed = services.incident_close(incident, actor=end_user)
    assert reload(closed).status == S.CLOSED
    assert events_of(closed, EventKind.STATUS_CHANGED)[-1].actor == end_user


def test_requester_may_reopen_their_own_resolved_incident(
    incident: Incident, agent_l1: User, end_user: User, service: Service
) -> None:
    incident = to_status(incident, agent_l1, service, S.RESOLVED)
    reopened = services.incident_reopen(incident, actor=end_user, reason="Not fixed")
    assert reload(reopened).status == S.CLASSIFIED


@pytest.mark.parametrize(
    ("start", "call"),
    [
        (S.RESOLVED, lambda i, u: services.incident_close(i, actor=u)),
        (S.RESOLVED, lambda i, u: services.incident_reopen(i, actor=u, reason="Me too")),
        (S.IDENTIFIED, accept),
        (
            S.IDENTIFIED,
            lambda i, u: services.incident_cancel(i, actor=u, cancel_reason="duplicate"),
        ),
        (S.DIAGNOSED, resolve),
        (
            S.LOGGED,
            lambda i, u: services.incident_comment(i, author=u, body="psst", is_internal=True),
        ),
        (
            S.LOGGED,
            lambda i, u: services.incident_comment(i, author=u, body="Me too", is_internal=False),
        ),
    ],
    ids=["close", "reopen", "accept", "cancel", "resolve", "internal-note", "public-reply"],
)
def test_another_end_user_may_do_nothing(
    incident: Incident,
    agent_l1: User,
    other_end_user: User,
    service: Service,
    start: str,
    call: Callable[..., Any],
) -> None:
    incident = to_status(incident, agent_l1, service, start)
    before = state(incident)
    with pytest.raises(TransitionError):
        call(incident, other_end_user)
    assert state(incident) == before


def test_inactive_agent_is_treated_as_an_end_user(incident: Incident, agent_l1: User) -> None:
    agent_l1.is_active = False
    agent_l1.save()
    stale_agent = User.objects.get(pk=agent_l1.pk)
    with pytest.raises(TransitionError):
        accept(incident, stale_agent)
    assert reload(incident).status == S.IDENTIFIED


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_managers_and_admins_work_incidents_too(incident: Incident, role: str) -> None:
    worker = UserFactory(username=f"worker-{role}", role=role)
    assert accept(incident, worker).status == S.LOGGED


def test_system_actor_can_close(incident: Incident, agent_l1: User, service: Service) -> None:
    incident = to_status(incident, agent_l1, service, S.RESOLVED)
    closed = services.incident_close(incident, actor=None, source=Source.SYSTEM)
    assert reload(closed).status == S.CLOSED
    event = events_of(closed, EventKind.STATUS_CHANGED)[-1]
    assert event.actor is None
    assert event.source == Source.SYSTEM


# --- assignment and claiming ------------------------------------------------------------------


def test_assign_and_claim(
    incident: Incident, agent_l1: User, agent_l2: User, end_user: User, l2_group: Any
) -> None:
    incident = accept(incident, agent_l1)
    assigned = services.incident_assign(
        incident, actor=agent_l1, assignee=agent_l2, support_group=l2_group
    )
    stored = reload(assigned)
    assert (stored.assignee, stored.support_group, stored.tier) == (agent_l2, l2_group, 2)
    with pytest.raises(ValidationFailed) as refused:
        services.incident_assign(stored, actor=agent_l1, assignee=end_user)
    assert set(refused.value.errors) == {"assignee"}
    # Nothing to change: no new version, no event.
    before = state(stored)
    services.incident_assign(stored, actor=agent_l1, assignee=agent_l2, support_group=l2_group)
    assert state(stored) == before
    unassigned = services.incident_assign(stored, actor=agent_l1, assignee=None)
    claimed = services.incident_claim(unassigned, actor=agent_l1)
    assert reload(claimed).assignee == agent_l1
    with pytest.raises(ConflictError, match="already assigned"):
        services.incident_claim(claimed, actor=agent_l2)
    assert reload(claimed).assignee == agent_l1


def test_claim_of_a_closed_incident_is_refused(
    incident: Incident, agent_l1: User, service: Service
) -> None:
    incident = to_status(incident, agent_l1, service, S.CLOSED)
    before = state(incident)
    with pytest.raises(TransitionError, match="closed"):
        services.incident_claim(incident, actor=agent_l1)
    assert state(incident) == before


# --- auto-close -------------------------------------------------------------------------------


def test_autoclose_closes_only_old_resolved_incidents_and_is_idempotent(
    end_user: User, agent_l1: User, service: Service, settings: Any
) -> None:
    settings.INCIDENT_AUTOCLOSE_DAYS = 10
    with time_machine.travel(T0, tick=False) as clock:
        old = to_status(
            services.incident_create(requester=end_user, title="Old"), agent_l1, service, S.RESOLVED
        )
        open_one = to_status(
            services.incident_create(requester=end_user, title="Open"),
            agent_l1,
            service,
            S.DIAGNOSED,
        )
        clock.shift(timedelta(days=5))
        recent = to_status(
            services.incident_create(requester=end_user, title="Recent"),
            agent_l1,
            service,
            S.RESOLVED,
        )

        clock.shift(timedelta(days=4, hours=23))  # old: 9 days 23 hours
        assert autoclose_resolved_task() == 0
        assert reload(old).status == S.RESOLVED

        clock.shift(timedelta(hours=1, seconds=1))  # old: just over 10 days; recent: 5 days
        assert autoclose_resolved_task() == 1
        closed_at = T0 + timedelta(days=10, seconds=1)
        stored = reload(old)
        assert (stored.status, stored.closed_at) == (S.CLOSED, closed_at)
        assert reload(recent).status == S.RESOLVED
        assert reload(open_one).status == S.DIAGNOSED
        close_event = events_of(old, EventKind.STATUS_CHANGED)[-1]
        assert (close_event.actor, close_event.source) == (None, Source.SYSTEM)
        assert close_event.to_status == S.CLOSED

        clock.shift(timedelta(hours=1))
        before = state(old)
        assert autoclose_resolved_task() == 0
        assert state(old) == before
        assert reload(old).closed_at == closed_at
        assert len([e for e in events_of(old) if e.to_status == S.CLOSED]) == 1

        clock.shift(timedelta(days=5))
        assert autoclose_resolved_task() == 1
        assert reload(recent).status == S.CLOSED


# --- side effects through the outbox --------------------------------------------------------


def _emails() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(task_name="core.send_email").order_by("id"))


def test_creation_writes_one_email_for_the_requester(
    end_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        incident = services.incident_create(requester=end_user, title="VPN down")
    rows = _emails()
    assert len(rows) == 1
    assert rows[0].payload["to"] == [end_user.email]
    assert incident.number in rows[0].payload["subject"]
    assert rows[0].status == "pending"
    # Nothing is sent on the request path, not even after commit: the worker sends it.
    assert mail.outbox == []
    assert send_email_task(rows[0].pk) == 1
    assert [m.to for m in mail.outbox] == [[end_user.email]]
    assert send_email_task(rows[0].pk) == 0  # delivered twice, sent once
    assert len(mail.outbox) == 1


def test_requester_without_email_gets_no_outbox_row(end_user: User) -> None:
    end_user.email = ""
    end_user.save()
    services.incident_create(requester=end_user, title="No address")
    assert _emails() == []


def test_resolving_writes_one_email(
    incident: Incident,
    agent_l1: User,
    end_user: User,
    service: Service,
    django_capture_on_commit_callbacks: Any,
) -> None:
    incident = to_status(incident, agent_l1, service, S.DIAGNOSED)
    before = len(_emails())
    with django_capture_on_commit_callbacks(execute=True):
        incident = resolve(incident, agent_l1, resolution_notes="Restarted the relay")
    rows = _emails()[before:]
    assert len(rows) == 1
    assert rows[0].payload["to"] == [end_user.email]
    assert "Restarted the relay" in rows[0].payload["body"]
    assert mail.outbox == []


def test_a_refused_resolve_writes_no_email(
    incident: Incident, agent_l1: User, service: Service
) -> None:
    incident = to_status(incident, agent_l1, service, S.DIAGNOSED)
    before = len(_emails())
    with pytest.raises(ValidationFailed):
        resolve(incident, agent_l1, resolution_notes="")
    with pytest.raises(ConflictError):
        resolve(incident, agent_l1, expected_version=incident.version - 1)
    assert len(_emails()) == before


def test_outbox_row_is_rolled_back_with_the_change(end_user: User) -> None:
    class RollbackError(Exception):
        pass

    def create_then_fail() -> None:
        with transaction.atomic():
            services.incident_create(requester=end_user, title="Rolled back")
            raise RollbackError

    with pytest.raises(RollbackError):
        create_then_fail()
    assert Incident.objects.count() == 0
    assert _emails() == []


def test_internal_note_writes_no_email_and_public_reply_writes_one(
    incident: Incident,
    agent_l1: User,
    end_user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    before = len(_emails())
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_comment(
            incident, author=agent_l1, body="Looks like DNS", is_internal=True
        )
    assert len(_emails()) == before

    with django_capture_on_commit_callbacks(execute=True):
        services.incident_comment(incident, author=agent_l1, body="We are on it", is_internal=False)
    rows = _emails()[before:]
    assert len(rows) == 1
    assert rows[0].payload["to"] == [end_user.email]
    assert "We are on it" in rows[0].payload["body"]

    # The requester's own reply is not mailed back to them.
    services.incident_comment(incident, author=end_user, body="Thanks", is_internal=False)
    assert len(_emails()) == before + 1
    assert mail.outbox == []
