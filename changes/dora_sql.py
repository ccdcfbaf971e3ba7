"""The SQL behind the DORA figures (changes.dora), read two ways that give the same numbers:

- PostgreSQL: one statement from the changes. Each change of the period owns its blame
  interval (from its implementation to the next counted change on its service, cut at the
  window's end), found with LEAD over the changes alone; the incidents in those intervals are
  read by index range scans (incident_service_identified), so only the blamed incidents leave
  the index and none is sorted by time; per-change failure flags and the blamed restore times
  come out in the order of the changes (team, service, time) and are aggregated per service,
  per team and overall (ROLLUP, percentile_cont) as they come, with no sort between, so no
  change or incident row leaves the database;
- anywhere else (SQLite), or with `portable=True`: every change and candidate incident sorted
  per service by time, window functions blaming each incident on the latest change before it;
  the per-change facts and per-incident restore times are read as rows and aggregated in
  Python (percentile_cont's linear interpolation). `portable=True` on PostgreSQL is how the
  tests prove the two formulations agree.

What is counted (docs/deployments.md says the same for readers):

- the **changes** of a period are the changes with a service implemented in [start, end):
  deployments reported by CI/CD in one of DORA_ENVIRONMENTS (all environments when the setting
  is empty) and the other changes (normal, emergency, standard from a template) implemented;
- a change **failed** when an incident is recorded as caused by it (ChangeIncident), or when an
  incident on its service, not recorded as caused by any change, starts within
  DORA_FAILURE_WINDOW_HOURS after it and no later change on that service came in between (the
  incident is blamed on the latest change before it, once). A change counts once however many
  incidents it caused;
- **time to restore** is, per such incident, from its start (the incident kind's reporting
  `started` milestone) to its restoration (the kind's `restored` field, else its resolution);
  incidents not restored yet are left out. Cancelled duplicates and non-incidents are ignored.

The incident table and its columns come from the kind registry (kind_named("incident")), so this
app never imports the incidents app.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Model

from changes.models import Change, ChangeIncident, Deployment
from core.models import Service
from core.read_replica import read_connection
from core.tickets.kinds import TicketKind, kind_named
from reporting.sql import epoch, fetch_all, instant, is_postgres, seconds_between

# Row tags of the result: per-change facts and per-incident restore times.
FACT = "c"
RESTORE = "r"


@dataclass(frozen=True)
class DoraQuery:
    start: datetime
    end: datetime
    window: timedelta
    environments: tuple[str, ...]
    service_id: int | None = None
    group_id: int | None = None


def _table(model: type[Model]) -> str:
    return str(model._meta.db_table)


def _column(model: type[Model], field: str) -> str:
    return str(model._meta.get_field(field).column)  # type: ignore[union-attr]


def _incident_columns(kind: TicketKind) -> tuple[str, str, str | None, tuple[str, ...]]:
    """(started, restored expression, cancel reason column, reasons left out) of the kind."""
    model = kind.model
    if kind.reporting is None:
        raise LookupError("The incident kind declares no reporting milestones.")
    started = f"i.{_column(model, kind.reporting.started)}"
    resolved = f"i.{_column(model, kind.resolved_field)}"
    extras = kind.reporting_extras
    restored = (
        f"COALESCE(i.{_column(model, extras.restored)}, {resolved})"
        if extras is not None and extras.restored
        else resolved
    )
    cancel = (
        f"i.{_column(model, extras.cancel_reason)}"
        if extras is not None and extras.cancel_reason
        else None
    )
    reasons = tuple(extras.unmeasured_cancel_reasons) if extras is not None else ()
    return started, restored, cancel, reasons


def _placeholders(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _within(later: str, earlier: str, window: timedelta) -> tuple[str, list[Any]]:
    """SQL for `later - earlier <= window`, with its parameter (interval arithmetic on
    PostgreSQL, which needs no per-row conversion; seconds on SQLite)."""
    if is_postgres():
        return f"{later} <= {earlier} + %s", [window]
    return f"{epoch(later)} - {epoch(earlier)} <= %s", [window.total_seconds()]


def _counted(query: DoraQuery) -> tuple[str, list[Any]]:
    """The CTE `counted`: the changes of [start, start + period + window) with a service that
    count (DORA_ENVIRONMENTS, the service or team asked for), `in_period` for those of the
    period; the later ones only end an earlier change's blame."""
    change, deployment, service = _table(Change), _table(Deployment), _table(Service)
    link = _table(ChangeIncident)
    params: list[Any] = []
    change_where = ["c.implemented_at >= %s", "c.implemented_at < %s", "c.service_id IS NOT NULL"]
    params += [instant(query.end), instant(query.start), instant(query.end + query.window)]
    if query.environments:
        names = _placeholders(query.environments)
        change_where.append(f"(d.id IS NULL OR d.environment IN ({names}))")
        params += list(query.environments)
    if query.service_id is not None:
        change_where.append("c.service_id = %s")
        params.append(query.service_id)
    if query.group_id is not None:
        change_where.append("s.owner_group_id = %s")
        params.append(query.group_id)
    sql = f"""
    counted AS (
        SELECT c.id AS change_id, c.service_id, s.owner_group_id AS group_id,
               c.implemented_at AS happened,
               CASE WHEN d.id IS NULL THEN 0 ELSE 1 END AS is_deployment,
               {seconds_between("c.implemented_at", "d.committed_at")} AS lead_seconds,
               CASE WHEN c.implemented_at < %s THEN 1 ELSE 0 END AS in_period,
               CASE WHEN x.change_id IS NULL THEN 0 ELSE 1 END AS linked
        FROM {change} c
        JOIN {service} s ON s.id = c.service_id
        LEFT JOIN {deployment} d ON d.change_id = c.id
        LEFT JOIN (SELECT DISTINCT change_id FROM {link}) x ON x.change_id = c.id
        WHERE {" AND ".join(change_where)}
    )"""  # noqa: S608
    return sql, params


