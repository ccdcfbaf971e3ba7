"""The what-if job: replay a scenario's tickets under its draft, page by page, and store the
results. Never writes a stored clock.

Each page of tickets is replayed twice: under the snapshots stored on its clocks (as
sla.replay.compare does; it gives the escalations the stored clocks caused, which the rows do
not keep) and under the draft. Outcomes "before" are read from the stored clocks, "after" from
the draft's replay (sla.whatif.outcomes). Memory is bounded by one page: totals are per
priority and group, flipped clocks go to the database with each page.

The run is idempotent and resumable. `run_token` names the run: a delivery carrying another
token, or one for a run that is no longer queued or running (cancelled, finished, re-run),
does nothing. Each page ends with a compare-and-set on the cursor, so of two deliveries of the
same run only one advances, and a worker that died is followed by a delivery that resumes
after the last page recorded (flips are unique per clock, so a page done twice adds none).
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.models import SupportGroup
from core.tickets.kinds import TicketKind, kind_named
from sla.models_whatif import (
    Dimension,
    WhatIfAggregate,
    WhatIfFlip,
    WhatIfScenario,
    WhatIfStatus,
)
from sla.replay.engine import TicketHistory, replay
from sla.replay.inputs import PolicyBook, policy_book
from sla.snapshot import Snapshot
from sla.whatif.draft import draft_book, overrides_of
from sla.whatif.inputs import Page, page_after, scope
from sla.whatif.outcomes import (
    Totals,
    flip_direction,
    keys_of,
    replayed_outcome,
    stored_outcome,
)
from sla.whatif.services import calendar_parts

logger = logging.getLogger(__name__)

ERROR_LIMIT = 500


@dataclass(frozen=True)
class Books:
    """The two lookups of one kind: the current policies and the draft."""

    current: PolicyBook
    draft: PolicyBook


class SameSnapshots:
    """Whether the replay under the stored snapshots would be the draft's replay itself: when
    the draft gives each metric the snapshot stored on its clock at every priority and service
    the ticket passed through, both replays are the same computation, done once. Comparisons
    are remembered per pair of snapshot objects (they are shared by many tickets)."""

    def __init__(self) -> None:
        self.known: dict[tuple[int, int], bool] = {}

    def equal(self, left: Snapshot | None, right: Snapshot | None) -> bool:
        if left is None or right is None:
            return left is right
        key = (id(left), id(right))
        found = self.known.get(key)
        if found is None:
            found = self.known[key] = left == right
        return found

    def all_along(
        self, history: TicketHistory, pinned: dict[str, Snapshot], book: PolicyBook
    ) -> bool:
        stages = [(history.priority, history.service_id)]
        priority, service = history.priority, history.service_id
        for change in history.changes:
            if change.priority is None and change.service_id is None:
                continue
            priority = change.priority if change.priority is not None else priority
            if change.service_id is not None:
                service = change.service_id or None
            stages.append((priority, service))
        for metric in ("response", "resolution"):
            stored = pinned.get(metric)
            for priority, service in stages:
                drafted = book.lookup(priority, service, metric)
                # A clock the engine never stored: the draft must not start one either.
                if not self.equal(stored, drafted):
                    return False
        return True


def replay_page(
    kind: TicketKind,
    page: Page,
    *,
    books: Books,
    as_of: datetime,
    totals: Totals,
    scenario_id: int,
) -> list[WhatIfFlip]:
    """Replay one page under both lookups, add it to `totals`, return the flipped clocks."""
    rules = kind.clock_rules
    assert rules is not None
    final = kind.lifecycle.final
    flips: list[WhatIfFlip] = []
    same = SameSnapshots()
    for history in page.histories:
        stored = page.stored.get(history.ticket_id, {})
        pinned = {metric: clock.snapshot for metric, clock in stored.items()}
        after = {
            c.metric: c
            for c in replay(
                history, rules=rules, final_statuses=final, lookup=books.draft.lookup, now=as_of
            )
        }
        before = after
        if not same.all_along(history, pinned, books.draft):
            before = {
                c.metric: c
                for c in replay(
                    history,
                    rules=rules,
                    final_statuses=final,
                    lookup=books.current.lookup,
                    now=as_of,
                    pinned=pinned,
                )
            }
        priority, group_id = page.current[history.ticket_id]
        keys = keys_of(priority, group_id)
        for metric in ("response", "resolution"):
            was, will = stored.get(metric), after.get(metric)
            outcome_before = stored_outcome(was, as_of)
            outcome_after = replayed_outcome(will)
            if was is None and will is None:
                continue
            escalations = (
                before[metric].escalations if metric in before else 0,
                will.escalations if will is not None else 0,
            )
            totals.add(
                kind.name,
                metric,
                keys=keys,
                before=outcome_before,
                after=outcome_after,
                escalations=escalations,
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


def scenario_run_job(scenario_id: int, token: str) -> str:
    """Run (or resume) the scenario's current run; what happened, in one word."""
    scenario = _claim(scenario_id, token)
    if scenario is None:
        return "skipped"
    try:
        return _advance(scenario)
    except Exception as exc:
        logger.exception("what-if scenario %s failed", scenario_id)
        WhatIfScenario.objects.filter(
            pk=scenario_id, run_token=scenario.run_token, status=WhatIfStatus.RUNNING
        ).update(
            status=WhatIfStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:ERROR_LIMIT],
            finished_at=timezone.now(),
        )
        return "failed"


