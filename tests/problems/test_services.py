"""Problem services: creation, the lifecycle with its RCA guards, links from both sides, and
closing the loop (resolving the linked incidents with the fix)."""

import pytest
from django.contrib.contenttypes.models import ContentType

from core.choices import EventKind
from core.exceptions import ConflictError, TransitionError, ValidationFailed
from core.models import OutboxMessage, TimelineEvent
from incidents.choices import HoldReason, IncidentStatus, ResolutionCode
from incidents.models import Incident
from problems import services
from problems.choices import ProblemStatus
from problems.models import Problem, ProblemIncident
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db


def _events(ticket: Problem | Incident) -> list[TimelineEvent]:
    return list(
        TimelineEvent.objects.filter(
            ticket_type=ContentType.objects.get_for_model(ticket), ticket_id=ticket.pk
        ).order_by("id")
    )


def _investigating(agent, service) -> Problem:
    problem = services.problem_create(actor=agent, title="Mail bounces", service=service)
    return services.problem_investigate(problem, actor=agent)


# --- creation -------------------------------------------------------------------------------


def test_create_numbers_the_problem_and_records_the_event(agent_l1, service):
    problem = services.problem_create(
        actor=agent_l1, title="  Mail bounces  ", service=service, symptoms="Bounce 550"
    )
    assert problem.number.startswith("PRB-")
    assert (problem.title, problem.status, problem.requester) == (
        "Mail bounces",
        ProblemStatus.NEW,
        agent_l1,
    )
    assert problem.support_group == service.owner_group
    [created] = _events(problem)
    assert (created.kind, created.to_status, created.actor) == (
        EventKind.CREATED,
        ProblemStatus.NEW,
        agent_l1,
    )
    second = services.problem_create(actor=agent_l1, title="Another")
    assert int(second.number[4:]) == int(problem.number[4:]) + 1


def test_end_users_cannot_create_problems(end_user):
    with pytest.raises(TransitionError, match="Only agents"):
        services.problem_create(actor=end_user, title="Mine")
    assert not Problem.objects.exists()


def test_create_refuses_bad_input_and_stores_nothing(agent_l1, service):
    with pytest.raises(ValidationFailed) as refused:
        services.problem_create(actor=agent_l1, title="   ")
    assert "title" in refused.value.errors
    with pytest.raises(ValidationFailed) as refused:
        services.problem_create(actor=agent_l1, title="x", category="bogus")
    assert "category" in refused.value.errors
    assert not Problem.objects.exists()


# --- lifecycle and RCA guards ---------------------------------------------------------------


def test_known_error_needs_root_cause_and_workaround(agent_l1, service):
    problem = _investigating(agent_l1, service)
    with pytest.raises(ValidationFailed) as refused:
        services.problem_record_known_error(problem, actor=agent_l1, root_cause="", workaround=" ")
    assert set(refused.value.errors) == {"root_cause", "workaround"}
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.INVESTIGATING
    assert problem.known_error_at is None

    known = services.problem_record_known_error(
        problem, actor=agent_l1, root_cause="Expired cert", workaround="Use webmail"
    )
    assert known.status == ProblemStatus.KNOWN_ERROR
    assert known.known_error_at is not None
    assert (known.root_cause, known.workaround) == ("Expired cert", "Use webmail")
    last = _events(known)[-1]
    assert (last.from_status, last.to_status) == (
        ProblemStatus.INVESTIGATING,
        ProblemStatus.KNOWN_ERROR,
    )


def test_known_error_uses_an_analysis_recorded_earlier(agent_l1, service):
    problem = _investigating(agent_l1, service)
    problem = services.problem_record_analysis(
        problem,
        actor=agent_l1,
        symptoms="Bounces",
        root_cause="Expired cert",
        workaround="Use webmail",
        permanent_fix="",
    )
    known = services.problem_record_known_error(
        problem, actor=agent_l1, root_cause=problem.root_cause, workaround=problem.workaround
    )
    assert known.status == ProblemStatus.KNOWN_ERROR


def test_resolve_needs_the_permanent_fix(agent_l1, service):
    problem = _investigating(agent_l1, service)
    with pytest.raises(ValidationFailed) as refused:
        services.problem_resolve(problem, actor=agent_l1, permanent_fix="", root_cause="Cert")
    assert set(refused.value.errors) == {"permanent_fix"}
    with pytest.raises(ValidationFailed) as refused:
        services.problem_resolve(problem, actor=agent_l1, permanent_fix="Renewed", root_cause="")
    assert set(refused.value.errors) == {"root_cause"}
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.INVESTIGATING
    result = services.problem_resolve(
        problem, actor=agent_l1, permanent_fix="Renewed the cert", root_cause="Expired cert"
    )
    assert result.problem.status == ProblemStatus.RESOLVED
    assert result.problem.resolved_at is not None
    assert result.outcomes == []


