"""The four DORA figures per service, per team (the service's owner group) and overall, over a
period [start, end), computed in the database (changes.dora_sql says exactly what is counted):

- deployment frequency: production deployments (DORA_ENVIRONMENTS) per day and per week, and
  its band: elite at one a day or more, high at one a week or more, medium at one a month
  (30 days) or more, low below;
- lead time for changes: the median from commit to deployment, over the deployments that
  report their commit time;
- change failure rate: failed changes / changes (deployments and other implemented changes);
- time to restore service: the median from a failure incident's start to its restoration.

Medians are percentile_cont(0.5): the middle value, or halfway between the two middle ones.
"""

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from changes.dora_sql import FACT, DoraQuery, dora_rows
from core.exceptions import ValidationFailed
from core.models import Service, SupportGroup
from reporting.filters import ReportFilter
from reporting.sql import is_postgres, number, tuned

ELITE, HIGH, MEDIUM, LOW = "elite", "high", "medium", "low"
BAND_LABELS = {
    ELITE: "Elite (daily or more)",
    HIGH: "High (weekly or more)",
    MEDIUM: "Medium (monthly or more)",
    LOW: "Low (less than monthly)",
}


def frequency_band(per_day: float) -> str:
    if per_day >= 1:
        return ELITE
    if per_day * 7 >= 1:
        return HIGH
    if per_day * 30 >= 1:
        return MEDIUM
    return LOW


@dataclass(frozen=True)
class DoraFigures:
    """The four figures over one set of changes (a service, a team or all)."""

    days: float
    changes: int = 0
    deployments: int = 0
    failed: int = 0
    lead_time_count: int = 0
    lead_time_median: float | None = None
    restore_count: int = 0
    restore_median: float | None = None

    @property
    def per_day(self) -> float:
        return self.deployments / self.days if self.days else 0.0

    @property
    def per_week(self) -> float:
        return self.per_day * 7

    @property
    def band(self) -> str:
        return frequency_band(self.per_day)

    @property
    def band_label(self) -> str:
        return BAND_LABELS[self.band]

    @property
    def change_failure_rate(self) -> float | None:
        return self.failed / self.changes if self.changes else None


@dataclass(frozen=True)
class ServiceDora:
    service_id: int
    name: str
    group_id: int
    group: str
    figures: DoraFigures


@dataclass(frozen=True)
class TeamDora:
    group_id: int
    name: str
    figures: DoraFigures


@dataclass(frozen=True)
class DoraReport:
    start: datetime
    end: datetime
    window_hours: int
    environments: tuple[str, ...]
    overall: DoraFigures
    services: list[ServiceDora] = field(default_factory=list)
    teams: list[TeamDora] = field(default_factory=list)


def dora_environments() -> tuple[str, ...]:
    """DORA_ENVIRONMENTS, lower-cased, blanks dropped (empty: every environment counts)."""
    return tuple(sorted({str(e).strip().lower() for e in settings.DORA_ENVIRONMENTS} - {""}))


@tuned
def dora_report(
    *,
    start: datetime,
    end: datetime,
    service_id: int | None = None,
    group_id: int | None = None,
    portable: bool = False,
) -> DoraReport:
    """The figures of [start, end), optionally of one service or one team's services. A fixed
    number of queries: the figures, then the names of the services and teams in them."""
    window_hours = int(settings.DORA_FAILURE_WINDOW_HOURS)
    query = DoraQuery(
        start=start,
        end=end,
        window=timedelta(hours=max(0, window_hours)),
        environments=dora_environments(),
        service_id=service_id,
        group_id=group_id,
    )
    days = (end - start).total_seconds() / 86400
    rows = dora_rows(query, portable=portable)
    if is_postgres() and not portable:
        figures = _from_aggregates(rows, days)
    else:
        figures = _from_facts(rows, days)
    return _assemble(query, figures, days, window_hours)


# Figures by key: ("service", id), ("group", id) or ("all", None).
Key = tuple[str, int | None]


