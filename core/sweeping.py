"""The loop of a sweeper task (the SLA sweeper, the paging sweeper): batches until nothing is
due or the time budget is used, then one more task for the rest, so a backlog is worked in
bounded runs and a worker slot is never held for long. The deadlines themselves live in the
database; the sweeper function decides what is due."""

import time
from collections.abc import Callable
from typing import Protocol


class BatchResult(Protocol):
    @property
    def processed(self) -> int: ...

    @property
    def more_due(self) -> bool: ...


def sweep_in_batches(
    sweep: Callable[[], BatchResult], *, budget_seconds: float, requeue: Callable[[], object]
) -> int:
    """Run `sweep()` while it says more is due, for at most `budget_seconds`; past the budget
    call `requeue()` (another run of the task). Returns how many items were processed."""
    deadline = time.monotonic() + budget_seconds
    processed = 0
    while True:
        result = sweep()
        processed += result.processed
        if not result.more_due:
            return processed
        if time.monotonic() > deadline:
            requeue()
            return processed
