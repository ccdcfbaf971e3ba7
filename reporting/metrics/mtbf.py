"""MTBF per service and per configuration item.

For a period [start, end) (end capped at now): failures are the incidents on the service (CI)
whose impact counts as an outage (REPORTING_OUTAGE_IMPACTS, default ["high"]), cancelled ones
excluded. Each is down from identified to resolved (still down if unresolved), clipped to the
period. Overlapping or touching outages of the same service are merged into one (gaps and
islands with window functions), so

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
from incidents.choices import Impact, IncidentStatus
from reporting.filters import ReportFilter
from reporting.kinds import tickets_in_scope
from reporting.sql import compiled, fetch_all, number, seconds_between, tuned
from sla.choices import TicketKind

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
    """The incident impacts that count as an outage (REPORTING_OUTAGE_IMPACTS)."""
    configured = tuple(str(v) for v in settings.REPORTING_OUTAGE_IMPACTS)
    unknown = [value for value in configured if value not in Impact.values]
    if unknown or not configured:
        raise ImproperlyConfigured(
            f"REPORTING_OUTAGE_IMPACTS must list impacts among {', '.join(Impact.values)}; "
            f"got {', '.join(configured) or 'nothing'}."
        )
    return configured


@tuned
def mtbf(report: ReportFilter, *, now: datetime | None = None) -> MtbfReport:
    """MTBF of every service (and of the CIs with failures) for the report's incidents."""
    if report.kind != TicketKind.INCIDENT:
        raise ValidationFailed({"kind": "MTBF is measured on incidents only."})
    horizon = min(report.end, now or timezone.now())
    if horizon <= report.start:
        raise ValidationFailed({"start": "The period has not started yet."})
    period = (horizon - report.start).total_seconds()
    impacts = outage_impacts()
    outages = (
        tickets_in_scope(report)
        .filter(impact__in=impacts, identified_at__lt=horizon)
        .exclude(status=IncidentStatus.CANCELLED)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gt=report.start))
        .annotate(
            o_start=Greatest(F("identified_at"), Value(report.start)),
            o_end=Least(Coalesce(F("resolved_at"), Value(horizon)), Value(horizon)),
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
