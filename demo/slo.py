"""The demo's service level objectives, chosen from the outages the demo loaded so that each
state shows: one service has spent its availability budget (its normal changes then need the
extra approval), one has used part of it, one is healthy; and a response-time objective on the
busiest service's P1/P2 incidents.

The targets are the round figures a manager would set (99.9 %, 99.5 %, 99 %, 98 %...), picked
from that ladder by the downtime the demo's incidents already recorded over the last 28 days
(slo.queries, the same numbers the pages show), among services with no outage in the last 6
hours, so the first evaluation (run here) fires no page: it opens the "budget spent" episode
that the change rule and the pages read.

Idempotent: nothing is added when any objective exists.
"""

from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from django.db.models import Count
from django.utils import timezone

from core.models import Service, User
from core.roles import is_manager
from incidents.models import Incident
from slo.alerts import slo_evaluate
from slo.choices import ObjectiveKind
from slo.models import Objective
from slo.queries import downtime_by_service
from slo.selectors import objective_statuses

WINDOW_DAYS = 28
WINDOW = timedelta(days=WINDOW_DAYS)
QUIET = timedelta(hours=6)
# Availability targets a manager would set, strictest first.
TARGETS = [
    Decimal(t)
    for t in (
        "99.99",
        "99.95",
        "99.9",
        "99.5",
        "99",
        "98.5",
        "98",
        "97.5",
        "97",
        "96",
        "95",
        "90",
        "85",
        "80",
        "75",
        "50",
    )
]
# Partly used: the round target whose budget the downtime spends closest to this share.
USED_SHARE = 0.6
# The response objective: the strictest of these that the demo's incidents meet with at least
# this share of the budget left.
RESPONSE_STEPS = [
    (Decimal("95"), 15),
    (Decimal("95"), 30),
    (Decimal("90"), 30),
    (Decimal("90"), 60),
    (Decimal("90"), 120),
    (Decimal("80"), 240),
    (Decimal("80"), 480),
]
RESPONSE_LEFT = 0.3


def _author() -> User | None:
    named = User.objects.filter(username="manager").first()
    if named is not None and is_manager(named):
        return named
    return next((u for u in User.objects.filter(is_active=True) if is_manager(u)), None)


def _down_percent(downtime: float) -> float:
    return downtime * 100 / WINDOW.total_seconds()


def _spent_target(downtime: float) -> Decimal | None:
    """The loosest round target the downtime misses (its budget spent), if any."""
    missed = [t for t in TARGETS if 100 - t < _down_percent(downtime)]
    return missed[-1] if missed else None


def _used_target(downtime: float) -> Decimal | None:
    """The round target whose budget the downtime spends in part, nearest USED_SHARE."""
    met = [t for t in TARGETS if float(100 - t) > _down_percent(downtime)]
    if not met:
        return None
    return min(met, key=lambda t: abs(_down_percent(downtime) / float(100 - t) - USED_SHARE))


def seed_slo_demo() -> dict[str, int]:
    """Add the objectives (when there are none) and evaluate them once. Returns how many
    objectives exist and how many services have spent their budget."""
    author = _author()
    services = list(Service.objects.filter(is_active=True).order_by("pk"))
    if Objective.objects.exists() or author is None or not services:
        return {"objectives": Objective.objects.count(), "exhausted": 0}
    now = timezone.now()
    downtime = downtime_by_service([s.pk for s in services], [QUIET, WINDOW], now)
    quiet = [s for s in services if downtime.get(s.pk, [0.0, 0.0])[0] == 0.0]
    by_downtime = sorted(quiet, key=lambda s: -downtime.get(s.pk, [0.0, 0.0])[1])
    down = [s for s in by_downtime if downtime.get(s.pk, [0.0, 0.0])[1] > 0]
    chosen: list[tuple[Service, str, Decimal]] = []
    spent_target = _spent_target(downtime[down[0].pk][1]) if down else None
    if spent_target is not None:
        chosen.append((down[0], "spent", spent_target))
    used_target = _used_target(downtime[down[1].pk][1]) if len(down) > 1 else None
    if used_target is not None:
        chosen.append((down[1], "used", used_target))
    taken = {service.pk for service, _, _ in chosen}
    healthy = next((s for s in reversed(by_downtime) if s.pk not in taken), None)
    if healthy is not None:
        chosen.append((healthy, "healthy", Decimal("99.5")))
    for service, _, target in chosen:
        Objective.objects.create(
            service=service,
            kind=ObjectiveKind.AVAILABILITY,
            target=target,
            window_days=WINDOW_DAYS,
            created_by=author,
            created_at=now,
            updated_at=now,
        )
    busiest_id = (
        Incident.objects.filter(service__in=quiet, priority__in=[1, 2])
        .values("service")
        .annotate(n=Count("id"))
        .order_by("-n", "service")
        .values_list("service", flat=True)
        .first()
    )
    busiest = next((s for s in quiet if s.pk == busiest_id), None)
    if busiest is not None:
        _response_objective(busiest, author, now)
    result = slo_evaluate(now=now)
    return {
        "objectives": Objective.objects.count(),
        "exhausted": sum(1 for _, rule in result.fired if rule == "exhausted"),
    }


def _response_objective(service: Service, author: User, now: datetime) -> None:
    """P1/P2 acknowledged in time: the strictest of RESPONSE_STEPS (95 % within 15 minutes
    first) that the demo's incidents meet with RESPONSE_LEFT of the budget left and no burn
    alert holding (seeding sends nothing); when none does, 95 % within 15 minutes lowered to the
    whole percent that leaves half the budget."""
    objective = Objective(
        service=service,
        kind=ObjectiveKind.RESPONSE,
        window_days=WINDOW_DAYS,
        priorities=[1, 2],
        created_by=author,
        created_at=now,
        updated_at=now,
    )
    for target, minutes in RESPONSE_STEPS:
        objective.target, objective.threshold_minutes = target, minutes
        objective.save()
        (status,) = objective_statuses([objective], now=now)
        if status.budget.remaining_fraction >= RESPONSE_LEFT and not status.holding:
            return
    objective.target, objective.threshold_minutes = Decimal("95"), 15
    objective.save()
    (status,) = objective_statuses([objective], now=now)
    if status.budget.remaining_fraction < 0.5 and status.budget.total:
        late = Decimal(int(status.budget.used)) / Decimal(int(status.budget.total))
        objective.target = max((100 * (1 - 2 * late)).to_integral_value(ROUND_FLOOR), Decimal(1))
        objective.save(update_fields=["target"])