def _from_aggregates(rows: list[tuple[Any, ...]], days: float) -> dict[Key, DoraFigures]:
    figures: dict[Key, DoraFigures] = {}
    for row in rows:
        group_id, service_id, by_group, by_all = row[:4]
        changes, deploys, failed, leads, lead, restores, restore = row[4:]
        if by_all:
            key: Key = ("all", None)
        elif by_group:
            key = ("group", group_id)
        else:
            key = ("service", service_id)
        figures[key] = DoraFigures(
            days=days,
            changes=int(changes),
            deployments=int(deploys),
            failed=int(failed),
            lead_time_count=int(leads),
            lead_time_median=number(lead),
            restore_count=int(restores),
            restore_median=number(restore),
        )
    return figures


def percentile(values: list[float], fraction: float) -> float | None:
    """percentile_cont: linear interpolation between the two closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (rank - low) * (ordered[high] - ordered[low])


def _from_facts(rows: list[tuple[Any, ...]], days: float) -> dict[Key, DoraFigures]:
    counts: dict[Key, list[int]] = defaultdict(lambda: [0, 0, 0])
    leads: dict[Key, list[float]] = defaultdict(list)
    restores: dict[Key, list[float]] = defaultdict(list)
    for tag, _change, service_id, group_id, is_deployment, seconds, failed in rows:
        keys: list[Key] = [("service", service_id), ("group", group_id), ("all", None)]
        for key in keys:
            if tag == FACT:
                counts[key][0] += 1
                counts[key][1] += int(is_deployment)
                counts[key][2] += int(failed)
                if seconds is not None:
                    leads[key].append(float(seconds))
            elif seconds is not None:
                restores[key].append(float(seconds))
    result: dict[Key, DoraFigures] = {}
    for key in {*counts, *restores, ("all", None)}:
        changes, deployments, failed = counts.get(key, [0, 0, 0])
        result[key] = DoraFigures(
            days=days,
            changes=changes,
            deployments=deployments,
            failed=failed,
            lead_time_count=len(leads.get(key, [])),
            lead_time_median=percentile(leads.get(key, []), 0.5),
            restore_count=len(restores.get(key, [])),
            restore_median=percentile(restores.get(key, []), 0.5),
        )
    return result


def _assemble(
    query: DoraQuery, figures: dict[Key, DoraFigures], days: float, window_hours: int
) -> DoraReport:
    service_ids = [key[1] for key in figures if key[0] == "service" and key[1] is not None]
    services = {
        s.pk: s for s in Service.objects.filter(pk__in=service_ids).select_related("owner_group")
    }
    group_ids = [key[1] for key in figures if key[0] == "group" and key[1] is not None]
    groups = dict(SupportGroup.objects.filter(pk__in=group_ids).values_list("pk", "name"))
    service_rows = sorted(
        (
            ServiceDora(
                service_id=s.pk,
                name=s.name,
                group_id=s.owner_group_id,
                group=s.owner_group.name,
                figures=figures[("service", s.pk)],
            )
            for s in services.values()
        ),
        key=lambda row: row.name.lower(),
    )
    team_rows = sorted(
        (
            TeamDora(group_id=pk, name=name, figures=figures[("group", pk)])
            for pk, name in groups.items()
        ),
        key=lambda row: row.name.lower(),
    )
    return DoraReport(
        start=query.start,
        end=query.end,
        window_hours=window_hours,
        environments=query.environments,
        overall=figures.get(("all", None), DoraFigures(days=days)),
        services=service_rows,
        teams=team_rows,
    )


# Our parameter names -> the report filter's.
_ALIASES = {"since": "start", "until": "end", "service": "service", "group": "group"}


def dora_period(params: Mapping[str, Any]) -> ReportFilter:
    """The period and dimensions asked for (`since`, `until`: a date or an ISO date-time, `until`
    inclusive when a date; default the last 30 days), or ValidationFailed in our names."""
    translated = {theirs: params.get(ours) for ours, theirs in _ALIASES.items()}
    try:
        return ReportFilter.from_params(translated)
    except ValidationFailed as exc:
        back = {theirs: ours for ours, theirs in _ALIASES.items()}
        raise ValidationFailed({back.get(k, k): v for k, v in exc.errors.items()}) from exc


def dora_for_params(params: Mapping[str, Any]) -> DoraReport:
    """The report asked for by query parameters (the API, the page, the CSV)."""
    period = dora_period(params)
    return dora_report(
        start=period.start, end=period.end, service_id=period.service_id, group_id=period.group_id
    )
