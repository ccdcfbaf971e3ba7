"""Bulk loading of demo incidents with their timelines (a fixture load, not live work).

Seeded history is bulk-inserted (incidents.demo.rows), batch by batch, each batch in its own
transaction: no service runs, so no outbox rows (no emails) and no per-row timeline writes.
Numbers are reserved from the ticket counter before each batch is inserted, so live incident
creation running at the same time never collides with them and continues after them.

Two phases keep numbers in the order of time, as live numbering would: first every incident's
status and report time are drawn (a few bytes each), then the incidents are built and inserted in
report-time order.
"""

import random
from array import array
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from core.models import Comment, TimelineEvent
from core.numbering import advance_counter, reserve_numbers
from incidents.demo.planner import IncidentPlanner, PlannedIncident
from incidents.demo.reference import DemoWorld
from incidents.demo.rows import RowWriter, TimestampText, ids_by
from incidents.demo.shape import (
    COMMENT_FIELDS,
    COMMENT_TICKET,
    COVERAGE,
    EVENT_COMMENT,
    EVENT_FIELDS,
    EVENT_TICKET,
)
from incidents.models import Incident

NUMBER_WIDTH = 6


@dataclass(frozen=True)
class LoadResult:
    incidents: int
    events: int
    comments: int
    first_number: str
    last_number: str


INCIDENT_FIELDS = (
    "number",
    "title",
    "description",
    "requester_id",
    "assignee_id",
    "support_group_id",
    "tier",
    "priority",
    "service_id",
    "configuration_item_id",
    "source",
    "status",
    "category",
    "impact",
    "urgency",
    "is_major",
    "on_hold_reason",
    "status_before_hold",
    "containment_notes",
    "diagnosis_notes",
    "resolution_code",
    "resolution_notes",
    "cancel_reason",
    "reopen_count",
    "identified_at",
    "created_at",
    "updated_at",
    "version",
    "logged_at",
    "classified_at",
    "contained_at",
    "diagnosed_at",
    "resolved_at",
    "closed_at",
    "cancelled_at",
)


def load_incidents(
    world: DemoWorld,
    *,
    count: int,
    seed: int,
    batch_size: int,
    on_progress: Callable[[int], None] | None = None,
) -> LoadResult:
    """Insert `count` demo incidents with their timelines and comments; returns what was written.

    The first incidents of every run take the shapes in planner.COVERAGE, so any run of at
    least that many shows every status, hold reason and cancel reason.
    """
    planner = IncidentPlanner(
        world,
        now=timezone.now(),
        local_tz=timezone.get_current_timezone(),
        ticket_type_id=ContentType.objects.get_for_model(Incident).pk,
        autoclose_days=settings.INCIDENT_AUTOCLOSE_DAYS,
    )
    rng = random.Random(seed)  # noqa: S311 — reproducible demo data, not secrets
    status_index = {status: i for i, status in enumerate(planner.statuses)}
    statuses = array("B")
    starts = array("q")
    for i in range(count):
        status = COVERAGE[i].status if i < len(COVERAGE) else planner.pick_status(rng)
        statuses.append(status_index[status])
        starts.append(planner.start_time(rng, status))
    order = sorted(range(count), key=starts.__getitem__)

    prefix = Incident.NUMBER_PREFIX
    times = TimestampText.for_connection()
    incident_rows = RowWriter(Incident, INCIDENT_FIELDS, times=times)
    event_rows = RowWriter(TimelineEvent, EVENT_FIELDS, times=times)
    comment_rows = RowWriter(Comment, COMMENT_FIELDS, times=times)
    ticket_type_id = planner.ticket_type_id
    events_written = comments_written = 0
    first = last = 0
    for offset in range(0, count, batch_size):
        chunk = order[offset : offset + batch_size]
        with transaction.atomic():
            numbers = reserve_numbers(prefix, len(chunk))
            plans = [
                planner.plan(
                    rng,
                    number=f"{prefix}-{number:0{NUMBER_WIDTH}d}",
                    status=planner.statuses[statuses[index]],
                    start=starts[index],
                    coverage=COVERAGE[index] if index < len(COVERAGE) else None,
                )
                for index, number in zip(chunk, numbers, strict=True)
            ]
            incident_rows.insert_mappings(plan.incident for plan in plans)
            pks = ids_by(Incident, "number", [plan.incident["number"] for plan in plans])
            commented: list[PlannedIncident] = []
            for plan in plans:
                pk = pks[plan.incident["number"]]
                for event in plan.events:
                    event[EVENT_TICKET] = pk
                if plan.comment is not None:
                    plan.comment[COMMENT_TICKET] = pk
                    commented.append(plan)
            comments_written += comment_rows.insert(
                plan.comment for plan in commented if plan.comment is not None
            )
            # A new incident has at most one comment, so its ticket id finds the comment's id.
            comment_ids = ids_by(
                Comment,
                "ticket_id",
                [pks[plan.incident["number"]] for plan in commented],
                ticket_type_id=ticket_type_id,
            )
            for plan in commented:
                if plan.comment_event is not None:
                    plan.comment_event[EVENT_COMMENT] = comment_ids[pks[plan.incident["number"]]]
            events_written += event_rows.insert(event for plan in plans for event in plan.events)
        first = first or numbers[0]
        last = max(last, numbers[-1])
        if on_progress is not None:
            on_progress(offset + len(chunk))
    if last:
        # The reservation already moved the counter; this states the guarantee explicitly.
        advance_counter(prefix, last)
    return LoadResult(
        incidents=count,
        events=events_written,
        comments=comments_written,
        first_number=f"{prefix}-{first:0{NUMBER_WIDTH}d}" if first else "",
        last_number=f"{prefix}-{last:0{NUMBER_WIDTH}d}" if last else "",
    )
