"""core.tickets.panel_rows: one statement says which of a ticket's panels have rows; "no rows"
is never wrong, and the answers are kept on the ticket for the request. A ticket read through its
kind's selector brings the same answers in its own statement."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.links import link_add
from core.tickets.kinds import kind_named
from core.tickets.panel_rows import FILES, LINKED_FROM, LINKED_TO, _registered, has_panel_rows
from oncall.paging.ticket_panel import PAGES
from problems.models import ProblemIncident
from problems.panel_rows import LINKED_PROBLEMS
from tests.factories import IncidentFactory
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db


def _fresh(incident):
    """The incident as a new request reads it (no answers kept)."""
    return type(incident).objects.get(pk=incident.pk)


def test_a_ticket_without_rows_has_none_in_one_statement():
    incident = IncidentFactory()
    ContentType.objects.get_for_model(incident)  # cached per process, as in a running site
    with CaptureQueriesContext(connection) as queries:
        names = (FILES, LINKED_FROM, LINKED_TO, PAGES, LINKED_PROBLEMS)
        assert not any(has_panel_rows(incident, name) for name in names)
    assert len(queries) == 1


def test_each_panel_sees_its_own_rows():
    incident, other = IncidentFactory(), IncidentFactory()
    link_add(source=other, target=incident)
    problem = ProblemFactory()
    ProblemIncident.objects.create(
        problem=problem, incident=incident, linked_by=problem.requester, linked_at=timezone.now()
    )
    incident = _fresh(incident)
    assert has_panel_rows(incident, LINKED_FROM) and not has_panel_rows(incident, LINKED_TO)
    assert has_panel_rows(incident, LINKED_PROBLEMS) and not has_panel_rows(incident, PAGES)
    other = _fresh(other)
    assert has_panel_rows(other, LINKED_TO) and not has_panel_rows(other, LINKED_FROM)
    assert not has_panel_rows(other, LINKED_PROBLEMS)


def test_an_unregistered_panel_reads_as_before():
    assert has_panel_rows(IncidentFactory(), "nobody.registered.this")


def test_a_ticket_read_by_its_kind_carries_the_answers_the_probe_gives(agent_l1):
    incident, other, bare = IncidentFactory(), IncidentFactory(), IncidentFactory()
    link_add(source=other, target=incident)
    problem = ProblemFactory()
    ProblemIncident.objects.create(
        problem=problem, incident=incident, linked_by=problem.requester, linked_at=timezone.now()
    )
    names = [name for name, _ in _registered("incident")]
    get = kind_named("incident").get_for_user
    for ticket in (incident, other, bare):
        get(agent_l1, ticket.number)  # the statement kept, as in a running site
        with CaptureQueriesContext(connection) as queries:
            read = get(agent_l1, ticket.number)
            answers = {name: has_panel_rows(read, name) for name in names}
        assert len(queries) == 1  # the ticket's own read: no probe of its own
        assert not any(name.startswith("panel_rows_") for name in vars(read))
        probed = _fresh(ticket)
        assert answers == {name: has_panel_rows(probed, name) for name in names}
    read = get(agent_l1, incident.number)
    assert has_panel_rows(read, LINKED_FROM) and has_panel_rows(read, LINKED_PROBLEMS)
    assert not has_panel_rows(get(agent_l1, bare.number), LINKED_PROBLEMS)
