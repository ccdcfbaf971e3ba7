"""One page of a what-if run: each ticket replayed under the draft, compared with its stored
clocks, added to the running totals. Pure apart from what the page already holds: no database.

"Before" outcomes are read from the stored clocks; "before" escalations (the stored rows do
not keep them) and "after" come from replays. A replay is skipped where its result is known
without it, because replay = stored (tests/sla/replay, tests/sla/whatif: the replay under the
snapshots stored on the clocks rebuilds their state and breach):

- a stored clock that was met, or breached, clearly (MARGIN) before or after its due time,
  whose snapshot has no escalating threshold and whose ticket fell under a current policy
  for its metric at every priority and service it passed through, escalated exactly once if
  it breached and never otherwise: that is its "before", with no replay. Running, paused and
  cancelled clocks are replayed (the real sweeper may not yet have marked a due time that has
  passed; the replay's is punctual), and so is a clock stopped at its due time;
- when the draft also gives each metric that very snapshot at every priority and service the
  ticket passed through, the draft's replay is the same computation: "after" is "before".

tests/sla/whatif/test_page_shortcuts.py compares these shortcuts with full replays.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from core.tickets.kinds import TicketKind
from sla.models_whatif import WhatIfFlip
from sla.replay.compare import INSTANT_TOLERANCE
from sla.replay.engine import ESCALATE, METRICS, ReplayedClock, TicketHistory, replay
from sla.replay.inputs import PolicyBook
from sla.snapshot import Snapshot
from sla.whatif.inputs import Page, StoredClock
from sla.whatif.outcomes import (
    Totals,
    flip_direction,
    keys_of,
    replayed_outcome,
    stored_outcome,
)

# Replay = stored holds instants to within INSTANT_TOLERANCE; a clock stopped closer than
# this to its due time may come out the other way in the replay (or met with a breach dated:
# a sweep and a stop at the very due instant), so it is replayed.
MARGIN = 2 * INSTANT_TOLERANCE
Stage = tuple[int, int | None]


@dataclass(frozen=True)
class Books:
    """The two lookups of one kind: the current policies and the draft."""

    current: PolicyBook
    draft: PolicyBook


class Memo:
    """What a page asks many times of the same few snapshot objects (they are shared by many
    tickets): whether two are equal, whether one escalates. Remembered by object identity; the
    page holds the objects, so an identity cannot be reused while the memo lives."""

    def __init__(self) -> None:
        self.equal_pairs: dict[tuple[int, int], bool] = {}
        self.escalating: dict[int, bool] = {}

    def equal(self, left: Snapshot | None, right: Snapshot | None) -> bool:
        if left is None or right is None:
            return left is right
        key = (id(left), id(right))
        found = self.equal_pairs.get(key)
        if found is None:
            found = self.equal_pairs[key] = left == right
        return found

    def escalates(self, snapshot: Snapshot) -> bool:
        found = self.escalating.get(id(snapshot))
        if found is None:
            found = self.escalating[id(snapshot)] = any(
                action == ESCALATE for _, action in snapshot["thresholds"]
            )
        return found


def stages_of(history: TicketHistory) -> list[Stage]:
    """Every (priority, service id) the ticket was at, in order, from its creation."""
    priority, service = history.priority, history.service_id
    stages = [(priority, service)]
    for change in history.changes:
        if change.priority is None and change.service_id is None:
            continue
        priority = change.priority if change.priority is not None else priority
        if change.service_id is not None:
            service = change.service_id or None
        stages.append((priority, service))
    return stages


def same_all_along(
    stages: list[Stage], pinned: dict[str, Snapshot], book: PolicyBook, memo: Memo
) -> bool:
    """Whether `book` gives each metric the snapshot stored on its clock at every stage (and
    none where the engine stored no clock)."""
    for metric in METRICS:
        stored = pinned.get(metric)
        for priority, service in stages:
            if not memo.equal(stored, book.lookup(priority, service, metric)):
                return False
    return True


def settled(
    clock: StoredClock | None, metric: str, stages: list[Stage], book: PolicyBook, memo: Memo
) -> bool:
    """Whether the replay under the clock's own snapshot is known from the stored row (see the
    module docstring)."""
    if clock is None or clock.due_at is None or clock.stopped_at is None:
        return False
    if clock.state == "met":
        clear = clock.stopped_at + MARGIN < clock.due_at
    elif clock.state == "breached":
        clear = clock.breached_at is not None and clock.stopped_at > clock.due_at + MARGIN
    else:
        return False
    return (
        clear
        and not memo.escalates(clock.snapshot)
        and all(book.lookup(priority, service, metric) is not None for priority, service in stages)
    )


def replay_page(
    kind: TicketKind,
    page: Page,
    *,
    books: Books,
    as_of: datetime,
    totals: Totals,
    scenario_id: int,
) -> list[WhatIfFlip]:
    """Replay one page under the draft, add it to `totals`, return the flipped clocks."""
    rules = kind.clock_rules
    assert rules is not None
    final = kind.lifecycle.final
    flips: list[WhatIfFlip] = []
    memo = Memo()

    def replayed(
        history: TicketHistory, book: PolicyBook, pinned: dict[str, Snapshot] | None = None
    ) -> dict[str, ReplayedClock]:
        clocks = replay(
            history, rules=rules, final_statuses=final, lookup=book.lookup, now=as_of, pinned=pinned
        )
        return {c.metric: c for c in clocks}

    for history in page.histories:
        stored = page.stored.get(history.ticket_id, {})
        pinned = {metric: clock.snapshot for metric, clock in stored.items()}
        stages = stages_of(history)
        known = all(settled(stored.get(m), m, stages, books.current, memo) for m in METRICS)
        same = same_all_along(stages, pinned, books.draft, memo)
        after: dict[str, ReplayedClock] | None = None
        if not (known and same):
            after = replayed(history, books.draft)
        before_escalations: Callable[[str], int]
        if known:
            before_escalations = _stored_escalations(stored)
        else:
            assert after is not None
            before = after if same else replayed(history, books.current, pinned)
            before_escalations = _replayed_escalations(before)
        priority, group_id = page.current[history.ticket_id]
        keys = keys_of(priority, group_id)
        for metric in METRICS:
            was = stored.get(metric)
            outcome_before = stored_outcome(was, as_of)
            if after is None:
                will, outcome_after, escalations_after = None, outcome_before, None
            else:
                will = after.get(metric)
                outcome_after = replayed_outcome(will)
                escalations_after = will.escalations if will is not None else 0
                if was is None and will is None:
                    continue
            escalations_before = before_escalations(metric)
            totals.add(
                kind.name,
                metric,
                keys=keys,
                before=outcome_before,
                after=outcome_after,
                escalations=(
                    escalations_before,
                    escalations_before if escalations_after is None else escalations_after,
                ),
            )
            direction = flip_direction(outcome_before, outcome_after)
            if direction is not None:
                flips.append(
                    WhatIfFlip(
                        scenario_id=scenario_id,
                        kind=kind.name,
                        ticket_id=history.ticket_id,
                        number=history.number,
                        metric=metric,
                        priority=priority,
                        group_id=group_id,
                        direction=direction,
                        due_before=was.due_at if was is not None else None,
                        due_after=will.due_at if will is not None else None,
                    )
                )
    return flips


def _stored_escalations(stored: dict[str, StoredClock]) -> Callable[[str], int]:
    return lambda metric: 1 if stored[metric].breached_at is not None else 0


def _replayed_escalations(clocks: dict[str, ReplayedClock]) -> Callable[[str], int]:
    return lambda metric: clocks[metric].escalations if metric in clocks else 0
