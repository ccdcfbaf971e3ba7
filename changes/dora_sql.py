"""The SQL behind the DORA figures (changes.dora), read two ways that give the same numbers:

- PostgreSQL: one statement; the per-change facts are aggregated per service, per team and
  overall with GROUPING SETS and percentile_cont, so no change or incident row leaves the
  database;
- anywhere else (SQLite), or with `portable=True`: the same statement's per-change facts and
  per-incident restore times are read as rows and aggregated in Python (percentile_cont's
  linear interpolation). `portable=True` on PostgreSQL is how a test proves both agree.

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


def _common(query: DoraQuery) -> tuple[str, list[Any]]:
    """The WITH clause: counted changes, candidate incidents, the blame and the failures,
    ending in the CTEs `facts` (one row per change of the period) and `restores` (one row per
    failure incident restored)."""
    kind = kind_named("incident")
    incident_table = _table(kind.model)
    started, restored, cancel, reasons = _incident_columns(kind)
    window_seconds = query.window.total_seconds()
    horizon = query.end + query.window
    change, deployment, service = _table(Change), _table(Deployment), _table(Service)
    link = _table(ChangeIncident)

    params: list[Any] = []
    change_where = ["c.implemented_at >= %s", "c.implemented_at < %s", "c.service_id IS NOT NULL"]
    params += [instant(query.end), instant(query.start), instant(horizon)]
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
    counted = f"""
    counted AS (
        SELECT c.id AS change_id, c.service_id, s.owner_group_id AS group_id,
               c.implemented_at AS happened,
               CASE WHEN d.id IS NULL THEN 0 ELSE 1 END AS is_deployment,
               {seconds_between("c.implemented_at", "d.committed_at")} AS lead_seconds,
               CASE WHEN c.implemented_at < %s THEN 1 ELSE 0 END AS in_period
        FROM {change} c
        JOIN {service} s ON s.id = c.service_id
        LEFT JOIN {deployment} d ON d.change_id = c.id
        WHERE {" AND ".join(change_where)}
    )"""  # noqa: S608

    incident_where = [
        f"{started} >= %s",
        f"{started} < %s",
        "i.service_id IS NOT NULL",
        f"NOT EXISTS (SELECT 1 FROM {link} l WHERE l.incident_id = i.id)",  # noqa: S608
    ]
    params += [instant(query.start), instant(horizon)]
    if cancel is not None and reasons:
        incident_where.append(f"{cancel} NOT IN ({_placeholders(reasons)})")
        params += list(reasons)
    if query.service_id is not None:
        incident_where.append("i.service_id = %s")
        params.append(query.service_id)
    if query.group_id is not None:
        incident_where.append(
            f"i.service_id IN (SELECT g.id FROM {service} g WHERE g.owner_group_id = %s)"  # noqa: S608
        )
        params.append(query.group_id)
    candidates = f"""
    candidates AS (
        SELECT i.id AS incident_id, i.service_id, {started} AS happened
        FROM {incident_table} i
        WHERE {" AND ".join(incident_where)}
    )"""  # noqa: S608

    # Changes and incidents of a service in time order: `grp` numbers the changes so far, so an
    # incident shares its grp with the latest change before it; `change_at` is that change's time.
    ordered = """
    events AS (
        SELECT service_id, happened, 0 AS kind, change_id AS ref FROM counted
        UNION ALL
        SELECT service_id, happened, 1 AS kind, incident_id AS ref FROM candidates
    ),
    ordered AS (
        SELECT service_id, happened, kind, ref,
               COUNT(CASE WHEN kind = 0 THEN 1 END) OVER w AS grp,
               MAX(CASE WHEN kind = 0 THEN happened END) OVER w AS change_at
        FROM events
        WINDOW w AS (
            PARTITION BY service_id ORDER BY happened, kind, ref ROWS UNBOUNDED PRECEDING
        )
    )"""
    blamed = f"""
    blamed AS (
        SELECT o.service_id, o.grp, o.ref AS incident_id
        FROM ordered o
        WHERE o.kind = 1 AND o.grp > 0 AND {epoch("o.happened")} - {epoch("o.change_at")} <= %s
    ),
    failures AS (
        SELECT l.change_id, l.incident_id
        FROM {link} l JOIN counted c ON c.change_id = l.change_id AND c.in_period = 1
        UNION ALL
        SELECT c.ref AS change_id, b.incident_id
        FROM blamed b
        JOIN ordered c ON c.service_id = b.service_id AND c.grp = b.grp AND c.kind = 0
    ),
    facts AS (
        SELECT c.change_id, c.service_id, c.group_id, c.is_deployment, c.lead_seconds,
               CASE WHEN EXISTS (SELECT 1 FROM failures f WHERE f.change_id = c.change_id)
                    THEN 1 ELSE 0 END AS failed
        FROM counted c
        WHERE c.in_period = 1
    ),
    restores AS (
        SELECT c.service_id, c.group_id,
               {seconds_between(restored, started)} AS restore_seconds
        FROM failures f
        JOIN counted c ON c.change_id = f.change_id AND c.in_period = 1
        JOIN {incident_table} i ON i.id = f.incident_id
        WHERE {restored} IS NOT NULL
    )"""  # noqa: S608
    params.append(window_seconds)
    sql = f"WITH {counted},{candidates},{ordered},{blamed}"
    return sql, params


def dora_rows(query: DoraQuery, *, portable: bool = False) -> list[tuple[Any, ...]]:
    """PostgreSQL: aggregate rows (tag, service, group, grouped-by-service?, changes,
    deployments, failed, lead count, lead median, restore count, restore median).
    Portable: raw rows (tag, change, service, group, is_deployment, seconds, failed)."""
    common, params = _common(query)
    if is_postgres() and not portable:
        sets = "GROUPING SETS ((service_id, group_id), (group_id), ())"
        sql = f"""{common}
        SELECT '{FACT}', service_id, group_id, GROUPING(service_id), GROUPING(group_id),
               COUNT(*), SUM(is_deployment), SUM(failed), COUNT(lead_seconds),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY lead_seconds)
        FROM facts GROUP BY {sets}
        UNION ALL
        SELECT '{RESTORE}', service_id, group_id, GROUPING(service_id), GROUPING(group_id),
               COUNT(*), 0, 0, 0,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY restore_seconds)
        FROM restores GROUP BY {sets}"""  # noqa: S608
        return fetch_all(sql, params)
    sql = f"""{common}
    SELECT '{FACT}', change_id, service_id, group_id, is_deployment, lead_seconds, failed
    FROM facts
    UNION ALL
    SELECT '{RESTORE}', NULL, service_id, group_id, 0, restore_seconds, 0
    FROM restores"""  # noqa: S608
    return fetch_all(sql, params)
