"""MTBF per service and per configuration item.

For a period [start, end) (end capped at now): outages are the tickets on the service (CI)
whose impact counts as an outage (REPORTING_OUTAGE_IMPACTS, default ["high"]), those that ended
without being resolved (cancelled) excluded. Only kinds whose tickets have an impact are
measured (ReportingExtras.impact: incidents). Each is down from its start until the service
was restored (ReportingExtras.restored, which defaults to the resolution; the resolution where
the kind has no such field; still down while neither is set).

A reopened ticket is down in pieces: from its start to the restore time of its first pass,
then from each reopen to the restore time of the next pass. The time it sat restored between
is uptime, and each reopen is a new failure: the service was back, then failed again. A pass's
restore time is the last value the ticket's timeline recorded for the field before the reopen
(the resolution event's time when none was recorded).

Overlapping or touching pieces of the same service are merged into one outage (gaps and
islands with window functions, on the unclipped instants). An outage is a failure of the
period in which it **starts**; its downtime counts clipped to the period, so an outage carried
in from before adds downtime but no failure. Then

    MTBF = (period length - downtime in the period) / failures that started in it

A service down for the whole period has no MTBF ("down for the whole period"), nor has one with
no failure starting in it ("no failure in period") — never a division by zero, never a 0.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from core.choices import EventKind
from core.exceptions import ValidationFailed
from core.models import ConfigurationItem, Service, TimelineEvent
from reporting.filters import ReportFilter
from reporting.kinds import KindSpec, outage_refusal, reported_kinds
from reporting.scope import spec_for, tickets_in_scope
from reporting.sql import (
    compiled,
    epoch,
    epoch_of_text,
    fetch_all,
    greatest,
    least,
    number,
    tuned,
)

NO_FAILURE = "no failure in period"
DOWN_WHOLE_PERIOD = "down for the whole period"
# Less uptime than this in the period reads as down for all of it (timestamps are stored to
# the microsecond, SQLite's arithmetic on them to about a millisecond).
UPTIME_EPSILON_SECONDS = 1.0


@dataclass(frozen=True)
class MtbfRow:
    id: int
    name: str
    failures: int
    outage_seconds: float
    mtbf_seconds: float | None
    down_whole_period: bool = False

    @property
    def note(self) -> str:
        if self.down_whole_period:
            return DOWN_WHOLE_PERIOD
        return NO_FAILURE if self.failures == 0 else ""

    @property
    def was_down(self) -> bool:
        """Whether the service (CI) failed or was down at all in the period."""
        return self.failures > 0 or self.outage_seconds > 0


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
    """MTBF of every service (and of the CIs that were down) for the report's tickets."""
    refusal = outage_refusal(report.kind)
    if refusal:
        raise ValidationFailed({"kind": refusal})
    horizon = min(report.end, now or timezone.now())
    if horizon <= report.start:
        raise ValidationFailed({"start": "The period has not started yet."})
    period = (horizon - report.start).total_seconds()
    impacts = outage_impacts()
    spec = spec_for(report)
    outages = _outage_tickets(report, spec, impacts, horizon)
    reopens = _reopens(spec, outages)
    by_service = _merged_outages(outages, reopens, "service_id", report.start, horizon)
    by_ci = _merged_outages(outages, reopens, "configuration_item_id", report.start, horizon)

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


def _outage_tickets(
    report: ReportFilter, spec: KindSpec, impacts: tuple[str, ...], horizon: datetime
) -> QuerySet[Any]:
    """The outage tickets that may touch the period, with `o_end`: when the service was back
    from their current pass (NULL while down)."""
    ended = (
        Coalesce(F(spec.extras.restored), F(spec.resolved))
        if spec.extras.restored
        else F(spec.resolved)
    )
    return (
        tickets_in_scope(report)
        .filter(**{f"{spec.extras.impact}__in": impacts, f"{spec.started}__lt": horizon})
        .exclude(status__in=spec.ended_unresolved)
        .annotate(o_start=F(spec.started), o_end=ended)
        .filter(Q(o_end__isnull=True) | Q(o_end__gte=report.start))
    )


def _reopens(spec: KindSpec, outages: QuerySet[Any]) -> QuerySet[Any]:
    """The reopens of those tickets (a status change from resolved back to an open status),
    numbered per ticket, each with the restore time of the pass it ended: the last value of
    the restored field the timeline recorded before it (`restored`, ISO text), else the time
    of the last resolution before it (`resolved`)."""
    reopened = outages
    if spec.extras.reopen_count:
        reopened = reopened.filter(**{f"{spec.extras.reopen_count}__gt": 0})
    earlier = TimelineEvent.objects.filter(
        ticket_type_id=spec.content_type_id,
        ticket_id=OuterRef("ticket_id"),
        id__lt=OuterRef("id"),
    ).order_by("-id")
    if spec.extras.restored:
        field = spec.extras.restored
        restored: Any = Subquery(
            earlier.annotate(value=KT(f"changes__{field}"))
            .filter(value__isnull=False)
            .values("value")[:1]
        )
    else:
        restored = None
    last_resolution = Subquery(
        earlier.filter(kind=EventKind.STATUS_CHANGED, to_status__in=spec.resolved_statuses).values(
            "created_at"
        )[:1]
    )
    return (
        TimelineEvent.objects.filter(
            ticket_type_id=spec.content_type_id,
            ticket_id__in=reopened.values("id"),
            kind=EventKind.STATUS_CHANGED,
            from_status__in=spec.resolved_statuses,
            to_status__in=spec.open_statuses,
        )
        .annotate(
            restored=restored,
            resolved=last_resolution,
            n=Window(RowNumber(), partition_by=[F("ticket_id")], order_by=F("id").asc()),
        )
        .order_by()
        .values("ticket_id", "created_at", "restored", "resolved", "n")
    )


