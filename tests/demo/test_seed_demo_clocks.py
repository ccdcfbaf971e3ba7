"""SLA setup and clocks of seeded incidents: as the SLA engine would have them, for every
incident (a cancelled one's open clocks cancelled)."""

from datetime import UTC, datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Min,
    OuterRef,
    Q,
    Subquery,
)

from core.models import (
    Service,
)
from demo.rows import TimestampText
from incidents.choices import IncidentStatus
from incidents.models import Incident
from tests.demo.seeding import seed

pytestmark = pytest.mark.django_db


def test_demo_sla_setup_and_clocks_for_open_incidents(seeded: str) -> None:

    from incidents.transitions import OPEN_STATUSES
    from sla.choices import ClockState
    from sla.models import Calendar, SlaClock, SlaPolicy
    from sla.sweeper import sweep

    assert Calendar.objects.get(name="24x7").is_24x7
    office = Calendar.objects.get(name="Business hours")
    assert office.hours.count() == 5
    assert office.holidays.filter(date__year=2026).count() >= 9
    assert SlaPolicy.objects.get(ticket_kind="incident", priority=1).calendar.is_24x7
    assert not SlaPolicy.objects.filter(priority__gt=1, calendar__is_24x7=True).exists()
    # Every incident has its clocks, open, long closed or cancelled.
    clocked_ids = set(Incident.objects.values_list("pk", flat=True))
    # Service requests seeded by the demo have clocks too; these checks are about incidents.
    clocks = SlaClock.objects.filter(ticket_type=ContentType.objects.get_for_model(Incident))
    assert set(clocks.values_list("ticket_id", flat=True)) == clocked_ids
    closed = Incident.objects.exclude(status__in=[*OPEN_STATUSES, IncidentStatus.CANCELLED])
    assert not clocks.filter(ticket_id__in=closed.values("pk")).exclude(
        state__in=[ClockState.MET, ClockState.BREACHED]
    )
    cancelled = Incident.objects.filter(status=IncidentStatus.CANCELLED).values("pk")
    assert set(clocks.filter(ticket_id__in=cancelled).values_list("state", flat=True)) <= {
        ClockState.CANCELLED,
        ClockState.MET,  # a response before the cancellation
        ClockState.BREACHED,
    }
    on_hold = Incident.objects.filter(status=IncidentStatus.ON_HOLD).values_list("pk", flat=True)
    assert set(clocks.filter(ticket_id__in=on_hold).values_list("state", flat=True)) <= {
        ClockState.PAUSED,
        ClockState.MET,
        ClockState.BREACHED,
    }
    assert not clocks.filter(~Q(state=ClockState.RUNNING), next_deadline_at__isnull=False).exists()
    # History counts as handled: a sweep at the moment of seeding (the clocks' updated_at)
    # replays no months-old warning or breach. (Seconds later a young P1 ticket may well
    # reach its first warning: that one is live.)
    seeded_at = clocks.aggregate(at=Min("updated_at"))["at"]
    assert sweep(now=seeded_at).processed == 0
    seed()
    assert set(clocks.values_list("ticket_id", flat=True)) == clocked_ids


def test_open_incidents_carry_their_nearest_running_deadline(seeded: str) -> None:
    from django.db.models import Min

    from incidents.transitions import OPEN_STATUSES
    from sla.choices import ClockState
    from sla.models import SlaClock

    running = SlaClock.objects.filter(
        ticket_type=ContentType.objects.get_for_model(Incident),
        ticket_id=OuterRef("pk"),
        state=ClockState.RUNNING,
    ).order_by()
    nearest = Incident.objects.filter(status__in=OPEN_STATUSES).annotate(
        due=Subquery(running.values("ticket_id").annotate(m=Min("due_at")).values("m")),
        warn=Subquery(running.values("ticket_id").annotate(m=Min("warn_at")).values("m")),
    )
    assert nearest.filter(due__isnull=False).exists()
    for incident in nearest:
        assert (incident.sla_due_at, incident.sla_warn_at) == (incident.due, incident.warn)
    assert (
        not Incident.objects.exclude(status__in=OPEN_STATUSES)
        .filter(sla_due_at__isnull=False)
        .exists()
    )


def test_seeded_clock_deadlines_are_the_sla_engines() -> None:
    import random
    from datetime import timedelta

    from demo.incidents.clocks import ClockPlanner
    from demo.sla import seed_sla_demo
    from sla.calendar import business_time_between
    from sla.snapshot import threshold_instants

    seed(incidents=0)
    seed_sla_demo()
    planner = ClockPlanner.for_services(
        list(Service.objects.values_list("pk", flat=True)),
        now=int(datetime.now(UTC).timestamp()),
        ticket_type_id=ContentType.objects.get_for_model(Incident).pk,
        times=TimestampText("+00:00"),
    )
    rng = random.Random(3)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    unique = {(t.policy_id, t.metric): t for metrics in planner.terms.values() for t in metrics}
    terms = list(unique.values())
    assert len(terms) == 10
    for term in terms:
        for _ in range(40):
            # Across two years: weekends, holidays, both daylight-saving switches.
            started = base + timedelta(seconds=rng.randrange(2 * 365 * 86_400))
            assert term.instants(started) == threshold_instants(term.snapshot, started, [])
            stopped = started + timedelta(seconds=rng.randrange(30 * 86_400))
            worked = business_time_between(started, stopped, term.calendar)
            assert term.worked(started, stopped, None) == int(worked.total_seconds())
            # A reopened incident's resolution clock: the time it sat resolved is a pause.
            paused = (started + (stopped - started) / 3, started + (stopped - started) / 2)
            pauses = [[paused[0].isoformat(), paused[1].isoformat()]]
            assert term.instants(started, paused) == threshold_instants(
                term.snapshot, started, pauses
            )


def test_stopped_seeded_clocks_record_their_working_time(seeded: str) -> None:
    from sla.choices import ClockState, Metric
    from sla.models import SlaClock
    from sla.services import clock_elapsed

    clocks = SlaClock.objects.filter(ticket_type=ContentType.objects.get_for_model(Incident))
    stopped = clocks.filter(stopped_at__isnull=False)
    assert stopped.exists()
    assert set(stopped.values_list("state", flat=True)) <= {ClockState.MET, ClockState.BREACHED}
    assert not clocks.filter(stopped_at__isnull=True, elapsed_business_seconds__isnull=False)
    reopened = Incident.objects.filter(reopen_count__gt=0).values("pk")
    resolution = stopped.filter(metric=Metric.RESOLUTION)
    samples = [*stopped[:25], *resolution.filter(ticket_id__in=reopened)[:10]]
    assert any(clock.pauses for clock in samples)
    for clock in samples:
        assert clock.stopped_at is not None
        assert (clock.elapsed_business_seconds, clock.paused_seconds) == clock_elapsed(
            clock.snapshot, clock.started_at, clock.stopped_at, clock.pauses
        )
        # Met or breached by its due time (which a reopen's pause moved), breached then.
        assert clock.due_at is not None
        late = clock.stopped_at > clock.due_at
        assert clock.state == (ClockState.BREACHED if late else ClockState.MET)
        assert clock.breached_at == (clock.due_at if late else None)
