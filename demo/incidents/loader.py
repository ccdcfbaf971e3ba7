"""Bulk loading of demo incidents with their timelines, comments and SLA clocks (a fixture load,
not live work).

Seeded history is bulk-inserted (demo.rows), batch by batch: no service runs, so no
outbox rows (no emails) and no per-row timeline writes. Ticket numbers come from the ticket
counter (core.numbering.reserve_numbers) and primary keys from the tables' own sequences
(demo.rows.reserve_ids), both reserved before a batch is planned, so live incident creation running
at the same time never collides with them and continues after them, and the rows of a batch
refer to each other without reading anything back.

Two phases keep numbers in the order of time, as live numbering would: first every incident's
status, report time and whether it gets a comment are drawn (a few bytes each), then the
incidents are built and inserted in report-time order. Each batch has its own random stream
(from the seed and the batch's position), so the same seed and batch size give the same
incidents, whether batches are planned here or by worker processes (demo.incidents.batches).

Small loads commit batch by batch. A big load on PostgreSQL (`bulk=True`) runs in one
transaction that drops the plain secondary indexes and the foreign keys of the four tables it
fills and restores them at the end (demo.bulk); the tables are locked meanwhile.
Where the time of a million-incident load goes, and what brought it from eight minutes to
under three: BENCHMARKS.md, "Demo data".
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from core.models import Comment, TimelineEvent
from core.numbering import advance_counter, reserve_numbers
from core.tickets.kinds import kind_named
from demo.bulk import DeferredIndexes
from demo.incidents.batches import (
    NUMBER_WIDTH,
    TABLES,
    BatchRows,
    BatchTask,
    BatchWriter,
    Draws,
    Planning,
)
from demo.incidents.clocks import ClockPlanner
from demo.incidents.planner import IncidentPlanner
from demo.reference import DemoWorld
from demo.rows import TimestampText, reserve_ids
from incidents.models import Incident
from sla.models import SlaClock

# From this many incidents on, PostgreSQL loads take the bulk path (when the table is not
# already bigger than the load: rebuilding its indexes would cost more than it saves).
BULK_MIN = 100_000
LOADING = "Incidents"
INDEXING = "Indexes"
# progress(stage, done, total): stage is LOADING, then INDEXING on the bulk path.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class LoadResult:
    incidents: int
    events: int
    comments: int
    clocks: int
    first_number: str
    last_number: str
    bulk: bool = False


def wants_bulk(count: int) -> bool:
    """Whether loading `count` incidents should take the bulk path."""
    return (
        connection.vendor == "postgresql"
        and count >= BULK_MIN
        and count >= Incident.objects.count()
    )


def load_incidents(
    world: DemoWorld,
    *,
    count: int,
    seed: int,
    batch_size: int,
    bulk: bool = False,
    workers: int = 1,
    progress: Progress | None = None,
) -> LoadResult:
    """Insert `count` demo incidents with their timelines, comments and (open ones) SLA clocks;
    returns what was written. `bulk` (PostgreSQL only) loads in one transaction with index
    builds and foreign-key checks deferred to the end; `workers` > 1 plans batches in that many
    worker processes (see the module docstrings).

    The first incidents of every run take the shapes in shape.COVERAGE, so any run of at
    least that many shows every status, hold reason and cancel reason.
    """
    now = timezone.now()
    times = TimestampText.for_connection()
    ticket_type_id = ContentType.objects.get_for_model(Incident).pk
    planner = IncidentPlanner(
        world,
        lifecycle=kind_named("incident").lifecycle,
        now=now,
        local_tz=timezone.get_current_timezone(),
        ticket_type_id=ticket_type_id,
        autoclose_days=settings.INCIDENT_AUTOCLOSE_DAYS,
        times=times,
        clocks=ClockPlanner.for_services(
            list(world.service_id.values()),
            now=int(now.timestamp()),
            ticket_type_id=ticket_type_id,
            times=times,
        ),
    )
    writer = BatchWriter(times, incident_fields=planner.fields)
    if progress is not None:
        progress(LOADING, 0, count)
    with Planning(planner, writer, workers=workers) as planning:
        drawn = planning.draws(seed, count)
        order = sorted(range(count), key=drawn.starts.__getitem__)
        return _load(
            planning,
            writer,
            drawn,
            order,
            seed=seed,
            batch_size=batch_size,
            bulk=bulk,
            progress=progress,
        )


def _tasks(
    drawn: Draws, order: list[int], *, seed: int, batch_size: int, numbered: list[int]
) -> Iterator[BatchTask]:
    """The batches of a load in `order`, each with its numbers and ids reserved as it is
    handed out; the first and last number of each go to `numbered`."""
    statuses, starts, wants_comment = drawn.statuses, drawn.starts, drawn.wants_comment
    for position, offset in enumerate(range(0, len(order), batch_size)):
        chunk = order[offset : offset + batch_size]
        wants = bytes(wants_comment[i] for i in chunk)
        with transaction.atomic():
            numbers = reserve_numbers(Incident.NUMBER_PREFIX, len(chunk))
            ids = reserve_ids(Incident, len(chunk))
            comment_ids = reserve_ids(Comment, sum(wants))
        numbered.extend((numbers[0], numbers[-1]))
        yield BatchTask(
            position=position,
            seed=seed,
            indexes=chunk,
            statuses=bytes(statuses[i] for i in chunk),
            starts=[starts[i] for i in chunk],
            wants_comment=wants,
            numbers=numbers,
            ids=ids,
            comment_ids=comment_ids,
        )


def _load(
    planning: Planning,
    writer: BatchWriter,
    drawn: Draws,
    order: list[int],
    *,
    seed: int,
    batch_size: int,
    bulk: bool,
    progress: Progress | None,
) -> LoadResult:
    count = len(order)
    prefix = Incident.NUMBER_PREFIX
    numbered: list[int] = []

    def tasks() -> Iterator[BatchTask]:
        return _tasks(drawn, order, seed=seed, batch_size=batch_size, numbered=numbered)

    def report(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    written = dict.fromkeys(TABLES, 0)

    def write(batch: BatchRows) -> None:
        writer.write(batch)
        for table in TABLES:
            written[table] += batch.counts[table]
        report(LOADING, written["incidents"], count)

    if bulk:
        with transaction.atomic():
            deferred = DeferredIndexes([Incident, TimelineEvent, Comment, SlaClock])
            deferred.drop()
            for batch in planning.batches(tasks()):
                write(batch)
            deferred.restore(lambda step, steps: report(INDEXING, step, steps))
    else:
        for batch in planning.batches(tasks()):
            with transaction.atomic():
                write(batch)
    first, last = (min(numbered), max(numbered)) if numbered else (0, 0)
    if last:
        # The reservation already moved the counter; this states the guarantee explicitly.
        advance_counter(prefix, last)
    return LoadResult(
        incidents=written["incidents"],
        events=written["events"],
        comments=written["comments"],
        clocks=written["clocks"],
        first_number=f"{prefix}-{first:0{NUMBER_WIDTH}d}" if first else "",
        last_number=f"{prefix}-{last:0{NUMBER_WIDTH}d}" if last else "",
        bulk=bulk,
    )
