"""The what-if job: replay a scenario's tickets under its draft, page by page, in parts side by
side, and store the results. Never writes a stored clock.

A run is split into parts (WhatIfPart; settings.SLA_WHATIF_PARTS, by default one per CPU, and
never parts of fewer than MIN_PART_SIZE tickets): for each kind, the tickets in scope cut into
ranges of primary keys of about equal size when the run starts. The job that starts the run
replays part 0 itself; the others are queued through the outbox in the same transaction as
the start (PART_TASK, one Celery job each), so as many worker processes replay side by side.
Memory is bounded by one page per part: totals are per priority and group, flipped clocks go
to the database with each page (sla.whatif.page_replay replays a page).

The run is idempotent and resumable. `run_token` names the run: a delivery carrying another
token, or one for a run that is no longer queued or running (cancelled, finished, re-run),
does nothing. Each page of a part ends with a compare-and-set on the part's cursor (and adds
the page to the scenario's `done`, the progress bar, in the same transaction), so of two
deliveries of the same part only one advances, and a worker that died is followed by a
delivery that resumes after the last page recorded (flips are unique per clock, so a page
done twice adds none). A part that has replayed its last page marks itself finished, then
locks the scenario row: the part that finds every part finished is the last, merges the
parts' totals, writes the results and marks the run done — exactly once, whatever the order.
"""

import logging
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from core.models import SupportGroup
from core.outbox import outbox_enqueue
from core.tickets.kinds import kind_named
from sla.models_whatif import (
    Dimension,
    WhatIfAggregate,
    WhatIfFlip,
    WhatIfPart,
    WhatIfScenario,
    WhatIfStatus,
)
from sla.replay.inputs import policy_book
from sla.whatif.draft import draft_book, overrides_of
from sla.whatif.inputs import PAGE_SIZE, page_after, part_bounds, scope
from sla.whatif.outcomes import Totals
from sla.whatif.page_replay import Books, replay_page
from sla.whatif.services import calendar_parts

logger = logging.getLogger(__name__)

ERROR_LIMIT = 500
PART_TASK = "sla_whatif.start_part"
# A part smaller than a few pages costs more in its own job than it saves.
MIN_PART_SIZE = 4 * PAGE_SIZE


def scenario_run_job(scenario_id: int, token: str) -> str:
    """Start (or resume) the scenario's current run and replay its part 0: "done" when the run
    ended with it, "finished" when other parts are still running, "stopped", "failed" or
    "skipped"."""
    scenario = _claim(scenario_id, token)
    if scenario is None:
        return "skipped"
    return _run_part(scenario, 0)


def scenario_part_job(scenario_id: int, token: str, index: int) -> str:
    """Replay (or resume) part `index` of the scenario's current run; as scenario_run_job."""
    try:
        run_token = uuid.UUID(str(token))
    except ValueError:
        return "skipped"
    scenario = WhatIfScenario.objects.filter(
        pk=scenario_id, run_token=run_token, status=WhatIfStatus.RUNNING
    ).first()
    if scenario is None:
        return "skipped"
    return _run_part(scenario, index)


def _run_part(scenario: WhatIfScenario, index: int) -> str:
    part = WhatIfPart.objects.filter(scenario=scenario, index=index, finished=False).first()
    if part is None:
        return "skipped"
    try:
        return _advance(scenario, part)
    except Exception as exc:
        logger.exception("what-if scenario %s part %s failed", scenario.pk, index)
        WhatIfScenario.objects.filter(
            pk=scenario.pk, run_token=scenario.run_token, status=WhatIfStatus.RUNNING
        ).update(
            status=WhatIfStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:ERROR_LIMIT],
            finished_at=timezone.now(),
        )
        return "failed"


def _claim(scenario_id: int, token: str) -> WhatIfScenario | None:
    """The scenario if `token` is its current run and the run is queued (then it starts: old
    results go, the total is counted, the parts are cut and queued) or running (a redelivery
    resumes it)."""
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
            _start(scenario)
    return scenario


