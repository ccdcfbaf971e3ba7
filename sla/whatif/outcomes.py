"""Outcomes and running totals of a what-if run. Pure: no database.

A clock's outcome is "met", "breached" or None (still running within its target, or
cancelled: it counts neither way, as in the compliance report). "Before" reads the stored
clock as of the run's instant, treating a running clock past its due time as breached (the
replay's sweeper is punctual; the real one marks it on its next run). "After" reads the clock
replayed under the draft.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sla.models_whatif import Dimension, FlipDirection
from sla.replay.engine import ReplayedClock
from sla.whatif.inputs import StoredClock

MET = "met"
BREACHED = "breached"
CANCELLED = "cancelled"
# Per total: before met, before breached, before escalations, after met, after breached, after
# escalations.
WIDTH = 6


def stored_outcome(clock: StoredClock | None, as_of: datetime) -> str | None:
    if clock is None or clock.state == CANCELLED:
        return None
    if clock.state == MET:
        return MET
    if clock.state == BREACHED or clock.breached_at is not None:
        return BREACHED
    if clock.state == "running" and clock.due_at is not None and clock.due_at <= as_of:
        return BREACHED
    return None


def replayed_outcome(clock: ReplayedClock | None) -> str | None:
    if clock is None or clock.state == CANCELLED:
        return None
    if clock.state == MET:
        return MET
    if clock.state == BREACHED or clock.breached_at is not None:
        return BREACHED
    return None


def flip_direction(before: str | None, after: str | None) -> str | None:
    if before == MET and after == BREACHED:
        return FlipDirection.MET_TO_BREACHED.value
    if before == BREACHED and after == MET:
        return FlipDirection.BREACHED_TO_MET.value
    return None


TotalKey = tuple[str, str, str, int]  # kind, metric, dimension, key


@dataclass
class Totals:
    """Counts per (kind, metric, dimension, key): bounded by kinds x metrics x (priorities +
    groups), whatever the number of tickets."""

    counts: dict[TotalKey, list[int]]

    @classmethod
    def empty(cls) -> "Totals":
        return cls({})

    @classmethod
    def from_json(cls, data: dict[str, list[int]]) -> "Totals":
        counts: dict[TotalKey, list[int]] = {}
        for text, values in data.items():
            kind, metric, dimension, key = text.split("|")
            counts[(kind, metric, dimension, int(key))] = list(values)
        return cls(counts)

    def as_json(self) -> dict[str, list[int]]:
        return {"|".join(map(str, key)): values for key, values in sorted(self.counts.items())}

    def merge(self, other: "Totals") -> None:
        """Add `other`'s counts to these (the parts of one run)."""
        for key, values in other.counts.items():
            row = self.counts.setdefault(key, [0] * WIDTH)
            for index, value in enumerate(values):
                row[index] += value

    def add(
        self,
        kind: str,
        metric: str,
        *,
        keys: Iterable[tuple[str, int]],
        before: str | None,
        after: str | None,
        escalations: tuple[int, int],
    ) -> None:
        delta = (
            before == MET,
            before == BREACHED,
            escalations[0],
            after == MET,
            after == BREACHED,
            escalations[1],
        )
        for dimension, key in keys:
            row = self.counts.setdefault((kind, metric, dimension, key), [0] * WIDTH)
            for index, value in enumerate(delta):
                row[index] += int(value)


def keys_of(priority: int, group_id: int | None) -> tuple[tuple[str, int], tuple[str, int]]:
    return ((Dimension.PRIORITY.value, priority), (Dimension.GROUP.value, group_id or 0))
