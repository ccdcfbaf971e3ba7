"""Demo SLA setup: a 24x7 calendar for P1, a Berlin business-hours calendar with the German
public holidays of 2026 and 2027 for the rest, incident policies with two warning thresholds,
and clocks for the demo's open incidents as if they had lived (past warnings and breaches count
as already handled, so the sweeper does not replay months of history on the first tick)."""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Min, OuterRef, Subquery
from django.utils import timezone

from core.models import TicketBase
from sla.choices import ClockState, Metric, ThresholdAction
from sla.models import Calendar, Holiday, SlaClock, SlaPolicy, SlaThreshold, WorkingHours
from sla.services import policy_for
from sla.snapshot import snapshot_of, threshold_instants

GERMAN_HOLIDAYS = {
    date(2026, 1, 1): "New Year's Day",
    date(2026, 4, 3): "Good Friday",
    date(2026, 4, 6): "Easter Monday",
    date(2026, 5, 1): "Labour Day",
    date(2026, 5, 14): "Ascension Day",
    date(2026, 5, 25): "Whit Monday",
    date(2026, 10, 3): "German Unity Day",
    date(2026, 12, 25): "Christmas Day",
    date(2026, 12, 26): "Boxing Day",
    date(2027, 1, 1): "New Year's Day",
    date(2027, 3, 26): "Good Friday",
    date(2027, 3, 29): "Easter Monday",
    date(2027, 5, 1): "Labour Day",
    date(2027, 5, 6): "Ascension Day",
    date(2027, 5, 17): "Whit Monday",
    date(2027, 10, 3): "German Unity Day",
    date(2027, 12, 25): "Christmas Day",
    date(2027, 12, 26): "Boxing Day",
}

# priority -> (response, resolution, 24x7?)
INCIDENT_TARGETS = {
    1: (timedelta(minutes=15), timedelta(hours=4), True),
    2: (timedelta(minutes=30), timedelta(hours=8), False),
    3: (timedelta(hours=2), timedelta(hours=20), False),
    4: (timedelta(hours=4), timedelta(hours=40), False),
    5: (timedelta(hours=8), timedelta(hours=100), False),
}

# Service requests, all on the business-hours calendar (10 h a day): priority -> (start
# fulfilment, fulfil). P3, the catalog's default: respond in 4 h, fulfil in 3 business days.
REQUEST_TARGETS = {
    1: (timedelta(hours=1), timedelta(hours=10)),
    2: (timedelta(hours=2), timedelta(hours=20)),
    3: (timedelta(hours=4), timedelta(hours=30)),
    4: (timedelta(hours=8), timedelta(hours=50)),
    5: (timedelta(hours=16), timedelta(hours=100)),
}


def seed_sla_demo() -> dict[str, int]:
    """Create the demo calendars and policies (idempotent)."""
    with transaction.atomic():
        always, office = _calendars()
        for priority, (response, resolution, around_the_clock) in INCIDENT_TARGETS.items():
            _policy(
                "incident",
                priority,
                name=f"Incidents P{priority}",
                targets=(response, resolution),
                calendar=always if around_the_clock else office,
                thresholds=[(75, ThresholdAction.NOTIFY), (90, ThresholdAction.NOTIFY_MANAGER)],
            )
        for priority, targets in REQUEST_TARGETS.items():
            _policy(
                "request",
                priority,
                name=f"Requests P{priority}",
                targets=targets,
                calendar=office,
                thresholds=[(75, ThresholdAction.NOTIFY)],
            )
    return {"calendars": Calendar.objects.count(), "policies": SlaPolicy.objects.count()}


def _calendars() -> tuple[Calendar, Calendar]:
    """The 24x7 calendar and the Berlin office calendar with its hours and holidays."""
    always, _ = Calendar.objects.get_or_create(
        name="24x7",
        defaults={
            "timezone": "UTC",
            "is_24x7": True,
            "description": "Around the clock, for P1 incidents.",
        },
    )
    office, created = Calendar.objects.get_or_create(
        name="Business hours",
        defaults={
            "timezone": "Europe/Berlin",
            "description": "Mon-Fri 08:00-18:00 Berlin, German public holidays.",
        },
    )
    if created:
        WorkingHours.objects.bulk_create(
            WorkingHours(calendar=office, weekday=day, start=time(8), end=time(18))
            for day in range(5)
        )
    known = set(office.holidays.values_list("date", flat=True))
    Holiday.objects.bulk_create(
        Holiday(calendar=office, date=day, name=name)
        for day, name in GERMAN_HOLIDAYS.items()
        if day not in known
    )
    return always, office


