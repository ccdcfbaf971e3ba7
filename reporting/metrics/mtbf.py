"""MTBF per service and per configuration item.

For a period [start, end) (end capped at now): failures are the tickets on the service (CI)
whose impact counts as an outage (REPORTING_OUTAGE_IMPACTS, default ["high"]), those that ended
without being resolved (cancelled) excluded. Only kinds whose tickets have an impact are
measured (ReportingExtras.impact: incidents). Each is down from its start to its resolution
(identified to resolved; still down if unresolved), clipped to the period. Overlapping or
touching outages of the same service are merged into one (gaps and islands with window
functions), so

    MTBF = (period length - total outage time) / number of merged outages

A service with no outage in the period has no MTBF: it reads "no failure in period".
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from core.exceptions import ValidationFailed
from core.models import ConfigurationItem, Service
from reporting.filters import ReportFilter
from reporting.kinds import outage_refusal, reported_kinds
from reporting.scope import spec_for, tickets_in_scope
from reporting.sql import compiled, fetch_all, number, seconds_between, tuned

NO_FAILURE = "no failure in period"


@dataclass(frozen=True)
class MtbfRow:
    id: int
    name: str
    failures: int
    outage_seconds: float
    mtbf_seconds: float | None

    @property
    def note(self) -> str:
        return NO_FAILURE if self.failures == 0 else ""


@dataclass(frozen=True)
class MtbfReport:
    start: datetime
    end: datetime
    period_seconds: float
    outage_impacts: tuple[str, ...]
    services: list[MtbfRow]
    cis: list[MtbfRow]


def outage_impacts() -> tuple[str, ...]:
    """The impacts that count as an outage (REPORTING_OUTAGE_IMPACTS), among those the kinds
    measured for MTBF declare (ReportingExtras.impacts)."""
    configured = tuple(str(v) for v in settings.REPORTING_OUTAGE_IMPACTS)
    known = list(
        dict.fromkeys(impact for spec in reported_kinds() for impact in spec.extras.impacts)
    )
    # With no kind measured there is nothing to check against (and no MTBF to compute).
    unknown = [value for value in configured if known and value not in known]
    if unknown or not configured:
        raise ImproperlyConfigured(
            f"REPORTING_OUTAGE_IMPACTS must list impacts among {', '.join(known)}; "
            f"got {', '.join(configured) or 'nothing'}."
        )
    return configured


@tuned
def mtbf(report: ReportFilter, *, now: datetime | None = None) -> MtbfReport:
    """MTBF of every service (and of the CIs with failures) for the report's tickets."""
    refusal = outage_refusal(report.kind)
    if refusal:
        raise ValidationFailed({"kind": refusal})
    horizon = min(report.end, now or timezone.now())
    if horizon <= report.start:
        raise ValidationFailed({"start": "The period has not started yet."})
    period = (horizon - report.start).total_seconds()
    impacts = outage_impacts()
    spec = spec_for(report)
    started, resolved = spec.started, spec.resolved
    outages = (
        tickets_in_scope(report)
        .filter(**{f"{spec.extras.impact}__in": impacts, f"{started}__lt": horizon})
        .exclude(status__in=spec.ended_unresolved)
        .filter(Q(**{f"{resolved}__isnull": True}) | Q(**{f"{resolved}__gt": report.start}))
        .annotate(
            o_start=Greatest(F(started), Value(report.start)),
            o_end=Least(Coalesce(F(resolved), Value(horizon)), Value(horizon)),
        )
    )
    by_service = _merged_outages(outages, "service_id")
    by_ci = _merged_outages(outages, "configuration_item_id")

    services = Service.objects.filter(Q(is_active=True) | Q(pk__in=list(by_service)))
    cis = ConfigurationItem.objects.filter(pk__in=list(by_ci))
    if report.ci_id is not None:
        services = services.filter(configuration_items=report.ci_id)
        cis = ConfigurationItem.objects.filter(pk=report.ci_id)
    elif report.service_id is not None:
        services = services.filter(pk=report.service_id)
        cis = ConfigurationItem.objects.filter(
            Q(service_id=report.service_id) & (Q(is_active=True) | Q(pk__in=list(by_ci)))
        )
    return MtbfReport(
        start=report.start,
        end=horizon,
        period_seconds=period,
        outage_impacts=impacts,
        services=_rows(services.order_by("name").values_list("pk", "name"), by_service, period),
        cis=_rows(cis.order_by("service__name", "name").values_list("pk", "name"), by_ci, period),
    )


def _rows(names: Any, outages: dict[int, tuple[int, float]], period: float) -> list[MtbfRow]:
    rows = []
    for pk, name in names:
        failures, down = outages.get(pk, (0, 0.0))
        rows.append(
            MtbfRow(
                id=pk,
                name=name,
                failures=failures,
                outage_seconds=down,
                mtbf_seconds=(period - down) / failures if failures else None,
            )
        )
    return rows


def _merged_outages(outages: Any, column: str) -> dict[int, tuple[int, float]]:
    """{dimension id: (merged outages, outage seconds)}, merged in the database: an outage
    starts a new island when it begins after every earlier one (by start) has ended."""
    base_sql, params = compiled(
        outages.filter(**{f"{column}__isnull": False}).values(column, "o_start", "o_end")
    )
    seconds = seconds_between("MAX(i.e)", "MIN(i.s)")
    sql = f"""
        SELECT m.d, COUNT(*), SUM(m.down) FROM (
          SELECT i.d, i.island, {seconds} AS down FROM (
            SELECT w.d, w.s, w.e,
              SUM(CASE WHEN w.prev_end IS NULL OR w.s > w.prev_end THEN 1 ELSE 0 END)
                OVER (PARTITION BY w.d ORDER BY w.s, w.e ROWS UNBOUNDED PRECEDING) AS island
            FROM (
              SELECT t.{column} AS d, t.o_start AS s, t.o_end AS e,
                MAX(t.o_end) OVER (
                  PARTITION BY t.{column} ORDER BY t.o_start, t.o_end
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                ) AS prev_end
              FROM ({base_sql}) t
            ) w
          ) i GROUP BY i.d, i.island
        ) m GROUP BY m.d
    """  # noqa: S608 — only column names and compiled SQL are interpolated
    return {int(d): (int(count), number(down) or 0.0) for d, count, down in fetch_all(sql, params)}