def _start(scenario: WhatIfScenario) -> None:
    """Call inside the transaction that locked the queued scenario."""
    now = timezone.now()
    WhatIfFlip.objects.filter(scenario=scenario).delete()
    WhatIfAggregate.objects.filter(scenario=scenario).delete()
    WhatIfPart.objects.filter(scenario=scenario).delete()
    kinds = [kind_named(name) for name in scenario.kinds]
    counts = [scope(kind, scenario).count() for kind in kinds]
    scenario.status = WhatIfStatus.RUNNING
    scenario.started_at = scenario.as_of = now
    scenario.total = sum(counts)
    scenario.done = 0
    scenario.save(update_fields=["status", "started_at", "as_of", "total", "done"])
    parts = max(1, min(settings.SLA_WHATIF_PARTS, scenario.total // MIN_PART_SIZE))
    bounds = [
        part_bounds(kind, scenario, count, parts) for kind, count in zip(kinds, counts, strict=True)
    ]
    WhatIfPart.objects.bulk_create(
        WhatIfPart(
            scenario=scenario,
            index=index,
            bounds=[kind_bounds[index] for kind_bounds in bounds],
            cursor_pk=bounds[0][index][0] if bounds else 0,
        )
        for index in range(parts)
    )
    for index in range(1, parts):
        outbox_enqueue(
            task_name=PART_TASK,
            payload={"scenario": scenario.pk, "token": str(scenario.run_token), "part": index},
            dedupe_key=f"sla-whatif:{scenario.run_token}:{index}",
            key_is_new=True,
        )


def _advance(scenario: WhatIfScenario, part: WhatIfPart) -> str:
    assert scenario.as_of is not None
    overrides = overrides_of(scenario.draft)
    calendars = calendar_parts()
    totals = Totals.from_json(part.partial)
    cursor = (part.cursor_kind, part.cursor_pk)
    for index, name in enumerate(scenario.kinds):
        if index < cursor[0]:
            continue
        after, upto = part.bounds[index]
        kind = kind_named(name)
        current = policy_book(kind)
        books = Books(current, draft_book(current, name, overrides, calendars))
        last = cursor[1] if index == cursor[0] else after
        while (page := page_after(kind, scenario, last, upto=upto)) is not None:
            flips = replay_page(
                kind,
                page,
                books=books,
                as_of=scenario.as_of,
                totals=totals,
                scenario_id=scenario.pk,
            )
            WhatIfFlip.objects.bulk_create(flips, ignore_conflicts=True)
            recorded = _record_page(
                scenario=scenario,
                part=part,
                cursor=cursor,
                moved=(index, page.ids[-1]),
                count=len(page.ids),
                totals=totals,
            )
            if not recorded:
                return "stopped"
            cursor = (index, page.ids[-1])
            last = page.ids[-1]
    return _finish(scenario, part, cursor, totals)


def _still_running(
    scenario: WhatIfScenario, part: WhatIfPart, cursor: tuple[int, int]
) -> QuerySet[WhatIfPart]:
    """The part's row, if its run is still the scenario's running one and nobody moved its
    cursor since `cursor` (a compare-and-set target)."""
    return WhatIfPart.objects.filter(
        pk=part.pk,
        finished=False,
        cursor_kind=cursor[0],
        cursor_pk=cursor[1],
        scenario__run_token=scenario.run_token,
        scenario__status=WhatIfStatus.RUNNING,
    )


def _record_page(
    *,
    scenario: WhatIfScenario,
    part: WhatIfPart,
    cursor: tuple[int, int],
    moved: tuple[int, int],
    count: int,
    totals: Totals,
) -> bool:
    with transaction.atomic():
        advanced = _still_running(scenario, part, cursor).update(
            cursor_kind=moved[0],
            cursor_pk=moved[1],
            done=F("done") + count,
            partial=totals.as_json(),
        )
        if advanced:
            WhatIfScenario.objects.filter(pk=scenario.pk).update(done=F("done") + count)
    return bool(advanced)


def _finish(
    scenario: WhatIfScenario, part: WhatIfPart, cursor: tuple[int, int], totals: Totals
) -> str:
    with transaction.atomic():
        marked = _still_running(scenario, part, cursor).update(
            finished=True, partial=totals.as_json()
        )
        if not marked:
            return "stopped"
        # Every finishing part takes this lock after marking itself: the one that sees all
        # parts finished is the last, and exactly one part sees it.
        WhatIfScenario.objects.select_for_update().filter(pk=scenario.pk).first()
        parts = list(
            WhatIfPart.objects.filter(scenario=scenario).values_list("finished", "partial")
        )
        if not all(finished for finished, _ in parts):
            return "finished"
        merged = Totals.empty()
        for _, partial in parts:
            merged.merge(Totals.from_json(partial))
        finished = WhatIfScenario.objects.filter(
            pk=scenario.pk, run_token=scenario.run_token, status=WhatIfStatus.RUNNING
        ).update(status=WhatIfStatus.DONE, finished_at=timezone.now(), done=F("total"))
        if not finished:
            return "stopped"
        WhatIfAggregate.objects.filter(scenario=scenario).delete()
        WhatIfAggregate.objects.bulk_create(_aggregates(scenario.pk, merged))
    return "done"


def _aggregates(scenario_id: int, totals: Totals) -> list[WhatIfAggregate]:
    group_ids = [key for (_, _, dim, key) in totals.counts if dim == Dimension.GROUP and key]
    groups = dict(SupportGroup.objects.filter(pk__in=group_ids).values_list("pk", "name"))
    return [
        WhatIfAggregate(
            scenario_id=scenario_id,
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
