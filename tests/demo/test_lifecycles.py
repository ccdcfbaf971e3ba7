"""Demo histories follow each kind's lifecycle table: every status change is a pair the table
allows, and a ticket has exactly the milestones of the statuses it passed (`milestones`)."""

import dataclasses
import io
import random
from datetime import UTC, datetime
from itertools import groupby, pairwise
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import models

from core.choices import EventKind
from core.lifecycle import Lifecycle, Transition
from core.models import TimelineEvent
from core.tickets.kinds import TicketKind, kind_named, kinds
from demo.incidents.clocks import ClockPlanner
from demo.incidents.planner import IncidentPlanner
from demo.incidents.shape import (
    ACCEPT,
    CLASSIFY,
    CLOSE,
    CONTAIN_FIRST,
    COVERAGE,
    DETOURS,
    ENTERED_FROM,
    EVENT_FIELDS,
    STATUS_WEIGHTS,
    STEP_MINUTES,
    UNPACED_MINUTES,
)
from demo.reference import DemoWorld, seed_reference_data
from demo.rows import TimestampText
from demo.sla import seed_sla_demo
from incidents.choices import IncidentStatus as S
from incidents.models import Incident

pytestmark = pytest.mark.django_db

# Times every ticket has whatever its lifecycle: none of them is a milestone.
NOT_MILESTONES = {
    "created_at",
    "updated_at",
    "sla_due_at",
    "sla_warn_at",
    "review_completed_at",
    "satisfaction_at",
    "service_restored_at",
    # A change's planned window.
    "planned_start",
    "planned_end",
}
FROM, TO = EVENT_FIELDS.index("from_status"), EVENT_FIELDS.index("to_status")
KIND = EVENT_FIELDS.index("kind")


def _history_problems(
    lifecycle: Lifecycle, status: str, moves: list[tuple[str, str]], stamped: set[str]
) -> list[str]:
    """What is wrong with one ticket's history: `moves` are the (from, to) of its created and
    status_changed events in order, `stamped` its non-null time fields."""
    found = []
    if not moves or moves[0] != ("", lifecycle.initial):
        found.append(f"does not start in {lifecycle.initial}: {moves[:1]}")
    for (_, before), (source, target) in pairwise(moves):
        if source != before:
            found.append(f"jumps from {before} to {source}")
        if not lifecycle.is_legal_pair(source, target):
            found.append(f"moves {source} -> {target}, which the table does not allow")
    if moves and moves[-1][1] != status:
        found.append(f"ends in {moves[-1][1]} but is {status}")
    passed = {target for _, target in moves}
    expected = {field for s, field in lifecycle.milestones.items() if s in passed}
    if stamped - NOT_MILESTONES != expected:
        found.append(f"stamps {sorted(stamped - NOT_MILESTONES)}, passed {sorted(passed)}")
    return found


def _seeded_problems(kind: TicketKind) -> list[str]:
    model = kind.model
    times = [f.name for f in model._meta.concrete_fields if isinstance(f, models.DateTimeField)]
    events = (
        TimelineEvent.objects.filter(
            ticket_type=ContentType.objects.get_for_model(model),
            kind__in=[EventKind.CREATED, EventKind.STATUS_CHANGED],
        )
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "from_status", "to_status")
    )
    moves = {
        pk: [(source, target) for _, source, target in rows]
        for pk, rows in groupby(events, key=lambda row: row[0])
    }
    found = []
    for pk, number, status, *values in model._default_manager.values_list(
        "pk", "number", "status", *times
    ):
        stamped = {name for name, value in zip(times, values, strict=True) if value is not None}
        for problem in _history_problems(kind.lifecycle, status, moves.get(pk, []), stamped):
            found.append(f"{number}: {problem}")
    return found


def test_seeded_histories_follow_each_kinds_lifecycle() -> None:
    call_command("seed_demo", quiet=True, stdout=io.StringIO(), stderr=io.StringIO())

    # The project's kinds (not the test-only one, which the demo knows nothing of).
    for kind in (k for k in kinds() if not k.model.__module__.startswith("tests.")):
        assert kind.model._default_manager.exists(), kind.name
        assert _seeded_problems(kind) == [], kind.name


