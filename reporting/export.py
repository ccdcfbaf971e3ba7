"""CSV export: one row per ticket of the report's kind created or resolved in the period, with
the inputs of every metric (timestamps, durations, SLA outcomes), streamed.

One SQL statement (the filtered tickets, joined to their response and resolution clocks, and
whether they ever changed tier) is read in keyset chunks of CHUNK_SIZE tickets: `t.id > last
ORDER BY t.id LIMIT n`, one short query per chunk (core.keyset_chunks), written out line by
line by a StreamingHttpResponse. A million rows start arriving at once and never sit in memory
together, and no server-side cursor holds a connection for the whole download, so the export works
behind PgBouncer in transaction pooling (DATABASE_POOLING=transaction). Chunks in ticket id order
let PostgreSQL walk the primary key instead of sorting everything first.
"""

from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from core.choices import EventKind
from core.keyset_chunks import keyset_chunks
from core.read_replica import read_connection
from core.web.csv_download import csv_stream
from reporting.filters import ReportFilter
from reporting.kinds import KindSpec
from reporting.metrics.outcomes import outcome_sql
from reporting.scope import spec_for, tickets_in_scope
from reporting.sql import compiled, instant, iso_text, seconds_between
from sla.choices import Metric

CHUNK_SIZE = 2000

HEADER = (
    "number",
    "kind",
    "status",
    "priority",
    "tier",
    "support_group",
    "service",
    "configuration_item",
    "impact",
    "created_at",
    "acknowledged_at",
    "resolved_at",
    "seconds_to_acknowledge",
    "seconds_to_resolve",
    "business_seconds_to_acknowledge",
    "business_seconds_to_resolve",
    "paused_seconds",
    "response_sla",
    "resolution_sla",
    "reopen_count",
    "changed_tier",
)


def _tickets(report: ReportFilter, spec: KindSpec) -> QuerySet[Any]:
    """The tickets created or resolved in the period, with the columns the export reads."""
    in_period = Q(created_at__gte=report.start, created_at__lt=report.end) | Q(
        status__in=spec.resolved_statuses,
        **{f"{spec.resolved}__gte": report.start, f"{spec.resolved}__lt": report.end},
    )
    # Impact and reopens where the kind has them (incidents), empty columns otherwise.
    optional = [name for name in (spec.extras.impact, spec.extras.reopen_count) if name]
    return (
        tickets_in_scope(report)
        .filter(in_period)
        .annotate(
            group_name=F("support_group__name"),
            service_name=F("service__name"),
            ci_name=F("configuration_item__name"),
        )
        .values(
            "id",
            "number",
            "status",
            "priority",
            "tier",
            "group_name",
            "service_name",
            "ci_name",
            *optional,
            spec.started,
            spec.acknowledged,
            spec.resolved,
        )
    )


def export_sql(report: ReportFilter) -> tuple[str, tuple[Any, ...]]:
    """The export statement for one chunk: ticket columns, then response clock (outcome,
    paused, business), resolution clock (same), whether the ticket ever changed tier, and its
    id (the chunk's key). Its last two parameters are the id to start after and the chunk's
    size. The outcome is the one compliance counts (reporting.metrics.outcomes): breached, met,
    or the clock's state while undecided (running, paused, cancelled)."""
    spec = spec_for(report)
    base_sql, base_params = compiled(_tickets(report, spec))
    extra = ", ".join(
        f"t.{name}" if name else "''" for name in (spec.extras.impact, spec.extras.reopen_count)
    )
    started, acknowledged, resolved = (
        f"t.{name}" for name in (spec.started, spec.acknowledged, spec.resolved)
    )
    # Timestamps as text and durations in seconds come out of the database ready to write:
    # parsing a million datetimes in Python costs more than the query.
    to_ack = seconds_between(acknowledged, started)
    to_resolve = seconds_between(resolved, started)
    # The tier moves are asked per ticket, on the events' ticket index. A DISTINCT over every
    # move of the kind would be recomputed for each chunk, and so would EXISTS, which PostgreSQL
    # plans as a hash of all of them (the chunk's LIMIT does not enter its estimate); a scalar
    # subquery cannot be hashed.
    sql = f"""
        SELECT t.number, t.status, t.priority, t.tier, t.group_name, t.service_name, t.ci_name,
          {extra}, {iso_text(started)}, {iso_text(acknowledged)}, {iso_text(resolved)},
          CAST(ROUND({to_ack} - COALESCE(r.paused_seconds, 0)) AS BIGINT),
          CAST(ROUND({to_resolve} - COALESCE(s.paused_seconds, 0)) AS BIGINT),
          r.elapsed_business_seconds, s.elapsed_business_seconds, s.paused_seconds,
          {outcome_sql("r")}, {outcome_sql("s")},
          (
            SELECT 1 FROM core_timelineevent e
            WHERE e.ticket_type_id = %s AND e.ticket_id = t.id AND e.kind IN (%s, %s)
            LIMIT 1
          ),
          t.id
        FROM ({base_sql}) t
        LEFT JOIN sla_slaclock r
          ON r.ticket_type_id = %s AND r.ticket_id = t.id AND r.metric = %s
        LEFT JOIN sla_slaclock s
          ON s.ticket_type_id = %s AND s.ticket_id = t.id AND s.metric = %s
        WHERE t.id > %s
        ORDER BY t.id
        LIMIT %s
    """  # noqa: S608 — only field names and compiled SQL are interpolated
    ct = spec.content_type_id
    now = instant(timezone.now())
    params = (
        # outcome_sql reads "now" once per clock (a running clock past due is breached).
        *(now, now),
        *(ct, EventKind.ESCALATED, EventKind.DEESCALATED),
        *base_params,
        *(ct, Metric.RESPONSE, ct, Metric.RESOLUTION),
    )
    return sql, params


def fetch_chunks(sql: str, params: Sequence[Any], chunk_size: int) -> Iterator[Sequence[Any]]:
    """The statement's rows (its last column the id), chunk by chunk: one query per chunk,
    starting after the last id of the chunk before."""

    def fetch(after: int | None, limit: int) -> list[Any]:
        with read_connection().cursor() as cursor:
            cursor.execute(sql, [*params, 0 if after is None else after, limit])
            return list(cursor.fetchall())

    return keyset_chunks(fetch, lambda row: row[-1], chunk_size=chunk_size)


def _line(spec: KindSpec, row: Sequence[Any]) -> list[Any]:
    number, status, priority, tier, group, service, ci, impact, reopened, *rest = row
    *timing, moved, _id = rest
    return [
        number,
        spec.name,
        status,
        f"P{priority}",
        f"L{tier}",
        group,
        service,
        ci,
        impact,
        *timing,
        reopened,
        "yes" if moved else "no",
    ]


def csv_lines(report: ReportFilter, *, chunk_size: int | None = None) -> Iterator[str]:
    """The export as CSV text, one line at a time (header first), read CHUNK_SIZE tickets at a
    time unless `chunk_size` says otherwise."""
    spec = spec_for(report)
    sql, params = export_sql(report)
    chunks = fetch_chunks(sql, params, chunk_size or CHUNK_SIZE)
    yield from csv_stream(HEADER, (_line(spec, row) for rows in chunks for row in rows))


def export_filename(report: ReportFilter) -> str:
    start = timezone.localtime(report.start).date().isoformat()
    end = timezone.localtime(report.end).date().isoformat()
    return f"{report.kind}s-{start}-to-{end}.csv"