def _policy(
    kind: str,
    priority: int,
    *,
    name: str,
    targets: tuple[timedelta, timedelta],
    calendar: Calendar,
    thresholds: list[tuple[int, str]],
) -> None:
    """An active policy for (kind, priority) on every service, created with its thresholds
    when there is none."""
    policy, created = SlaPolicy.objects.get_or_create(
        ticket_kind=kind,
        priority=priority,
        service=None,
        is_active=True,
        defaults={
            "name": name,
            "response_target": targets[0],
            "resolution_target": targets[1],
            "calendar": calendar,
        },
    )
    if created:
        SlaThreshold.objects.bulk_create(
            [
                SlaThreshold(policy=policy, percent=percent, action=action)
                for percent, action in thresholds
            ]
        )


def backfill_clocks(
    tickets: Sequence[TicketBase],
    *,
    kind: str,
    responded_at: dict[int, datetime | None],
    paused_since: dict[int, datetime] | None = None,
) -> int:
    """Clocks for demo tickets that have none. `responded_at` maps ticket id -> first response
    time (None if not yet); `paused_since` marks tickets on hold. Stages already past are marked
    processed."""
    paused_since = paused_since or {}
    now = timezone.now()
    content_type = ContentType.objects.get_for_model(type(tickets[0])) if tickets else None
    have = set(
        SlaClock.objects.filter(
            ticket_type=content_type, ticket_id__in=[t.pk for t in tickets]
        ).values_list("ticket_id", flat=True)
    )
    clocks = []
    for ticket in tickets:
        if ticket.pk in have:
            continue
        policy = policy_for(kind=kind, priority=ticket.priority, service=ticket.service)
        if policy is None:
            continue
        for metric in (Metric.RESPONSE, Metric.RESOLUTION):
            stopped = responded_at.get(ticket.pk) if metric == Metric.RESPONSE else None
            clocks.append(
                _lived_clock(
                    ticket,
                    policy,
                    metric,
                    content_type=content_type,
                    stopped=stopped,
                    paused=paused_since.get(ticket.pk),
                    now=now,
                )
            )
    SlaClock.objects.bulk_create(clocks, batch_size=1000)
    if tickets and content_type is not None:
        _refresh_due(type(tickets[0]), content_type, [t.pk for t in tickets])
    return len(clocks)


def _lived_clock(
    ticket: TicketBase,
    policy: SlaPolicy,
    metric: str,
    *,
    content_type: ContentType | None,
    stopped: datetime | None,
    paused: datetime | None,
    now: datetime,
) -> SlaClock:
    """The clock `metric` of `ticket` under `policy` as if it had run since the ticket was
    created: met or breached if `stopped`, paused since `paused`, past stages processed; a
    breach dated at the due time, and only if the clock ran past it."""
    snapshot = snapshot_of(policy, metric)
    instants = threshold_instants(snapshot, ticket.created_at, [])
    due = instants[-1]
    stage = sum(1 for instant in instants if instant is not None and instant <= now)
    pauses: list[list[str | None]] = []
    if stopped is not None:
        state = ClockState.MET if due and stopped <= due else ClockState.BREACHED
    elif paused is not None:
        state = ClockState.PAUSED
        pauses = [[paused.isoformat(), None]]
    else:
        state = ClockState.RUNNING
    return SlaClock(
        ticket_type=content_type,
        ticket_id=ticket.pk,
        metric=metric,
        policy=policy,
        snapshot=snapshot,
        state=state,
        started_at=ticket.created_at,
        target=timedelta(seconds=snapshot["target_seconds"]),
        due_at=due,
        warn_at=instants[0] if len(instants) > 1 else None,
        next_deadline_at=(
            instants[stage] if state == ClockState.RUNNING and stage < len(instants) else None
        ),
        stage=stage,
        breached_at=_breached_at(state, due, stopped=stopped, paused=paused, now=now),
        stopped_at=stopped,
        pauses=pauses,
        paused_at=paused if pauses else None,
        updated_at=now,
    )


def _breached_at(
    state: str,
    due: datetime | None,
    *,
    stopped: datetime | None,
    paused: datetime | None,
    now: datetime,
) -> datetime | None:
    """The due time, if the clock passed it while it ran (dated then, as the sweeper does):
    before it stopped, before the hold, or by now. Paused time never counts against it."""
    if due is None or state == ClockState.MET:
        return None
    until = stopped or paused or now
    return due if due < until or (state == ClockState.RUNNING and due <= now) else None


def _refresh_due(model: type[TicketBase], content_type: ContentType, ids: list[int]) -> None:
    running = SlaClock.objects.filter(
        ticket_type=content_type, ticket_id=OuterRef("pk"), state=ClockState.RUNNING
    ).order_by()
    nearest_due = running.values("ticket_id").annotate(m=Min("due_at")).values("m")
    nearest_warn = running.values("ticket_id").annotate(m=Min("warn_at")).values("m")
    model._default_manager.filter(pk__in=ids).update(
        sla_due_at=Subquery(nearest_due), sla_warn_at=Subquery(nearest_warn)
    )
