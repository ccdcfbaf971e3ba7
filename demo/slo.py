"""The demo's service level objectives, chosen from the outages the demo loaded so that each
state shows: one service has spent its availability budget (its normal changes then need the
extra approval), one has used part of it, one is healthy; and a response-time objective on the
busiest service's P1/P2 incidents.

The targets are computed from the downtime the demo's incidents already recorded over the last
28 days (slo.queries, the same numbers the pages show), among services with no outage in the
last 6 hours, so the first evaluation (run here) fires no page: it opens the "budget spent"
episode that the change rule and the pages read.

Idempotent: nothing is added when any objective exists.
"""

from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

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
THOUSANDTH = Decimal("0.001")
# Exhausted: the budget is two thirds of the downtime; partly used: it is 1/0.6 of it.
SPENT_SHARE = Decimal("1.5")
USED_SHARE = Decimal("0.6")


def _author() -> User | None:
    named = User.objects.filter(username="manager").first()
    if named is not None and is_manager(named):
        return named
    return next((u for u in User.objects.filter(is_active=True) if is_manager(u)), None)


def _target(downtime: float, share: Decimal, rounding: str) -> Decimal:
    """The target whose budget over 28 days is `downtime` / `share` seconds."""
    budget = Decimal(str(downtime)) / share
    percent = 100 - budget * 100 / Decimal(int(WINDOW.total_seconds()))
    return min(max(percent.quantize(THOUSANDTH, rounding=rounding), THOUSANDTH), Decimal("99.999"))


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
    if down:
        spent = down[0]
        chosen.append((spent, "spent", _target(downtime[spent.pk][1], SPENT_SHARE, ROUND_CEILING)))
    if len(down) > 1:
        used = down[1]
        chosen.append((used, "used", _target(downtime[used.pk][1], USED_SHARE, ROUND_FLOOR)))
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
    """95 % of P1/P2 acknowledged within 15 minutes, or, where the demo's incidents fall
    short of that, the target that leaves half the budget."""
    objective = Objective.objects.create(
        service=service,
        kind=ObjectiveKind.RESPONSE,
        target=Decimal("95"),
        window_days=WINDOW_DAYS,
        priorities=[1, 2],
        threshold_minutes=15,
        created_by=author,
        created_at=now,
        updated_at=now,
    )
    (status,) = objective_statuses([objective], now=now)
    if status.budget.remaining_fraction < 0.5 and status.budget.total:
        late = Decimal(int(status.budget.used)) / Decimal(int(status.budget.total))
        target = (100 * (1 - 2 * late)).quantize(THOUSANDTH, rounding=ROUND_FLOOR)
        objective.target = max(target, Decimal(1))
        objective.save(update_fields=["target"])
