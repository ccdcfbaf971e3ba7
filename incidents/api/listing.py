"""The incident list's page, read as plain values and rendered without model instances.

A page is 50 incidents. Reading them as models with their people, group, service and CI joined
(250 instances, a six-table join whose planning alone took 8 ms on PostgreSQL) and running DRF's
field machinery over them cost seven times a bare DRF list (BENCHMARKS.md, "Incident API").
Here the page is one narrow query (the two small tables, groups and services, joined), the
people on it a second, the SLA state of each row counted in SQL a third, and `summary_rows`
builds the IncidentSummaryOutputSerializer shape directly. tests/api/test_incident_list_shape.py
holds this rendering to that serializer's, field for field, so the two cannot drift.
"""

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, tzinfo
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from core.selectors import user_refs
from incidents.models import Incident
from sla.choices import SlaState
from sla.selectors import SlaSummary, sla_summaries_for_tickets

Row = dict[str, Any]
NO_SLA = SlaSummary(SlaState.NONE, None)

# Every column the summary and the orderings (incidents.filtersets.ORDERINGS) read.
COLUMNS = (
    "id",
    "number",
    "title",
    "status",
    "priority",
    "impact",
    "urgency",
    "category",
    "is_major",
    "tier",
    "source",
    "requester_id",
    "assignee_id",
    "support_group_id",
    "support_group__name",
    "support_group__tier",
    "service_id",
    "service__name",
    "version",
    "created_at",
    "updated_at",
    "resolved_at",
    "sla_due_at",
    "alert_firing_since",
    "alert_last_recovered_at",
)


def summary_values(queryset: QuerySet[Incident]) -> QuerySet[Incident, Row]:
    """A scoped, filtered and ordered incident queryset narrowed to the summary's columns."""
    return queryset.values(*COLUMNS)


def _datetime_formatter(zone: tzinfo) -> Callable[[datetime | None], str | None]:
    """DRF's DateTimeField output (ISO 8601 in the current time zone, UTC as "Z") for one zone."""

    def render(value: datetime | None) -> str | None:
        if value is None:
            return None
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return render


def summary_rows(rows: Sequence[Row], *, now: datetime) -> list[Row]:
    """The page's rows in the IncidentSummaryOutputSerializer shape (two queries: the people and
    the clocks of the whole page)."""
    people = user_refs(_people_ids(rows))
    sla = sla_summaries_for_tickets(Incident, [row["id"] for row in rows], now)
    instant = _datetime_formatter(timezone.get_current_timezone())
    return [
        {
            "number": row["number"],
            "title": row["title"],
            "status": row["status"],
            "priority": row["priority"],
            "impact": row["impact"],
            "urgency": row["urgency"],
            "category": row["category"],
            "is_major": row["is_major"],
            "tier": row["tier"],
            "source": row["source"],
            "requester": people.get(row["requester_id"]),
            "assignee": people.get(row["assignee_id"]) if row["assignee_id"] else None,
            "support_group": {
                "id": row["support_group_id"],
                "name": row["support_group__name"],
                "tier": row["support_group__tier"],
            }
            if row["support_group_id"]
            else None,
            "service": {"id": row["service_id"], "name": row["service__name"]}
            if row["service_id"]
            else None,
            "version": row["version"],
            "created_at": instant(row["created_at"]),
            "updated_at": instant(row["updated_at"]),
            "resolved_at": instant(row["resolved_at"]),
            "alert_firing_since": instant(row["alert_firing_since"]),
            "alert_recovered_at": None
            if row["alert_firing_since"]
            else instant(row["alert_last_recovered_at"]),
            "sla": {"state": summary.state.value, "due_at": instant(summary.due_at)},
        }
        for row in rows
        for summary in (sla.get(row["id"], NO_SLA),)
    ]


def _people_ids(rows: Iterable[Row]) -> set[int]:
    ids = set()
    for row in rows:
        ids.add(row["requester_id"])
        if row["assignee_id"]:
            ids.add(row["assignee_id"])
    return ids
