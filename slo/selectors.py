"""Reads: objectives with their budgets and burn rates (computed now, in the database, in a
constant number of queries for any number of objectives), a service's budget over time and
alert history, and which services have spent their budget (what changes read)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from core.models import Service
from slo.budget import (
    WINDOWS,
    AlertPolicy,
    Budget,
    alerts_holding,
    availability_budget,
    availability_burns,
    availability_series,
    response_budget,
    response_burns,
    response_series,
    status_of,
)
from slo.choices import AlertRule, ObjectiveKind
from slo.models import AlertEpisode, Objective
from slo.queries import downtime_by_service, response_counts, response_daily, service_islands

HISTORY_ROWS = 50


@dataclass(frozen=True)
class ObjectiveStatus:
    """An objective now: its budget, the burn rate per window (slo.budget.WINDOWS) and the
    alerts whose long and short windows both burn past their threshold."""

    objective: Objective
    budget: Budget
    burns: dict[str, float]
    holding: list[AlertPolicy]

    @property
    def status(self) -> str:
        return status_of(self.budget, self.holding)


def objective_list() -> QuerySet[Objective]:
    return Objective.objects.select_related("service").order_by("service__name", "kind", "pk")


def objective_get(pk: int) -> Objective:
    return objective_list().get(pk=pk)


def objectives_of_service(service: Service) -> list[Objective]:
    return list(objective_list().filter(service=service))


def objective_statuses(
    objectives: Sequence[Objective], *, now: datetime | None = None
) -> list[ObjectiveStatus]:
    """The status of each objective, in the given order: two queries (one for every
    availability objective, one for every response objective), none for an empty list."""
    now = now or timezone.now()
    burn_windows = list(WINDOWS.values())
    availability = [o for o in objectives if o.kind == ObjectiveKind.AVAILABILITY]
    response = [o for o in objectives if o.kind == ObjectiveKind.RESPONSE]
    spans = sorted({*burn_windows, *(timedelta(days=o.window_days) for o in availability)})
    downtime = downtime_by_service({o.service_id for o in availability}, spans, now)
    counts = response_counts(response, burn_windows, now)
    statuses = []
    for objective in objectives:
        window = timedelta(days=objective.window_days)
        if objective.kind == ObjectiveKind.AVAILABILITY:
            by_span = dict(
                zip(spans, downtime.get(objective.service_id, [0.0] * len(spans)), strict=True)
            )
            budget = availability_budget(objective.target, window, by_span[window])
            burns = availability_burns(
                objective.target, {name: by_span[span] for name, span in WINDOWS.items()}
            )
        else:
            rows = counts.get(objective.pk, [(0, 0)] * (len(burn_windows) + 1))
            events, bad = rows[-1]
            budget = response_budget(objective.target, events, bad)
            burns = response_burns(objective.target, dict(zip(WINDOWS, rows[:-1], strict=True)))
        statuses.append(ObjectiveStatus(objective, budget, burns, alerts_holding(burns)))
    return statuses


@dataclass(frozen=True)
class BudgetPoint:
    at: datetime
    remaining: float


def budget_history(objective: Objective, *, now: datetime | None = None) -> list[BudgetPoint]:
    """The remaining budget at the end of each of the last `window_days` days and now, each
    over the window ending there (one query)."""
    now = now or timezone.now()
    days = objective.window_days
    instants = [now - timedelta(days=days - j) for j in range(days + 1)]
    if objective.kind == ObjectiveKind.AVAILABILITY:
        islands = service_islands(objective.service_id, now - timedelta(days=2 * days), now)
        values = availability_series(
            islands,
            objective.target,
            timedelta(days=days),
            [t.timestamp() for t in instants],
        )
    else:
        values = response_series(response_daily(objective, now), objective.target, days)
    return [BudgetPoint(at, value) for at, value in zip(instants, values, strict=True)]


def episode_list(objectives: Iterable[Objective]) -> QuerySet[AlertEpisode]:
    """The latest alert episodes of these objectives (newest first)."""
    return (
        AlertEpisode.objects.filter(objective__in=list(objectives))
        .select_related("objective")
        .order_by("-fired_at", "-pk")[:HISTORY_ROWS]
    )


def exhausted_service_ids(service_ids: Iterable[int]) -> set[int]:
    """Which of these services have spent the budget of any of their objectives: one query on
    the open "budget spent" episodes (slo.alerts keeps them as of its last evaluation, every
    SLO_EVALUATE_INTERVAL_SECONDS). A change to such a service needs an extra approval."""
    ids = {int(pk) for pk in service_ids}
    if not ids:
        return set()
    return set(
        AlertEpisode.objects.filter(
            rule=AlertRule.EXHAUSTED,
            cleared_at__isnull=True,
            objective__service_id__in=sorted(ids),
        ).values_list("objective__service_id", flat=True)
    )
