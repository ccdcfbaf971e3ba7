"""Linking many incidents to a problem at once (problems.links.problem_link_incidents), as
accepting a recurrence proposal does: the same links and events as one by one, all or none, and
a number of statements that does not grow with the number of incidents."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.exceptions import TransitionError, ValidationFailed
from core.models import TimelineEvent
from incidents.choices import IncidentStatus
from problems import services
from problems.models import ProblemIncident
from problems.recurrence import proposal_accept, proposals_detect

pytestmark = pytest.mark.django_db


def _events(ticket) -> list[tuple[str, dict, str, bool]]:
    rows = TimelineEvent.objects.filter(
        ticket_type=ContentType.objects.get_for_model(ticket), ticket_id=ticket.pk
    ).order_by("id")
    return [(event.kind, event.changes, event.message, event.is_public) for event in rows]


def test_links_every_incident_with_an_event_on_both_timelines(agent_l1, problem, make_incident):
    incidents = [make_incident(title=f"Printer {n}") for n in range(3)]
    before = len(_events(problem))

    links = services.problem_link_incidents(problem, incidents=incidents, actor=agent_l1)

    assert [link.incident_id for link in links] == [incident.pk for incident in incidents]
    assert set(problem.incidents.all()) == set(incidents)
    assert _events(problem)[before:] == [
        ("linked", {"other": incident.number}, f"Linked {incident.number}: {incident.title}", False)
        for incident in incidents
    ]
    for incident in incidents:
        assert _events(incident)[-1] == (
            "linked",
            {"other": problem.number},
            f"Linked to problem {problem.number}: {problem.title}",
            False,
        )


def test_an_incident_named_twice_is_linked_once(agent_l1, problem, make_incident):
    incident = make_incident()
    services.problem_link_incidents(problem, incidents=[incident, incident], actor=agent_l1)
    assert ProblemIncident.objects.filter(problem=problem).count() == 1
    assert [kind for kind, *_ in _events(incident)].count("linked") == 1


def test_one_cancelled_incident_refuses_them_all(agent_l1, problem, make_incident):
    cancelled = make_incident(IncidentStatus.CANCELLED)
    incidents = [make_incident(), cancelled, make_incident()]
    events_before = TimelineEvent.objects.count()
    with pytest.raises(TransitionError, match=f"{cancelled.number} is cancelled"):
        services.problem_link_incidents(problem, incidents=incidents, actor=agent_l1)
    assert not ProblemIncident.objects.exists()
    assert TimelineEvent.objects.count() == events_before


def test_one_linked_already_refuses_them_all_and_is_named(agent_l1, problem, make_incident):
    first, second, third = make_incident(), make_incident(), make_incident()
    services.problem_link_incident(problem, incident=second, actor=agent_l1)
    events_before = TimelineEvent.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        services.problem_link_incidents(problem, incidents=[first, second, third], actor=agent_l1)
    assert refused.value.errors == {
        "incident": f"{second.number} is already linked to {problem.number}."
    }
    assert list(problem.incidents.all()) == [second]
    assert TimelineEvent.objects.count() == events_before


def test_statements_do_not_grow_with_the_incidents(agent_l1, service, make_incident):
    def statements(count: int) -> int:
        problem = services.problem_create(actor=agent_l1, title="Disk full", service=service)
        incidents = [make_incident() for _ in range(count)]
        with CaptureQueriesContext(connection) as queries:
            services.problem_link_incidents(problem, incidents=incidents, actor=agent_l1)
        assert ProblemIncident.objects.filter(problem=problem).count() == count
        return len(queries.captured_queries)

    assert statements(2) == statements(12)


def test_accepting_a_proposal_links_its_cluster_in_constant_statements(
    agent_l1, service, make_incident, settings
):
    settings.PROBLEM_RECURRENCE_MIN_INCIDENTS = 3

    def accept(count: int) -> int:
        for _ in range(count):
            make_incident()
        [proposal] = proposals_detect()
        with CaptureQueriesContext(connection) as queries:
            problem = proposal_accept(proposal, actor=agent_l1)
        assert problem.incidents.count() == count
        return len(queries.captured_queries)

    accept(3)  # once for what a process reads once (content types, settings)
    # Each cluster is linked once accepted: the next one is made of new incidents only.
    assert accept(3) == accept(15)