def test_a_known_error_keeps_its_published_workaround(agent_l1, known_error):
    with pytest.raises(ValidationFailed) as refused:
        services.problem_record_analysis(
            known_error,
            actor=agent_l1,
            symptoms="",
            root_cause=known_error.root_cause,
            workaround="",
            permanent_fix="",
        )
    assert set(refused.value.errors) == {"workaround"}
    known_error.refresh_from_db()
    assert known_error.workaround


def test_full_lifecycle_with_reopen_and_close(agent_l1, service):
    problem = _investigating(agent_l1, service)
    assert problem.assignee == agent_l1  # whoever starts investigating takes it if nobody had
    problem = services.problem_record_known_error(
        problem, actor=agent_l1, root_cause="Cert", workaround="Webmail"
    )
    problem = services.problem_resolve(problem, actor=agent_l1, permanent_fix="Renewed").problem
    with pytest.raises(ValidationFailed):
        services.problem_reopen(problem, actor=agent_l1, reason="  ")
    problem = services.problem_reopen(problem, actor=agent_l1, reason="Bounces again")
    assert (problem.status, problem.resolved_at) == (ProblemStatus.INVESTIGATING, None)
    problem = services.problem_resolve(
        problem, actor=agent_l1, permanent_fix="Auto-renewal"
    ).problem
    problem = services.problem_close(problem, actor=agent_l1)
    assert problem.status == ProblemStatus.CLOSED
    assert problem.closed_at is not None
    statuses = [(e.from_status, e.to_status) for e in _events(problem) if e.to_status]
    assert statuses == [
        ("", "new"),
        ("new", "investigating"),
        ("investigating", "known_error"),
        ("known_error", "resolved"),
        ("resolved", "investigating"),
        ("investigating", "resolved"),
        ("resolved", "closed"),
    ]
    with pytest.raises(TransitionError, match="cannot change anymore"):
        services.problem_cancel(problem, actor=agent_l1, cancel_reason="x")


def test_cancel_needs_a_reason(agent_l1, problem):
    with pytest.raises(ValidationFailed) as refused:
        services.problem_cancel(problem, actor=agent_l1, cancel_reason="")
    assert set(refused.value.errors) == {"cancel_reason"}
    cancelled = services.problem_cancel(problem, actor=agent_l1, cancel_reason="Duplicate of PRB-1")
    assert (cancelled.status, cancelled.cancel_reason) == (
        ProblemStatus.CANCELLED,
        "Duplicate of PRB-1",
    )


def test_an_illegal_transition_changes_nothing(agent_l1, problem):
    version = problem.version
    with pytest.raises(TransitionError, match="Cannot close a problem that is new"):
        services.problem_close(problem, actor=agent_l1)
    problem.refresh_from_db()
    assert (problem.status, problem.version) == (ProblemStatus.NEW, version)


def test_a_stale_version_is_a_conflict(agent_l1, problem):
    services.problem_investigate(problem, actor=agent_l1)
    with pytest.raises(ConflictError):
        services.problem_cancel(
            problem, actor=agent_l1, cancel_reason="x", expected_version=problem.version
        )


def test_end_users_cannot_move_a_problem(end_user, problem):
    with pytest.raises(TransitionError, match="Only agents"):
        services.problem_investigate(problem, actor=end_user)


# --- links ----------------------------------------------------------------------------------


def test_linking_records_events_on_both_timelines_and_leaves_the_incident_alone(
    agent_l1, problem, make_incident
):
    incident = make_incident(IncidentStatus.CLASSIFIED)
    before = (incident.status, incident.version, incident.on_hold_reason)
    services.problem_link_incident(problem, incident=incident, actor=agent_l1)
    incident.refresh_from_db()
    assert (incident.status, incident.version, incident.on_hold_reason) == before
    assert list(problem.incidents.all()) == [incident]
    problem_event = _events(problem)[-1]
    assert (problem_event.kind, problem_event.changes) == ("linked", {"other": incident.number})
    incident_event = _events(incident)[-1]
    assert (incident_event.kind, incident_event.changes) == ("linked", {"other": problem.number})
    assert incident_event.is_public is False


def test_linking_twice_is_refused(agent_l1, problem, make_incident):
    incident = make_incident()
    services.problem_link_incident(problem, incident=incident, actor=agent_l1)
    with pytest.raises(ValidationFailed, match="already linked"):
        services.problem_link_incident(problem, incident=incident, actor=agent_l1)
    assert ProblemIncident.objects.count() == 1


def test_linking_to_a_closed_problem_or_a_cancelled_incident_is_refused(
    agent_l1, service, make_incident
):
    closed = ProblemFactory(status=ProblemStatus.CLOSED, service=service)
    with pytest.raises(TransitionError, match="open problem"):
        services.problem_link_incident(closed, incident=make_incident(), actor=agent_l1)
    open_problem = ProblemFactory(service=service)
    with pytest.raises(TransitionError, match="cancelled"):
        services.problem_link_incident(
            open_problem, incident=make_incident(IncidentStatus.CANCELLED), actor=agent_l1
        )
    assert not ProblemIncident.objects.exists()