def _candidate(kind: TicketKind) -> tuple[list[str], list[Any]]:
    """The conditions (on `i`) of an incident that may be blamed on a change by time: not
    recorded as caused by any change, not a cancelled duplicate or non-incident."""
    _started, _restored, cancel, reasons = _incident_columns(kind)
    link = _table(ChangeIncident)
    where = [f"i.id NOT IN (SELECT incident_id FROM {link})"]  # noqa: S608
    params: list[Any] = []
    if cancel is not None and reasons:
        where.append(f"{cancel} NOT IN ({_placeholders(reasons)})")
        params += list(reasons)
    return where, params


def _ordered(query: DoraQuery) -> tuple[str, list[Any], str, list[Any], str, list[Any]]:
    """The WITH clause ending in `ordered` (every change and candidate incident of a team and
    service in time order, with the windows' results), and the SQL conditions (with their
    parameters) of a counted change that failed and of a restore time that counts."""
    kind = kind_named("incident")
    incident_table = _table(kind.model)
    started, restored, _cancel, _reasons = _incident_columns(kind)
    horizon = query.end + query.window
    service, link = _table(Service), _table(ChangeIncident)
    counted, params = _counted(query)

    candidate, candidate_params = _candidate(kind)
    incident_where = [f"{started} >= %s", f"{started} < %s", "i.service_id IS NOT NULL", *candidate]
    params += [instant(query.start), instant(horizon), *candidate_params]
    if query.service_id is not None:
        incident_where.append("i.service_id = %s")
        params.append(query.service_id)
    if query.group_id is not None:
        incident_where.append("s.owner_group_id = %s")
        params.append(query.group_id)

    # Changes (kind 0) and the incidents not recorded as caused by a change (kind 1), blamed by
    # position, changes first at the same instant; incidents need no tie-break of their own (a
    # NULL ref). The incidents recorded as caused by a counted change (kind 2) are there for
    # their restore times only: with no time they sort last and are no one's next event.
    events = f"""
    events AS (
        SELECT group_id, service_id, happened, 0 AS kind, change_id AS ref,
               is_deployment, lead_seconds, in_period, linked, NULL AS restore_seconds
        FROM counted
        UNION ALL
        SELECT s.owner_group_id, i.service_id, {started}, 1, NULL,
               NULL, NULL, NULL, NULL, {seconds_between(restored, started)}
        FROM {incident_table} i
        JOIN {service} s ON s.id = i.service_id
        WHERE {" AND ".join(incident_where)}
        UNION ALL
        SELECT c.group_id, c.service_id, NULL, 2, NULL,
               NULL, NULL, NULL, NULL, {seconds_between(restored, started)}
        FROM {link} l
        JOIN counted c ON c.change_id = l.change_id AND c.in_period = 1
        JOIN {incident_table} i ON i.id = l.incident_id
    ),
    ordered AS (
        SELECT e.*,
               MAX(CASE WHEN kind = 0 THEN happened END) OVER w_running AS change_at,
               LEAD(kind) OVER w_next AS next_kind,
               LEAD(happened) OVER w_next AS next_at
        FROM events e
        WINDOW w_running AS (
                   PARTITION BY group_id, service_id ORDER BY happened, kind, ref
                   ROWS UNBOUNDED PRECEDING
               ),
               w_next AS (PARTITION BY group_id, service_id ORDER BY happened, kind, ref)
    )"""  # noqa: S608
    next_within, next_params = _within("next_at", "happened", query.window)
    failed = f"(linked = 1 OR (next_kind = 1 AND {next_within}))"
    blamed_within, blamed_params = _within("happened", "change_at", query.window)
    restore = f"(kind = 2 OR (kind = 1 AND change_at < %s AND {blamed_within}))"
    restore_params = [instant(query.end), *blamed_params]
    return (
        f"WITH {counted},{events}",
        params,
        failed,
        next_params,
        restore,
        restore_params,
    )