def _rows(names: Any, outages: dict[int, tuple[int, float]], period: float) -> list[MtbfRow]:
    rows = []
    for pk, name in names:
        failures, down = outages.get(pk, (0, 0.0))
        down = min(down, period)
        whole = period - down < UPTIME_EPSILON_SECONDS
        rows.append(
            MtbfRow(
                id=pk,
                name=name,
                failures=failures,
                outage_seconds=down,
                mtbf_seconds=(period - down) / failures if failures and not whole else None,
                down_whole_period=whole,
            )
        )
    return rows


def _merged_outages(
    outages: QuerySet[Any],
    reopens: QuerySet[Any],
    column: str,
    start: datetime,
    horizon: datetime,
) -> dict[int, tuple[int, float]]:
    """{dimension id: (failures started in the period, downtime in it, in seconds)}, computed
    in the database on Unix seconds: the tickets' down pieces, merged into islands (a piece
    starts a new island when it begins after every earlier one, by start, has ended), each
    island a failure of the period if it starts in it, its downtime clipped to the period."""
    islands_sql, islands_params = merged_outages_sql(outages, reopens, column, start, horizon)
    sql = f"""
        SELECT m.d, SUM(CASE WHEN m.s >= %s THEN 1 ELSE 0 END),
          SUM({least("m.e", "%s")} - {greatest("m.s", "%s")})
        FROM ({islands_sql}) m GROUP BY m.d
    """  # noqa: S608 — only compiled SQL is interpolated
    first, last = start.timestamp(), horizon.timestamp()
    # To the millisecond: SQLite's julianday() arithmetic carries noise below that.
    return {
        int(d): (int(failures), round(max(number(down) or 0.0, 0.0), 3))
        for d, failures, down in fetch_all(sql, (first, last, first, *islands_params))
    }


def merged_outages_sql(
    outages: QuerySet[Any],
    reopens: QuerySet[Any],
    column: str,
    start: datetime,
    horizon: datetime,
) -> tuple[str, tuple[Any, ...]]:
    """SQL (and parameters) of the merged outages touching [start, horizon): rows (d, s, e),
    the dimension id and the island's unclipped start and end in Unix seconds (an outage
    still going on ends at `horizon`). The SLO budgets (slo/) read the same islands."""
    base_sql, base_params = compiled(
        outages.filter(**{f"{column}__isnull": False}).values("id", column, "o_start", "o_end")
    )
    reopen_sql, reopen_params = compiled(reopens)
    restored = ", ".join((epoch_of_text("g.restored"), epoch("g.resolved"), epoch("g.created_at")))
    ended = f"COALESCE({epoch('t.o_end')}, %s)"
    sql = f"""
        WITH t AS ({base_sql}),
        g AS (
          SELECT g.ticket_id, g.n, {epoch("g.created_at")} AS reopened,
            COALESCE({restored}) AS restored
          FROM ({reopen_sql}) g
        ),
        raw AS (
          SELECT t.{column} AS d, {epoch("t.o_start")} AS s,
            COALESCE(g_first.restored, {ended}) AS e
          FROM t LEFT JOIN g g_first ON g_first.ticket_id = t.id AND g_first.n = 1
          UNION ALL
          SELECT t.{column}, r.reopened, COALESCE(g_next.restored, {ended})
          FROM g r JOIN t ON t.id = r.ticket_id
          LEFT JOIN g g_next ON g_next.ticket_id = r.ticket_id AND g_next.n = r.n + 1
        ),
        p AS (
          SELECT raw.d, raw.s, {greatest("raw.e", "raw.s")} AS e FROM raw
          WHERE raw.s < %s AND raw.e >= %s
        ),
        w AS (
          SELECT p.d, p.s, p.e,
            MAX(p.e) OVER (
              PARTITION BY p.d ORDER BY p.s, p.e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
            ) AS prev_end
          FROM p
        ),
        i AS (
          SELECT w.d, w.s, w.e,
            SUM(CASE WHEN w.prev_end IS NULL OR w.s > w.prev_end THEN 1 ELSE 0 END)
              OVER (PARTITION BY w.d ORDER BY w.s, w.e ROWS UNBOUNDED PRECEDING) AS island
          FROM w
        ),
        m AS (SELECT i.d, MIN(i.s) AS s, MAX(i.e) AS e FROM i GROUP BY i.d, i.island)
        SELECT m.d, m.s, m.e FROM m
    """  # noqa: S608 — only column names and compiled SQL are interpolated
    first, last = start.timestamp(), horizon.timestamp()
    params = (
        *base_params,
        *reopen_params,
        last,  # ended, first branch
        last,  # ended, second branch
        last,
        first,
    )
    return sql, params
