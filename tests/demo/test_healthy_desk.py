"""The data set `make run` loads looks like a healthy desk on the manager's dashboard, and its
SLA history is the one the engine and the sweeper would have written.

The demo's history is laid out backwards from the moment it is seeded, and business-hours
clocks depend on the weekday and the holidays around that moment, so these checks seed it at
fixed ordinary moments (time frozen) instead of whenever the suite happens to run.
"""

from datetime import datetime

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Q

from core.choices import EventKind, Tier
from core.models import TimelineEvent
from incidents.models import Incident
from incidents.transitions import OPEN_STATUSES
from problems.choices import ProposalStatus
from problems.models import RecurrenceProposal
from reporting.dashboard_filters import dashboard_query
from reporting.metrics.mtbf import mtbf
from reporting.metrics.summary import summary
from sla.choices import ClockState
from sla.models import SlaClock
from tests.demo.seeding import seed

pytestmark = pytest.mark.django_db

# A Wednesday morning in November and a Tuesday afternoon in March (Berlin time), away from
# public holidays and daylight-saving changes.
MOMENTS = ("2026-11-18T10:00:00+01:00", "2027-03-02T15:30:00+01:00")


@pytest.fixture(params=MOMENTS)
def seeded_at(request: pytest.FixtureRequest) -> datetime:
    moment = datetime.fromisoformat(request.param)
    with time_machine.travel(moment, tick=False):
        seed()
    return moment


def test_the_dashboard_tiles_look_like_a_healthy_desk(seeded_at: datetime) -> None:
    with time_machine.travel(seeded_at, tick=False):
        report = dashboard_query({}).report
        assert report is not None
        tiles = summary(report)
        outages = mtbf(report)

    response, resolution = tiles.compliance.response.rate, tiles.compliance.resolution.rate
    assert response is not None and 0.85 <= response <= 0.95, tiles.compliance.response
    assert resolution is not None and 0.75 <= resolution <= 0.90, tiles.compliance.resolution
    assert tiles.mttr.business.count > 0 and tiles.mttr.business.mean
    assert tiles.mtta.business.count > 0
    assert tiles.reopen is not None and tiles.reopen.rate is not None
    assert 0 < tiles.reopen.rate < 0.2
    assert tiles.satisfaction is not None and 3.0 <= tiles.satisfaction <= 4.8
    assert tiles.ratings >= 10
    assert tiles.first_contact.rate is not None and 0.6 <= tiles.first_contact.rate < 1
    assert tiles.backlog > 0
    failed = [row for row in outages.services if row.failures]
    assert failed and all(row.mtbf_seconds for row in failed)
    # Outages end when the service is back (a workaround, often hours before the fix): no
    # service is down for more than a few percent of the 30-day period.
    period = 30 * 86400
    assert all(row.outage_seconds < 0.05 * period for row in outages.services), [
        (row.name, row.outage_seconds / 3600) for row in outages.services
    ]
    assert RecurrenceProposal.objects.filter(status=ProposalStatus.OPEN).exists()


def test_clocks_breach_only_while_running_and_at_their_due_time(seeded_at: datetime) -> None:
    clocks = SlaClock.objects.filter(ticket_type=ContentType.objects.get_for_model(Incident))
    breached = clocks.filter(breached_at__isnull=False)
    assert breached.exists()
    assert not breached.exclude(breached_at=F("due_at")).exists()
    assert not clocks.filter(state=ClockState.BREACHED, breached_at__isnull=True).exists()
    # Paused time never counts against a clock: a paused clock carries a breach only if it
    # ran past its due time before the hold.
    paused = clocks.filter(state=ClockState.PAUSED)
    assert paused.exists()
    assert not paused.filter(breached_at__isnull=False, due_at__gte=F("paused_at")).exists()
    # Running clocks are breached exactly when they are past due.
    running = clocks.filter(state=ClockState.RUNNING)
    assert not running.filter(
        Q(due_at__lte=seeded_at, breached_at__isnull=True)
        | Q(due_at__gt=seeded_at, breached_at__isnull=False)
    ).exists()
    # Only some open tickets are overdue: a desk that keeps up.
    open_incidents = Incident.objects.filter(status__in=OPEN_STATUSES)
    overdue = open_incidents.filter(sla_due_at__lte=seeded_at).count()
    assert 0 < overdue <= 0.4 * open_incidents.count()


def _tier_after(events: list[TimelineEvent], *, first_tier: int) -> tuple[int, list[str]]:
    """Replay the tier moves of one ticket's timeline as the sweeper and classification make
    them; return the tier it ends at and what does not add up."""
    tier, wrong = first_tier, []
    for event in events:
        changes = event.changes or {}
        if event.kind == EventKind.STATUS_CHANGED and "tier" in changes:
            tier = int(changes["tier"])
        elif event.kind == EventKind.ESCALATED:
            if changes["from_tier"] != tier or changes["to_tier"] != tier + 1:
                wrong.append(f"moved {changes['from_tier']}->{changes['to_tier']} at L{tier}")
            tier = int(changes["to_tier"])
        elif event.kind == EventKind.SLA and "already at L3" in event.message and tier != Tier.L3:
            wrong.append(f"said it was at L3 at L{tier}")
    return tier, wrong


def test_every_breached_open_ticket_sits_at_the_tier_the_rules_put_it(
    seeded_at: datetime,
) -> None:
    ticket_type = ContentType.objects.get_for_model(Incident)
    breaches: dict[int, list[SlaClock]] = {}
    for clock in SlaClock.objects.filter(ticket_type=ticket_type, breached_at__isnull=False):
        breaches.setdefault(clock.ticket_id, []).append(clock)
    breached_open = Incident.objects.filter(status__in=OPEN_STATUSES, pk__in=list(breaches))
    assert breached_open.count() >= 3
    events: dict[int, list[TimelineEvent]] = {}
    for event in TimelineEvent.objects.filter(
        ticket_type=ticket_type, ticket_id__in=list(breaches)
    ).order_by("created_at", "id"):
        events.setdefault(event.ticket_id, []).append(event)
    problems = []
    for incident in breached_open:
        history = events[incident.pk]
        # Each breach escalated one tier when it happened (a note at L3, the top); a ticket
        # escalated before classification may be classified back to a lower tier's group.
        acted = sorted(
            event.created_at
            for event in history
            if event.kind == EventKind.ESCALATED
            or (event.kind == EventKind.SLA and "breached" in event.message)
        )
        due = sorted(clock.breached_at for clock in breaches[incident.pk] if clock.breached_at)
        if acted != due:
            problems.append(f"{incident.number}: escalated at {acted}, breached at {due}")
        tier, wrong = _tier_after(history, first_tier=Tier.L1)
        problems += [f"{incident.number}: {fault}" for fault in wrong]
        group_tier = incident.support_group.tier if incident.support_group else None
        if tier != incident.tier or group_tier != incident.tier:
            problems.append(f"{incident.number}: at L{incident.tier}, its history says L{tier}")
    assert problems == []


def test_no_demo_text_keeps_a_placeholder(seeded: str) -> None:
    """The failure templates' {site} and {ci} are filled in, in titles and descriptions."""
    placeholder = Q(title__contains="{") | Q(description__contains="{")
    assert not Incident.objects.filter(placeholder).exists()
    assert Incident.objects.filter(description__contains="Reported from").exists()