def test_the_check_catches_an_illegal_pair_and_a_stray_milestone() -> None:
    lifecycle = kind_named("incident").lifecycle
    good = [("", S.IDENTIFIED), (S.IDENTIFIED, S.LOGGED)]
    stamps = {"identified_at", "logged_at", "created_at"}

    assert _history_problems(lifecycle, S.LOGGED, good, stamps) == []
    assert _history_problems(
        lifecycle,
        S.CLASSIFIED,
        [*good, (S.LOGGED, S.RESOLVED), (S.RESOLVED, S.CLASSIFIED)],
        {*stamps, "classified_at", "resolved_at"},
    ) == ["moves logged -> resolved, which the table does not allow"]
    assert _history_problems(lifecycle, S.LOGGED, good, {*stamps, "contained_at"}) != []
    assert _history_problems(lifecycle, S.LOGGED, good, {"identified_at"}) != []


def test_the_demos_tables_name_the_lifecycles_actions_and_statuses() -> None:
    lifecycle = kind_named("incident").lifecycle
    actions = set(lifecycle.table)

    assert {ACCEPT, CLASSIFY, CLOSE} | set(STEP_MINUTES) | set(UNPACED_MINUTES) <= actions
    assert set(STATUS_WEIGHTS) == set(lifecycle.statuses.values)
    for status, sources in ENTERED_FROM.items():
        for source, _ in sources:
            assert lifecycle.is_legal_pair(source, status), (source, status)
    assert {stop for stop, _ in DETOURS} | {CONTAIN_FIRST} <= set(lifecycle.milestones)


def _planner(world: DemoWorld, lifecycle: Lifecycle) -> IncidentPlanner:
    now = datetime(2026, 11, 20, 10, tzinfo=UTC)
    ticket_type_id = ContentType.objects.get_for_model(Incident).pk
    times = TimestampText("")
    return IncidentPlanner(
        world,
        lifecycle=lifecycle,
        now=now,
        local_tz=UTC,
        ticket_type_id=ticket_type_id,
        autoclose_days=5,
        times=times,
        clocks=ClockPlanner.for_services(
            list(world.service_id.values()),
            now=int(now.timestamp()),
            ticket_type_id=ticket_type_id,
            times=times,
        ),
    )


def _plan_many(planner: IncidentPlanner, count: int) -> list[tuple[dict[str, Any], list[Any]]]:
    rng = random.Random(9)
    plans = []
    for i in range(count):
        coverage = COVERAGE[i] if i < len(COVERAGE) else None
        status = coverage.status if coverage else planner.pick_status(rng)
        plan = planner.plan(
            rng,
            pk=i + 1,
            number=f"INC-{i + 1:06d}",
            status=status,
            start=planner.start_time(rng, status),
            coverage=coverage,
        )
        plans.append((dict(zip(planner.fields, plan.incident, strict=True)), plan.events))
    return plans


def _replaced(lifecycle: Lifecycle, **sources: set[str]) -> Lifecycle:
    transitions = tuple(
        dataclasses.replace(t, sources=frozenset(sources[t.action])) if t.action in sources else t
        for t in lifecycle.transitions
    )
    return dataclasses.replace(lifecycle, transitions=transitions)


def test_the_generator_follows_whatever_the_table_says() -> None:
    """With diagnosis made mandatory before resolution and holds refused straight after
    logging, the same generator produces histories of that table, not of the real one."""
    world = seed_reference_data()
    seed_sla_demo()
    lifecycle = _replaced(
        kind_named("incident").lifecycle,
        resolve={S.DIAGNOSED},
        hold={S.CLASSIFIED, S.CONTAINED, S.DIAGNOSED},
    )

    planner = _planner(world, lifecycle)
    plans = _plan_many(planner, 600)

    assert set(planner.timeline.writers) <= set(lifecycle.table)

    for incident, events in plans:
        moves = [
            (e[FROM], e[TO])
            for e in events
            if e[KIND] in (EventKind.CREATED, EventKind.STATUS_CHANGED)
        ]
        stamped = {name for name, value in incident.items() if name.endswith("_at") and value}
        assert _history_problems(lifecycle, incident["status"], moves, stamped) == []
        if incident["resolved_at"]:
            assert incident["diagnosed_at"] and incident["diagnosis_notes"]
        if incident["status"] == S.ON_HOLD:
            assert incident["status_before_hold"] != S.LOGGED
    assert {incident["status"] for incident, _ in plans} == set(S.values)


def test_an_action_the_generator_cannot_write_stops_it_before_it_starts() -> None:
    world = seed_reference_data()
    seed_sla_demo()
    real = kind_named("incident").lifecycle
    renamed = tuple(
        Transition("acknowledge", t.label, t.sources, t.targets) if t.action == ACCEPT else t
        for t in real.transitions
    )

    with pytest.raises(RuntimeError, match="'acknowledge'"):
        _planner(world, dataclasses.replace(real, transitions=renamed))
