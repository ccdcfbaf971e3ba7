"""Walks through a ticket kind's lifecycle table (core.lifecycle.Lifecycle). Pure: no database.

The demo does not write down which statuses a ticket passes on its way, which action takes it
from one to the next, or which timestamp a status stamps: it asks the kind's table. A walk is
the shortest run of transitions from a start (the lifecycle's `initial` unless told otherwise)
through some stops, in order; a tie goes to the transition listed first in the table, so one
table always gives the same walks. A walk never passes a status twice.

Transitions with several targets (resume: back to wherever the ticket was before its hold)
lead where a ticket's history says, not the table, so a walk never takes them; what a hold
comes back to is the demo's choice of the stops before it.
"""

from collections import deque
from dataclasses import dataclass

from core.lifecycle import Lifecycle


class NoWalkError(ValueError):
    """The table has no walk through the stops asked for (without passing a status twice)."""


@dataclass(frozen=True)
class Step:
    action: str
    source: str
    target: str


@dataclass(frozen=True, eq=False)
class Walk:
    """Transitions from `start`, in order, with what they add up to: every status passed
    (`statuses`, the start first), the actions taken, the fields those transitions require,
    and the milestone field each status stamps, as (status, field) in walk order.

    Compared and hashed by identity: Walks hands out one object per walk, so callers can key
    their own per-walk tables by it cheaply."""

    start: str
    steps: tuple[Step, ...]
    statuses: tuple[str, ...]
    actions: frozenset[str]
    required: frozenset[str]
    milestones: tuple[tuple[str, str], ...]

    @property
    def end(self) -> str:
        return self.statuses[-1]


class Walks:
    """The walks of one lifecycle. Each is searched for once and then looked up: a large demo
    load asks for the same few dozen walks a million times."""

    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle
        self._onward: dict[str, list[Step]] = {}
        for transition in lifecycle.transitions:
            if len(transition.targets) != 1:
                continue
            # Plain strings, not the table's enum members: cheaper to hash and compare for
            # callers that look walks up per ticket.
            target = str(next(iter(transition.targets)))
            for source in map(str, transition.sources):
                if source not in lifecycle.final:
                    self._onward.setdefault(source, []).append(
                        Step(transition.action, source, target)
                    )
        self._milestones = {str(status): field for status, field in lifecycle.milestones.items()}
        self._found: dict[tuple[str | None, tuple[str, ...]], Walk] = {}

    def to(self, *stops: str, start: str | None = None) -> Walk:
        """The walk from `start` (default: the initial status) through `stops`, in order; the
        last stop is where it ends. Raises NoWalkError when the table has none."""
        key = (start, stops)
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = self._walk(str(start or self.lifecycle.initial), stops)
        return found

    def reaches(self, *stops: str, start: str | None = None) -> bool:
        try:
            self.to(*stops, start=start)
        except NoWalkError:
            return False
        return True

    def _walk(self, start: str, stops: tuple[str, ...]) -> Walk:
        if start not in self.lifecycle.statuses.values:
            raise NoWalkError(f"'{start}' is not a status of {self.lifecycle.noun}.")
        steps: list[Step] = []
        passed = [start]
        for stop in map(str, stops):
            if stop == passed[-1]:
                continue
            for step in self._leg(passed[-1], stop, avoid=frozenset(passed)):
                steps.append(step)
                passed.append(step.target)
        table, milestones = self.lifecycle.table, self._milestones
        return Walk(
            start=start,
            steps=tuple(steps),
            statuses=tuple(passed),
            actions=frozenset(step.action for step in steps),
            required=frozenset(field for step in steps for field in table[step.action].required),
            milestones=tuple(
                (status, milestones[status]) for status in passed if status in milestones
            ),
        )

    def _leg(self, source: str, target: str, *, avoid: frozenset[str]) -> list[Step]:
        """Breadth first from `source` to `target`, around the statuses already passed."""
        came_by: dict[str, Step] = {}
        queue = deque([source])
        while queue:
            status = queue.popleft()
            for step in self._onward.get(status, ()):
                reached = step.target
                if reached in avoid or reached in came_by:
                    continue
                came_by[reached] = step
                if reached == target:
                    leg = [step]
                    while leg[0].source != source:
                        leg.insert(0, came_by[leg[0].source])
                    return leg
                queue.append(reached)
        raise NoWalkError(
            f"{self.lifecycle.noun.capitalize()} cannot go from '{source}' to '{target}' "
            f"without passing a status twice ({', '.join(sorted(avoid))} already passed)."
        )