def _claim(scenario_id: int, token: str) -> WhatIfScenario | None:
    """The scenario if `token` is its current run and the run is queued (then it starts: old
    results go, the total is counted) or running (a redelivery resumes it)."""
    try:
        run_token = uuid.UUID(str(token))
    except ValueError:
        return None
    with transaction.atomic():
        scenario = (
            WhatIfScenario.objects.select_for_update()
            .filter(pk=scenario_id, run_token=run_token)
            .first()
        )
        if scenario is None or not scenario.is_active:
            return None
        if scenario.status == WhatIfStatus.QUEUED:
            now = timezone.now()
            WhatIfFlip.objects.filter(scenario=scenario).delete()
            WhatIfAggregate.objects.filter(scenario=scenario).delete()
            scenario.status = WhatIfStatus.RUNNING
            scenario.started_at = scenario.as_of = now
            scenario.total = sum(
                scope(kind_named(name), scenario).count() for name in scenario.kinds
            )
            scenario.done = scenario.cursor_kind = scenario.cursor_pk = 0
            scenario.partial = {}
            scenario.save(
                update_fields=[
                    "status",
                    "started_at",
                    "as_of",
                    "total",
                    "done",
                    "cursor_kind",
                    "cursor_pk",
                    "partial",
                ]
            )
    return scenario


def _advance(scenario: WhatIfScenario) -> str:
    assert scenario.as_of is not None
    overrides = overrides_of(scenario.draft)
    calendars = calendar_parts()
    totals = Totals.from_json(scenario.partial)
    cursor = (scenario.cursor_kind, scenario.cursor_pk)
    for index, name in enumerate(scenario.kinds):
        if index < cursor[0]:
            continue
        kind = kind_named(name)
        current = policy_book(kind)
        books = Books(current, draft_book(current, name, overrides, calendars))
        last = cursor[1] if index == cursor[0] else 0
        while (page := page_after(kind, scenario, last)) is not None:
            flips = replay_page(
                kind,
                page,
                books=books,
                as_of=scenario.as_of,
                totals=totals,
                scenario_id=scenario.pk,
            )
            WhatIfFlip.objects.bulk_create(flips, ignore_conflicts=True)
            advanced = WhatIfScenario.objects.filter(
                pk=scenario.pk,
                run_token=scenario.run_token,
                status=WhatIfStatus.RUNNING,
                cursor_kind=cursor[0],
                cursor_pk=cursor[1],
            ).update(
                cursor_kind=index,
                cursor_pk=page.ids[-1],
                done=F("done") + len(page.ids),
                partial=totals.as_json(),
            )
            if not advanced:
                return "stopped"
            cursor = (index, page.ids[-1])
            last = page.ids[-1]
    return _finish(scenario, totals)


def _finish(scenario: WhatIfScenario, totals: Totals) -> str:
    group_ids = [key for (_, _, dim, key) in totals.counts if dim == Dimension.GROUP and key]
    groups = dict(SupportGroup.objects.filter(pk__in=group_ids).values_list("pk", "name"))
    rows = [
        WhatIfAggregate(
            scenario_id=scenario.pk,
            kind=kind,
            metric=metric,
            dimension=dimension,
            key=key,
            label=(
                f"P{key}"
                if dimension == Dimension.PRIORITY
                else groups.get(key, "No group" if key == 0 else f"Group {key}")
            ),
            before_met=values[0],
            before_breached=values[1],
            before_escalations=values[2],
            after_met=values[3],
            after_breached=values[4],
            after_escalations=values[5],
        )
        for (kind, metric, dimension, key), values in sorted(totals.counts.items())
    ]
    with transaction.atomic():
        finished = WhatIfScenario.objects.filter(
            pk=scenario.pk, run_token=scenario.run_token, status=WhatIfStatus.RUNNING
        ).update(status=WhatIfStatus.DONE, finished_at=timezone.now(), done=F("total"))
        if not finished:
            return "stopped"
        WhatIfAggregate.objects.filter(scenario=scenario).delete()
        WhatIfAggregate.objects.bulk_create(rows)
    return "done"
