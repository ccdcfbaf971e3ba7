"""Replay = stored over the demo generator's incidents (every status, holds, reopens, business
hours and 24x7 policies): zero mismatches, in a bounded number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import TimelineEvent
from core.tickets.kinds import kind_named
from incidents.choices import IncidentStatus
from incidents.models import Incident
from sla.replay.compare import compare_tickets
from sla.replay.inputs import batches
from tests.demo.seeding import seed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_demo_incidents_replay_to_their_stored_clocks() -> None:
    """Every incident, the cancelled ones included (their clocks are cancelled, or met when
    the response came first, as the engine leaves them)."""
    seed(incidents=300)
    ids = list(Incident.objects.values_list("pk", flat=True))
    assert Incident.objects.filter(status=IncidentStatus.CANCELLED).exists()
    tally, first = compare_tickets(kind_named("incident"), ids, timezone.now())
    assert tally.tickets == len(ids) >= 300
    assert tally.clocks == 2 * tally.tickets
    assert [str(m) for m in first] == []


def test_a_batch_costs_the_same_queries_for_1_and_200_tickets() -> None:
    seed(incidents=200)
    kind = kind_named("incident")
    ids = list(Incident.objects.order_by("pk").values_list("pk", flat=True))
    # One ticket whose timeline names a service, as most of the 200 do: a batch naming no
    # service skips that query (Django answers `name__in=[]` without asking the database).
    named = (
        TimelineEvent.objects.filter(ticket_id__in=ids, changes__has_key="service")
        .order_by("ticket_id")
        .values_list("ticket_id", flat=True)
        .first()
    )
    assert named is not None
    counts = []
    for wanted in ([named], ids[:200]):
        with CaptureQueriesContext(connection) as queries:
            list(batches(kind, wanted))
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 5
