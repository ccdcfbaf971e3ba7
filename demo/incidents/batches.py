"""Batches of planned incidents: what a batch needs (BatchTask), what it gives (BatchRows: one
payload per table, see rows.RowWriter.payload), and where phase 1 (Draws) and the planning
run (Planning): in this process, or in worker processes for big loads.

Planning and formatting rows is pure Python and costs more than inserting them, so a big load
plans batches in forked worker processes while this process sends earlier ones to the
database. Workers never talk to the database: everything a batch needs (ticket numbers,
incident and comment ids) is reserved by this process before the batch is handed out. Each
chunk of phase 1 and each batch has its own random stream (from the seed and its position), so
the result does not depend on where or in which order they were planned.
"""

import multiprocessing
import random
from array import array
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from core.models import Comment, TimelineEvent
from demo.incidents.planner import IncidentPlanner
from demo.incidents.shape import (
    CLOCK_FIELDS,
    COMMENT_FIELDS,
    COVERAGE,
    DAY,
    EVENT_FIELDS,
    RECENT_DAYS,
)
from demo.rows import Payload, RowWriter, TimestampText
from incidents.models import Incident
from sla.models import SlaClock

NUMBER_WIDTH = 6  # INC-000042, as core.numbering.allocate_number writes them


@dataclass(frozen=True)
class BatchTask:
    """One batch: phase-1 draws of its incidents (index, status index, report time, whether it
    wants a comment) and the numbers and primary keys reserved for them, in the same order;
    `comment_ids` has one id per incident that wants a comment (the ones a batch does not use
    are gaps, like those of a rolled-back transaction)."""

    position: int
    seed: int
    indexes: list[int]
    statuses: bytes
    starts: list[int]
    wants_comment: bytes
    numbers: list[int]
    ids: list[int]
    comment_ids: list[int]


@dataclass
class BatchRows:
    """A planned batch: per table (TABLES), the row count and the payload to write."""

    incidents: int
    counts: dict[str, int]
    payloads: dict[str, Payload]


TABLES = ("incidents", "comments", "events", "clocks")  # in the order they are written


class BatchWriter:
    """The row writers of a load: `encode` turns planned rows into payloads (in a worker or
    here), `write` sends them (here)."""

    def __init__(self, times: TimestampText, *, incident_fields: tuple[str, ...]) -> None:
        self.writers = {
            "incidents": RowWriter(Incident, incident_fields, times=times),
            "comments": RowWriter(Comment, COMMENT_FIELDS, times=times),
            "events": RowWriter(TimelineEvent, EVENT_FIELDS, times=times),
            "clocks": RowWriter(SlaClock, CLOCK_FIELDS, times=times),
        }

    def encode(self, rows: dict[str, list[Any]]) -> BatchRows:
        return BatchRows(
            incidents=len(rows["incidents"]),
            counts={table: len(rows[table]) for table in TABLES},
            payloads={table: self.writers[table].payload(rows[table]) for table in TABLES},
        )

    def write(self, batch: BatchRows) -> None:
        """Insert a batch in the current transaction."""
        for table in TABLES:
            self.writers[table].write(batch.payloads[table])


def plan_batch(planner: IncidentPlanner, writer: BatchWriter, task: BatchTask) -> BatchRows:
    rng = random.Random(f"{task.seed}:{task.position}")  # noqa: S311 — reproducible demo data
    prefix = Incident.NUMBER_PREFIX
    statuses = planner.statuses
    comment_ids = iter(task.comment_ids)
    offered: int | None = None
    rows: dict[str, list[Any]] = {table: [] for table in TABLES}
    incidents, comments, events, clocks = (rows[table] for table in TABLES)
    for index, status, start, wants, number, pk in zip(
        task.indexes,
        task.statuses,
        task.starts,
        task.wants_comment,
        task.numbers,
        task.ids,
        strict=True,
    ):
        if wants and offered is None:
            offered = next(comment_ids)
        plan = planner.plan(
            rng,
            pk=pk,
            number=f"{prefix}-{number:06d}",
            status=statuses[status],
            start=start,
            coverage=COVERAGE[index] if index < len(COVERAGE) else None,
            comment_id=offered if wants else None,
        )
        incidents.append(plan.incident)
        if plan.comment is not None:
            comments.append(plan.comment)
            offered = None
        events.extend(plan.events)
        clocks.extend(plan.clocks)
    return writer.encode(rows)


