"""The pure replay, without a database: hand-built histories and snapshots."""

from datetime import UTC, datetime, timedelta

from core.tickets.kinds import ClockRules
from sla.replay.engine import Change, TicketHistory, replay

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RULES = ClockRules(
    cancel_on=frozenset({"cancelled"}),
    pause_in=frozenset({"on_hold"}),
    response_met_on=frozenset({"logged"}),
    resolution_met_on=frozenset({"resolved"}),
    retarget_on=frozenset({"priority"}),
)
FINAL = frozenset({"closed", "cancelled"})


def snapshot(hours: float, thresholds=((50, "notify"), (75, "escalate"))):  # type: ignore[no-untyped-def]
    return {
        "policy_id": 1,
        "policy_name": "P",
        "target_seconds": int(hours * 3600),
        "calendar": {
            "name": "24x7",
            "timezone": "UTC",
            "always_open": True,
            "windows": [],
            "holidays": [],
        },
        "thresholds": [list(t) for t in thresholds],
    }


# Priority p: respond in p hours, resolve in 4p hours; no policy for priority 5.
def lookup(priority: int, service_id: int | None, metric: str):  # type: ignore[no-untyped-def]
    if priority == 5:
        return None
    return snapshot(priority if metric == "response" else 4 * priority)


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


LATE = h(100)


def status(hours: float, before: str, after: str, **fields: int) -> Change:
    return Change(h(hours), after, from_status=before, is_status_change=True, **fields)


def run(*changes: Change, priority: int = 2, now: datetime = LATE):  # type: ignore[no-untyped-def]
    history = TicketHistory(
        ticket_id=1,
        number="INC-000001",
        created_at=T0,
        priority=priority,
        service_id=None,
        changes=[Change(T0, "identified", is_creation=True), *changes],
    )
    clocks = replay(history, rules=RULES, final_statuses=FINAL, lookup=lookup, now=now)
    return {clock.metric: clock for clock in clocks}


def test_met_in_time_and_breached_late_dated_at_the_due_time() -> None:
    clocks = run(status(1, "identified", "logged"), status(9, "logged", "resolved"))
    response, resolution = clocks["response"], clocks["resolution"]
    assert (response.state, response.stopped_at, response.breached_at) == ("met", h(1), None)
    assert response.thresholds_crossed == (50,)
    assert response.escalations == 0
    assert (resolution.state, resolution.due_at, resolution.breached_at) == (
        "breached",
        h(8),
        h(8),
    )
    assert resolution.thresholds_crossed == (50, 75)
    assert resolution.escalations == 2  # the 75 % threshold escalates, and so does the breach
    assert resolution.elapsed_business_seconds == 9 * 3600


def test_a_running_clock_past_due_is_breached_as_of_now() -> None:
    clocks = run(now=h(3))
    assert clocks["response"].state == "running"
    assert clocks["response"].breached_at == h(2)
    assert clocks["resolution"].breached_at is None
    assert clocks["resolution"].thresholds_crossed == ()


def test_a_hold_moves_the_due_time_and_a_clock_paused_before_it_breaches_after() -> None:
    clocks = run(
        status(1, "identified", "logged"),
        status(7, "logged", "on_hold"),
        status(20, "on_hold", "logged"),
        now=h(20.5),
    )
    resolution = clocks["resolution"]
    assert resolution.state == "running"
    assert resolution.due_at == h(8 + 13)
    assert resolution.pauses == [[h(7), h(20)]]
    assert resolution.breached_at is None
    assert run(status(1, "identified", "logged"), status(7, "logged", "on_hold"), now=h(30))[
        "resolution"
    ].state == ("paused")


def test_reopen_excludes_the_resolved_time_and_cancel_closes_open_clocks() -> None:
    clocks = run(
        status(1, "identified", "logged"),
        status(2, "logged", "resolved"),
        status(5, "resolved", "logged"),
        status(6, "logged", "cancelled"),
    )
    assert clocks["response"].state == "met"
    resolution = clocks["resolution"]
    assert resolution.state == "cancelled"
    assert resolution.due_at == h(8 + 3)
    assert resolution.pauses == [[h(2), h(5)]]


def test_priority_change_retargets_from_the_start_or_cancels_without_a_policy() -> None:
    raised = run(status(0.5, "identified", "logged", priority=1), now=h(1))
    assert raised["response"].state == "met"  # met before the change: not re-targeted
    assert raised["resolution"].due_at == h(4)
    dropped = run(Change(h(1), "", priority=5), now=h(2))
    assert {c.state for c in dropped.values()} == {"cancelled"}
    assert run(priority=5) == {}


def test_a_breach_stays_when_the_new_target_has_passed_too() -> None:
    clocks = run(Change(h(3), "", priority=1), now=h(4))
    assert clocks["response"].breached_at == h(2)  # the old breach, already escalated
    assert clocks["response"].due_at == h(1)