def _blamed(query: DoraQuery) -> tuple[str, list[Any]]:
    """PostgreSQL: the statement `facts`, one row per counted change of the period (failed or
    not: recorded as a cause, or an incident in its interval, found by the first index entry)
    and per restore time that counts, in (team, service) order, for the aggregates.

    The same blame as `_ordered`, found from the changes instead of from every incident: an
    incident is blamed on the latest change before it, so each change of the period owns the
    interval [implemented, next counted change on its service) cut at the window's end (the
    window's end included, the next change's instant not: changes sort first). The intervals
    come from the changes alone (LEAD over ~100k rows, sorted by team, service and time); the
    incidents in them are read by index range scans (incident_service_identified), never
    sorted, and only those blamed.

    Everything about a change (its own row, the restore times blamed on it by time, those of
    the incidents recorded as caused by it, looked up only for a change recorded as a cause)
    comes out of one lateral subquery per change, so the rows leave the nested loop in the
    intervals' order (team, service, time: the LEAD's partitions): the ROLLUP reads them as
    they come instead of sorting the ~700k rows of a dense year first (0.5 s, spilling to
    disk at 64MB). Both ends of an interval are index conditions (the next change's instant
    as COALESCE(next_at, 'infinity'), so the scan stops there, not only at the window's end).
    `OFFSET 0` keeps the range scan a nested loop: flattened into a join, the planner (which
    cannot estimate the intervals) hashes every incident of each service against every
    change of it, 50 s over a dense year."""
    kind = kind_named("incident")
    incident_table = _table(kind.model)
    started, restored, _cancel, _reasons = _incident_columns(kind)
    link = _table(ChangeIncident)
    counted, params = _counted(query)
    candidate, candidate_params = _candidate(kind)
    blamed_on_p = f"""i.service_id = p.service_id
                  AND {started} >= p.happened
                  AND {started} <= p.happened + %s
                  AND {started} < COALESCE(p.next_at, 'infinity')
                  AND {" AND ".join(candidate)}"""
    blamed_params = [query.window, *candidate_params]
    restore_seconds = seconds_between(restored, started)
    sql = f"""WITH {counted},
    intervals AS (
        SELECT change_id, group_id, service_id, happened, is_deployment, lead_seconds,
               linked, in_period,
               LEAD(happened) OVER (PARTITION BY group_id, service_id ORDER BY happened, change_id)
                   AS next_at
        FROM counted
    ),
    facts AS (
        SELECT p.group_id, p.service_id, f.is_change, f.is_deployment, f.lead_seconds,
               f.failed, f.restore_seconds
        FROM intervals p
        CROSS JOIN LATERAL (
            SELECT 1 AS is_change, p.is_deployment, p.lead_seconds,
                   CASE WHEN p.linked = 1
                             OR EXISTS (SELECT 1 FROM {incident_table} i WHERE {blamed_on_p})
                        THEN 1 ELSE 0 END AS failed,
                   NULL::double precision AS restore_seconds
            UNION ALL
            SELECT * FROM (
                SELECT 0, 0, NULL::double precision, 0, {restore_seconds}
                FROM {incident_table} i
                WHERE {blamed_on_p} AND {restored} IS NOT NULL
                OFFSET 0
            ) b
            UNION ALL
            SELECT 0, 0, NULL, 0, {restore_seconds}
            FROM {link} l
            JOIN {incident_table} i ON i.id = l.incident_id
            WHERE p.linked = 1 AND l.change_id = p.change_id
        ) f
        WHERE p.in_period = 1
    )"""  # noqa: S608
    return sql, [*params, *blamed_params, *blamed_params]


