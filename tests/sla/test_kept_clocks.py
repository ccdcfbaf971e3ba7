"""One ticket's clocks through kept statements: `clocks_for_ticket` (the SLA API's clocks,
core.kept_objects.kept_objects_by under the database and the ticket's kind) and the agent page's
SLA panel (core.tickets.clocks.page_context, the kept statement of a list's clocks,
sla.row_clocks). Each gives the ticket's own clocks for two tickets in turn from one compiled
statement; a ticket of another kind with the same id reads its own; without a stand-in for the
id the clocks are read as before."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from changes.models import Change
from core import kept_objects as kept_objects_module
from core import kept_statements
from core.tickets import clocks as ticket_clocks
from core.tickets.kinds import kind_named
from incidents import services
from incidents.choices import Impact, Urgency
from sla import row_clocks
from sla.models import SlaClock
from sla.selectors import METRIC_ORDER, clock_status, clocks_for_ticket
from tests.kept import compiled_by

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def two_incidents(end_user, agent_l1, l1_group, incident_policies):
    """Two incidents with clocks, the second's response met an hour in."""
    with time_machine.travel(T0, tick=False):
        first = services.incident_create(
            requester=end_user, title="VPN drops", impact=Impact.LOW, urgency=Urgency.LOW
        )
        second = services.incident_create(
            requester=end_user, title="Mail down", impact=Impact.HIGH, urgency=Urgency.HIGH
        )
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        services.incident_accept(second, actor=agent_l1)
    return first, second


def _expected(ticket) -> list[SlaClock]:
    clocks = SlaClock.objects.filter(
        ticket_type=ContentType.objects.get_for_model(ticket), ticket_id=ticket.pk
    )
    return sorted(clocks, key=lambda c: (METRIC_ORDER.get(c.metric, 9), c.pk))


def _read(clocks) -> list[tuple[object, ...]]:
    return [(c.metric, c.state, c.due_at, c.warn_at, c.stopped_at, c.policy_id) for c in clocks]


def test_each_tickets_clocks_from_one_compiled_statement(two_incidents, monkeypatch):
    compiled = compiled_by(monkeypatch, kept_objects_module, "objects_statement")
    first, second = two_incidents
    for incident in (first, second, first):
        clocks = clocks_for_ticket(incident)
        assert clocks == _expected(incident)
        assert _read(clocks) == _read(_expected(incident))
        assert [c.snapshot for c in clocks] == [c.snapshot for c in _expected(incident)]
    assert len(compiled) == 1
    # Kept for every id, not per id (the ids of a big integer column go to psycopg as Int8).
    assert kept_objects_module._KEPT == {}


def test_a_ticket_of_another_kind_with_the_same_id_reads_its_own(two_incidents):
    first, _ = two_incidents
    assert clocks_for_ticket(first)
    change = Change(pk=first.pk)
    assert clocks_for_ticket(change) == []
    copied = clocks_for_ticket(first)[0]
    copied.pk = None
    copied.ticket_type = ContentType.objects.get_for_model(Change)
    copied.save()
    assert _read(clocks_for_ticket(change)) == _read([copied])
    assert _read(clocks_for_ticket(first)) == _read(_expected(first))


def test_without_a_stand_in_they_are_read_as_before(two_incidents, monkeypatch):
    monkeypatch.setattr(kept_statements, "STAND_INS", {})
    for incident in two_incidents:
        assert clocks_for_ticket(incident) == _expected(incident)


def test_the_panel_shows_each_tickets_clocks_from_one_compiled_statement(
    two_incidents, monkeypatch
):
    monkeypatch.setattr(row_clocks, "_STATEMENTS", {})
    compiled = compiled_by(monkeypatch, row_clocks, "rows_statement")
    kind = kind_named("incident")
    now = timezone.now()
    first, second = two_incidents
    for incident in (first, second, first):
        panel = ticket_clocks.page_context(incident, kind, now)
        expected = _expected(incident)
        assert [(c.status.metric, c.warn_at) for c in panel["sla_clocks"]] == [
            (c.metric, c.warn_at) for c in expected
        ]
        assert [c.status for c in panel["sla_clocks"]] == [clock_status(c, now) for c in expected]
    assert len(compiled) == 1