def test_end_users_cannot_link(end_user, problem, make_incident):
    with pytest.raises(TransitionError):
        services.problem_link_incident(problem, incident=make_incident(), actor=end_user)
    assert not ProblemIncident.objects.exists()


def test_unlink(agent_l1, problem, make_incident):
    incident = make_incident()
    services.problem_link_incident(problem, incident=incident, actor=agent_l1)
    services.problem_unlink_incident(problem, incident=incident, actor=agent_l1)
    assert not ProblemIncident.objects.exists()
    with pytest.raises(ValidationFailed, match="not linked"):
        services.problem_unlink_incident(problem, incident=incident, actor=agent_l1)


# --- closing the loop -----------------------------------------------------------------------


def _resolution_emails(incident: Incident) -> list[OutboxMessage]:
    return list(
        OutboxMessage.objects.filter(dedupe_key__startswith=f"incident:{incident.pk}:resolved:")
    )


def test_resolving_a_problem_resolves_its_open_linked_incidents_one_by_one(
    agent_l1, service, make_incident
):
    problem = services.problem_record_known_error(
        _investigating(agent_l1, service), actor=agent_l1, root_cause="Cert", workaround="Webmail"
    )
    diagnosed = make_incident(IncidentStatus.DIAGNOSED)
    classified = make_incident(IncidentStatus.CLASSIFIED)
    held = make_incident(
        IncidentStatus.ON_HOLD,
        on_hold_reason=HoldReason.AWAITING_PROBLEM,
        status_before_hold=IncidentStatus.DIAGNOSED,
    )
    logged = make_incident(IncidentStatus.LOGGED)
    major = make_incident(IncidentStatus.CLASSIFIED, is_major=True)
    already = make_incident(IncidentStatus.RESOLVED)
    for incident in (diagnosed, classified, held, logged, major, already):
        services.problem_link_incident(problem, incident=incident, actor=agent_l1)

    result = services.problem_resolve(
        problem,
        actor=agent_l1,
        permanent_fix="Renewed the certificate and enabled auto-renewal.",
        resolve_linked=True,
        incident_resolution_code=ResolutionCode.FIXED,
    )

    assert result.problem.status == ProblemStatus.RESOLVED
    assert {o.number for o in result.resolved} == {diagnosed.number, classified.number, held.number}
    refused = {o.number: o.reason for o in result.refused}
    assert set(refused) == {logged.number, major.number}
    assert "logged" in refused[logged.number]
    assert "contained first" in refused[major.number]
    for incident in (diagnosed, classified, held):
        incident.refresh_from_db()
        assert incident.status == IncidentStatus.RESOLVED
        assert incident.resolution_code == ResolutionCode.FIXED
        assert problem.number in incident.resolution_notes
        assert "auto-renewal" in incident.resolution_notes
        # Its own timeline event and its own requester email.
        resolved_events = [e for e in _events(incident) if e.to_status == IncidentStatus.RESOLVED]
        assert len(resolved_events) == 1
        assert resolved_events[0].is_public
        [email] = _resolution_emails(incident)
        assert email.payload["to"] == [incident.requester.email]
        assert incident.number in email.payload["subject"]
    for incident in (logged, major):
        incident.refresh_from_db()
        assert incident.status != IncidentStatus.RESOLVED
        assert not _resolution_emails(incident)
    held.refresh_from_db()
    assert held.on_hold_reason == ""
    already.refresh_from_db()
    assert not _resolution_emails(already)
    summary = _events(result.problem)[-1]
    assert summary.changes == {"resolved_incidents": 3, "not_resolved": 2}
    assert logged.number in summary.message


def test_incidents_left_open_can_be_resolved_later_and_a_rerun_touches_nothing_twice(
    agent_l1, service, make_incident
):
    problem = _investigating(agent_l1, service)
    logged = make_incident(IncidentStatus.LOGGED)
    services.problem_link_incident(problem, incident=logged, actor=agent_l1)
    result = services.problem_resolve(
        problem, actor=agent_l1, permanent_fix="Patched", root_cause="Bug", resolve_linked=True
    )
    assert [o.number for o in result.refused] == [logged.number]
    Incident.objects.filter(pk=logged.pk).update(status=IncidentStatus.CLASSIFIED)
    outcomes = services.problem_resolve_linked_incidents(
        result.problem, actor=agent_l1, resolution_code=ResolutionCode.WORKAROUND
    )
    assert [(o.number, o.resolved) for o in outcomes] == [(logged.number, True)]
    logged.refresh_from_db()
    assert logged.resolution_code == ResolutionCode.WORKAROUND
    assert services.problem_resolve_linked_incidents(result.problem, actor=agent_l1) == []
    assert len(_resolution_emails(logged)) == 1


def test_closing_the_loop_refuses_other_codes_and_unresolved_problems(agent_l1, problem):
    with pytest.raises(ValidationFailed):
        services.problem_resolve_linked_incidents(
            problem, actor=agent_l1, resolution_code=ResolutionCode.USER_ERROR
        )
    with pytest.raises(TransitionError, match="not resolved"):
        services.problem_resolve_linked_incidents(problem, actor=agent_l1)