def dora_statement(query: DoraQuery) -> tuple[str, list[Any]]:
    """PostgreSQL: the one statement of the figures and its parameters (dora_rows runs it;
    the benchmark and a test read its plan). One row per team and service, per team and
    overall: (group, service, grouped by team?, grouped overall?, changes, deployments,
    failed, lead count, lead median, restore count, restore median).

    The FILTERs spare the medians' transition function the rows without a value (most rows
    have no lead time or no restore time): the same medians, percentile_cont skips NULLs."""
    common, params = _blamed(query)
    sql = f"""{common}
    SELECT group_id, service_id, GROUPING(service_id), GROUPING(group_id),
           COUNT(*) FILTER (WHERE is_change = 1),
           COUNT(*) FILTER (WHERE is_deployment = 1),
           COUNT(*) FILTER (WHERE failed = 1),
           COUNT(lead_seconds),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY lead_seconds)
               FILTER (WHERE lead_seconds IS NOT NULL),
           COUNT(restore_seconds),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY restore_seconds)
               FILTER (WHERE restore_seconds IS NOT NULL)
    FROM facts
    GROUP BY ROLLUP (group_id, service_id)"""  # noqa: S608
    return sql, params


def dora_rows(query: DoraQuery, *, portable: bool = False) -> list[tuple[Any, ...]]:
    """PostgreSQL: the rows of dora_statement. Portable: one row per counted change (FACT,
    change, service, group, is_deployment, lead seconds, failed) and per restore (RESTORE,
    None, service, group, 0, restore seconds, 0)."""
    if is_postgres() and not portable:
        # JIT compiling this one statement costs more than it saves. SET LOCAL ends with the
        # report's transaction (reporting.sql.tuned).
        with read_connection().cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        return fetch_all(*dora_statement(query))
    common, params, failed, failed_params, restore, restore_params = _ordered(query)
    change_row = "kind = 0 AND in_period = 1"
    sql = f"""{common}
    SELECT '{FACT}', ref, service_id, group_id, is_deployment, lead_seconds,
           CASE WHEN {failed} THEN 1 ELSE 0 END
    FROM ordered WHERE {change_row}
    UNION ALL
    SELECT '{RESTORE}', NULL, service_id, group_id, 0, restore_seconds, 0
    FROM ordered WHERE restore_seconds IS NOT NULL AND {restore}"""  # noqa: S608
    return fetch_all(sql, [*params, *failed_params, *restore_params])
