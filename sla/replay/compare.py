"""Replay against the stored clocks: the replay under the current policies must reproduce what
the engine stored, field by field.

Each clock is replayed under the snapshot stored on its row (the policy as it was when the clock
started, or when it was last re-targeted): editing a policy never moves a stored clock, so
the same edit must not move the replay. Instants are compared to within INSTANT_TOLERANCE: a
transition reads the time once for its timeline event and again for the clocks it moves, in the
same transaction. A running clock's breach is compared only once the sweeper has recorded one
(the replay's sweeper is punctual; the real one acts on its next run).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.tickets.kinds import TicketKind
from sla.models import SlaClock
from sla.replay.engine import ReplayedClock, replay
from sla.replay.inputs import Batch, PolicyBook, batches, policy_book
from sla.snapshot import parse_pauses

INSTANT_TOLERANCE = timedelta(seconds=1)


@dataclass(frozen=True)
class Mismatch:
    """One field of one clock where the replay and the stored row differ."""

    number: str
    metric: str
    field: str
    stored: Any
    replayed: Any

    def __str__(self) -> str:
        where = f"{self.number} {self.metric} {self.field}"
        return f"{where}: stored {self.stored}, replayed {self.replayed}"


@dataclass
class Tally:
    """What a comparison went through."""

    tickets: int = 0
    clocks: int = 0
    mismatches: int = 0


def compare_batch(
    kind: TicketKind, batch: Batch, book: PolicyBook, now: datetime, tally: Tally
) -> Iterator[Mismatch]:
    """Replay each ticket of the batch and yield every difference from its stored clocks."""
    assert kind.clock_rules is not None
    for history in batch.histories:
        tally.tickets += 1
        stored = batch.stored.get(history.ticket_id, {})
        pinned = {metric: clock.snapshot for metric, clock in stored.items()}
        replayed = {
            clock.metric: clock
            for clock in replay(
                history,
                rules=kind.clock_rules,
                final_statuses=kind.lifecycle.final,
                lookup=book.lookup,
                now=now,
                pinned=pinned,
            )
        }
        for metric in sorted(set(stored) | set(replayed)):
            tally.clocks += 1
            for mismatch in clock_differences(
                history.number, metric, stored.get(metric), replayed.get(metric)
            ):
                tally.mismatches += 1
                yield mismatch


def clock_differences(
    number: str, metric: str, stored: SlaClock | None, replayed: ReplayedClock | None
) -> Iterator[Mismatch]:
    if stored is None or replayed is None:
        yield Mismatch(
            number,
            metric,
            "clock",
            "present" if stored else "none",
            "present" if replayed else "none",
        )
        return
    if stored.state != replayed.state:
        yield Mismatch(number, metric, "state", stored.state, replayed.state)
    pairs: list[tuple[str, datetime | None, datetime | None]] = [
        ("started_at", stored.started_at, replayed.started_at),
        ("due_at", stored.due_at, replayed.due_at),
        ("stopped_at", stored.stopped_at, replayed.stopped_at),
    ]
    if stored.breached_at is not None or not replayed.is_open:
        pairs.append(("breached_at", stored.breached_at, replayed.breached_at))
    for name, left, right in pairs:
        if not _same_instant(left, right):
            yield Mismatch(number, metric, name, _text(left), _text(right))
    stored_pauses = parse_pauses(stored.pauses)
    if len(stored_pauses) != len(replayed.pauses) or not all(
        _same_instant(a, c) and _same_instant(b, d)
        for (a, b), (c, d) in zip(stored_pauses, replayed.pauses, strict=True)
    ):
        yield Mismatch(number, metric, "pauses", len(stored_pauses), len(replayed.pauses))
    for name in ("elapsed_business_seconds", "paused_seconds"):
        left_s, right_s = getattr(stored, name), getattr(replayed, name)
        if (left_s is None) != (right_s is None) or (
            left_s is not None and abs(left_s - right_s) > INSTANT_TOLERANCE.total_seconds()
        ):
            yield Mismatch(number, metric, name, left_s, right_s)


def _same_instant(left: datetime | None, right: datetime | None) -> bool:
    if left is None or right is None:
        return left is right
    return abs(left - right) <= INSTANT_TOLERANCE


def _text(value: datetime | None) -> str:
    return value.isoformat() if value else "none"


def compare_tickets(
    kind: TicketKind, ids: list[int], now: datetime, keep: int = 20
) -> tuple[Tally, list[Mismatch]]:
    """Replay the tickets `ids` (in batches) against their stored clocks: the tally and the
    first `keep` mismatches."""
    tally = Tally()
    first: list[Mismatch] = []
    book = policy_book(kind)
    for batch in batches(kind, ids):
        for mismatch in compare_batch(kind, batch, book, now, tally):
            if len(first) < keep:
                first.append(mismatch)
    return tally, first


def _presence(clock: object | None) -> str:
    return "present" if clock is not None else "none"