# Phase-1 draws come in chunks of this many incidents, each from its own random stream, so
# they do not depend on the batch size or on where they were drawn.
DRAW_CHUNK = 50_000


@dataclass(frozen=True)
class Draws:
    """Phase 1 for a run of incidents: status index, report time and whether it wants a
    comment, by position."""

    statuses: bytes
    starts: "array[int]"
    wants_comment: bytes


def draw(planner: IncidentPlanner, seed: int, position: int, first: int, size: int) -> Draws:
    """Phase 1 for incidents first .. first + size - 1 (chunk `position` of the run); the
    first ones take the shapes in shape.COVERAGE."""
    rng = random.Random(f"{seed}:draw:{position}")  # noqa: S311 — reproducible demo data
    index = {status: i for i, status in enumerate(planner.statuses)}
    statuses = bytearray()
    starts = array("q")
    wants = bytearray()
    for i in range(first, first + size):
        forced = COVERAGE[i] if i < len(COVERAGE) else None
        status = forced.status if forced else planner.pick_status(rng)
        statuses.append(index[status])
        within = RECENT_DAYS * DAY if forced and forced.recent else None
        starts.append(planner.start_time(rng, status, within=within))
        wants.append(planner.wants_comment(rng, status))
    return Draws(bytes(statuses), starts, bytes(wants))


_worker: tuple[IncidentPlanner, BatchWriter] | None = None


def _start_worker(planner: IncidentPlanner, writer: BatchWriter) -> None:
    global _worker  # noqa: PLW0603 — one planner per worker process, set once
    _worker = (planner, writer)


def _plan_in_worker(task: BatchTask) -> BatchRows:
    if _worker is None:
        raise RuntimeError("The worker was started without a planner.")
    return plan_batch(*_worker, task)


def _draw_in_worker(seed: int, position: int, first: int, size: int) -> Draws:
    if _worker is None:
        raise RuntimeError("The worker was started without a planner.")
    return draw(_worker[0], seed, position, first, size)


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class Planning:
    """Where phase 1 and the batches are planned: here, or (`workers` > 1 and fork available)
    in that many forked worker processes, for the length of a `with` block.

    Enter it before the load's transaction: the workers are forked while the database
    connection is idle. They inherit the planner and the writer (nothing is pickled), and with
    them that connection, which they only borrow psycopg's adapters from: they never send on
    it, and they leave through os._exit, so nothing closes it either.
    """

    def __init__(self, planner: IncidentPlanner, writer: BatchWriter, *, workers: int) -> None:
        self.planner = planner
        self.writer = writer
        self.workers = workers if can_fork() else 1
        self.pool: Any = None

    def __enter__(self) -> "Planning":
        if self.workers > 1:
            for row_writer in self.writer.writers.values():
                row_writer.prepare_to_fork()
            context = multiprocessing.get_context("fork")
            self.pool = context.Pool(
                self.workers, initializer=_start_worker, initargs=(self.planner, self.writer)
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None

    def draws(self, seed: int, count: int) -> Draws:
        """Phase 1 for `count` incidents."""
        chunks = [
            (seed, position, first, min(DRAW_CHUNK, count - first))
            for position, first in enumerate(range(0, count, DRAW_CHUNK))
        ]
        if self.pool is None:
            parts = [draw(self.planner, *chunk) for chunk in chunks]
        else:
            parts = self.pool.starmap(_draw_in_worker, chunks)
        starts = array("q")
        for part in parts:
            starts.extend(part.starts)
        return Draws(
            b"".join(part.statuses for part in parts),
            starts,
            b"".join(part.wants_comment for part in parts),
        )

    def batches(self, tasks: Iterable[BatchTask]) -> Iterator[BatchRows]:
        """BatchRows for `tasks`, in order; workers plan a few batches ahead of the caller.
        The tasks are drawn in this thread, so they may query the database."""
        if self.pool is None:
            for task in tasks:
                yield plan_batch(self.planner, self.writer, task)
            return
        ahead: deque[Any] = deque()
        for task in tasks:
            ahead.append(self.pool.apply_async(_plan_in_worker, (task,)))
            if len(ahead) > self.workers:
                yield ahead.popleft().get()
        while ahead:
            yield ahead.popleft().get()
