"""Recurring-incident detection on fixtures, and accepting or dismissing its proposals."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.exceptions import ConflictError
from incidents.choices import Category, IncidentStatus
from problems.choices import ProblemStatus, ProposalStatus
from problems.models import ProblemIncident, RecurrenceProposal
from problems.recurrence import proposal_accept, proposal_dismiss, proposals_detect
from problems.services import problem_link_incident
from problems.tasks import detect_recurring_task
from tests.factories import ServiceFactory
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def recent(make_incident):
    """n incidents reported within the last days, on the shared service by default."""

    def make(n, *, days_ago=1, **fields):
        at = timezone.now() - timedelta(days=days_ago)
        status = fields.pop("status", IncidentStatus.CLASSIFIED)
        return [
            make_incident(status, identified_at=at + timedelta(minutes=i), **fields)
            for i in range(n)
        ]

    return make


def test_finds_a_cluster_of_three_on_the_same_service_and_category(recent, service):
    incidents = recent(3)
    [proposal] = proposals_detect()
    assert (proposal.service, proposal.category, proposal.status) == (
        service,
        Category.SOFTWARE,
        ProposalStatus.OPEN,
    )
    assert proposal.incident_count == 3
    assert set(proposal.incidents.all()) == set(incidents)
    assert proposal.first_seen_at == incidents[0].created_at
    assert proposal.last_seen_at == incidents[-1].created_at


def test_ignores_clusters_below_the_threshold(recent):
    recent(2)
    assert proposals_detect() == []
    assert not RecurrenceProposal.objects.exists()


def test_groups_by_service_and_category(recent, l1_group):
    other = ServiceFactory(name="VPN", owner_group=l1_group)
    recent(2)
    recent(1, service=other)
    recent(1, category=Category.NETWORK)
    assert proposals_detect() == []


def test_ignores_incidents_outside_the_window_and_cancelled_ones(recent):
    recent(2)
    recent(1, days_ago=8)
    recent(1, status=IncidentStatus.CANCELLED)
    assert proposals_detect() == []


def test_ignores_already_linked_incidents(recent, agent_l1, service):
    incidents = recent(3)
    problem = ProblemFactory(service=service)
    problem_link_incident(problem, incident=incidents[0], actor=agent_l1)
    assert proposals_detect() == []


def test_the_rule_reads_its_parameters_from_settings(recent, settings):
    recent(2)
    settings.PROBLEM_RECURRENCE_MIN_INCIDENTS = 2
    assert len(proposals_detect()) == 1
    settings.PROBLEM_RECURRENCE_WINDOW_DAYS = 1
    settings.PROBLEM_RECURRENCE_MIN_INCIDENTS = 1
    recent(1, days_ago=3, category=Category.DATA)
    assert proposals_detect() == []


def test_never_proposes_the_same_cluster_twice(recent):
    recent(3)
    assert len(proposals_detect()) == 1
    assert proposals_detect() == []
    assert detect_recurring_task() == 0
    assert RecurrenceProposal.objects.count() == 1


def test_new_incidents_join_the_open_proposal(recent):
    recent(3)
    [proposal] = proposals_detect()
    [late] = recent(1, days_ago=0)
    assert proposals_detect() == []
    proposal.refresh_from_db()
    assert proposal.incident_count == 4
    assert late in proposal.incidents.all()
    assert proposal.last_seen_at == late.created_at


def test_dismiss_sticks(recent, agent_l1):
    recent(3)
    [proposal] = proposals_detect()
    proposal_dismiss(proposal, actor=agent_l1)
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by) == (ProposalStatus.DISMISSED, agent_l1)
    # More of the same afterwards: the dismissed incidents do not count again, and the new
    # one alone is below the threshold.
    recent(1, days_ago=0)
    assert proposals_detect() == []
    assert RecurrenceProposal.objects.count() == 1
    with pytest.raises(ConflictError):
        proposal_dismiss(proposal, actor=agent_l1)


def test_accept_creates_the_problem_and_links_the_incidents(recent, agent_l1, service):
    incidents = recent(3, priority=2)
    cancelled_later = incidents[2]
    [proposal] = proposals_detect()
    cancelled_later.status = IncidentStatus.CANCELLED
    cancelled_later.save(update_fields=["status"])

    problem = proposal_accept(proposal, actor=agent_l1, title="")

    assert problem.status == ProblemStatus.NEW
    assert (problem.service, problem.category, problem.priority) == (service, Category.SOFTWARE, 2)
    assert problem.title == f"Recurring software incidents on {service.name}"
    assert set(problem.incidents.all()) == set(incidents[:2])
    proposal.refresh_from_db()
    assert (proposal.status, proposal.problem, proposal.decided_by) == (
        ProposalStatus.ACCEPTED,
        problem,
        agent_l1,
    )
    with pytest.raises(ConflictError):
        proposal_accept(proposal, actor=agent_l1)
    assert ProblemIncident.objects.count() == 2
    assert proposals_detect() == []


def test_accept_takes_a_title(recent, agent_l1):
    recent(3)
    [proposal] = proposals_detect()
    assert (
        proposal_accept(proposal, actor=agent_l1, title="Outlook crashes").title
        == "Outlook crashes"
    )


def test_a_concurrent_run_that_stored_the_cluster_first_wins(recent, service):
    incidents = recent(3)
    # Another run computed the same cluster and committed its proposal between this run's
    # query and its insert: the unique key refuses the second copy and the run moves on.
    RecurrenceProposal.objects.create(
        cluster_key=f"{service.pk}:software:{min(i.pk for i in incidents)}",
        service=service,
        category=Category.SOFTWARE,
        status=ProposalStatus.DISMISSED,  # decided already, so nothing joins it
        incident_count=3,
        first_seen_at=incidents[0].created_at,
        last_seen_at=incidents[-1].created_at,
        created_at=timezone.now(),
    )
    assert proposals_detect() == []
    assert RecurrenceProposal.objects.count() == 1
