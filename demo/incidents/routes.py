"""Which walk through the incident lifecycle a generated incident takes. No queries.

The table (incidents.transitions.LIFECYCLE, through demo.walks) decides the statuses, actions
and milestones of every walk; this module adds the demo's choices from demo.incidents.shape:
where a hold or a cancellation came from (ENTERED_FROM), and which optional stops (DETOURS) a
walk makes. A stop is optional on the way to a status when the shortest walk there does not
pass it but a walk through it does; security and major incidents always make the
CONTAIN_FIRST stop.
"""

import random
from collections.abc import Iterator
from itertools import accumulate, combinations

from core.lifecycle import Lifecycle
from demo.incidents.shape import CONTAIN_FIRST, DETOURS, ENTERED_FROM, STATUS_WEIGHTS
from demo.walks import Walk, Walks


class Routes:
    """The walks of generated incidents for one incident lifecycle."""

    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle
        self.walks = Walks(lifecycle)
        self.entered_from = {
            status: ([source for source, _ in pairs], list(accumulate(w for _, w in pairs)))
            for status, pairs in ENTERED_FROM.items()
        }
        self.detours: dict[str, tuple[tuple[str, float], ...]] = {}
        for status in map(str, lifecycle.statuses.values):
            if not self.walks.reaches(status):
                continue
            passed = self.walks.to(status).statuses
            self.detours[status] = tuple(
                (stop, share)
                for stop, share in DETOURS
                if stop not in passed and self.walks.reaches(stop, status)
            )

    def before(self, rng: random.Random, status: str) -> str:
        """Where the incident was before its last step: a hold or a cancellation came from a
        status drawn from ENTERED_FROM; any other status is its own."""
        entered = self.entered_from.get(status)
        if entered is None:
            return status
        return rng.choices(entered[0], cum_weights=entered[1])[0]

    def base(self, before: str) -> Walk:
        """The shortest walk to `before`: what the incident has been through for certain."""
        return self.walks.to(before)

    def walk(self, rng: random.Random, before: str, status: str, *, contain_first: bool) -> Walk:
        """The walk to `before` with the optional stops drawn, then on to `status`."""
        stops = []
        for stop, share in self.detours[before]:
            if (contain_first and stop == CONTAIN_FIRST) or rng.random() < share:
                stops.append(stop)
        return self.walks.to(*stops, before, status)

    def every_walk(self) -> Iterator[Walk]:
        """Every walk `walk` can return for the statuses of STATUS_WEIGHTS (raises NoWalkError if
        the table has none for one of them)."""
        for status in STATUS_WEIGHTS:
            entered = self.entered_from.get(status)
            for before in entered[0] if entered else [status]:
                detours = [stop for stop, _ in self.detours.get(before, ())]
                for size in range(len(detours) + 1):
                    for stops in combinations(detours, size):
                        yield self.walks.to(*stops, before, status)
