"""demo.walks: walks through a lifecycle table, found in the table and nowhere else."""

import pytest
from django.db.models import TextChoices

from core.lifecycle import Lifecycle, Transition
from core.tickets.kinds import kinds
from demo.walks import NoWalkError, Step, Walks


class Light(TextChoices):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    FLASHING = "flashing"
    OFF = "off"


def _t(action: str, sources: set[str], targets: set[str], *required: str) -> Transition:
    return Transition(action, action.title(), frozenset(sources), frozenset(targets), required)


L = Light
LIGHTS = Lifecycle(
    noun="a light",
    statuses=Light,
    final=frozenset({L.OFF}),
    initial=L.RED,
    milestones={L.RED: "red_at", L.GREEN: "green_at", L.OFF: "off_at"},
    transitions=(
        _t("warn", {L.RED}, {L.AMBER}, "driver"),
        _t("go", {L.AMBER}, {L.GREEN}),
        _t("jump", {L.RED}, {L.GREEN}, "reason"),
        _t("stop", {L.GREEN}, {L.RED}),
        _t("blink", {L.RED, L.AMBER, L.GREEN}, {L.FLASHING}),
        # Like resume: its target depends on the light's history, so no walk takes it.
        _t("recover", {L.FLASHING}, {L.RED, L.AMBER}),
        _t("switch_off", {L.FLASHING}, {L.OFF}),
    ),
)


def test_a_walk_is_the_shortest_run_of_transitions_from_the_initial_status() -> None:
    walk = Walks(LIGHTS).to(L.GREEN)

    assert walk.steps == (Step("jump", "red", "green"),)
    assert walk.start == "red" and walk.end == "green"
    assert walk.statuses == ("red", "green")
    assert walk.actions == {"jump"}
    assert walk.required == {"reason"}
    assert walk.milestones == (("red", "red_at"), ("green", "green_at"))


def test_stops_are_passed_in_order_and_only_listed_statuses_stamp_milestones() -> None:
    walk = Walks(LIGHTS).to(L.AMBER, L.GREEN, L.FLASHING, L.OFF)

    assert [step.action for step in walk.steps] == ["warn", "go", "blink", "switch_off"]
    assert walk.required == {"driver"}
    assert walk.milestones == (("red", "red_at"), ("green", "green_at"), ("off", "off_at"))
    assert all(isinstance(status, str) and type(status) is str for status in walk.statuses)


def test_a_walk_can_start_anywhere_and_an_empty_one_stays_put() -> None:
    walks = Walks(LIGHTS)

    assert walks.to(L.OFF, start=L.GREEN).statuses == ("green", "flashing", "off")
    assert walks.to(L.RED).steps == ()
    assert walks.to(L.RED).milestones == (("red", "red_at"),)


def test_transitions_whose_target_depends_on_history_are_never_taken() -> None:
    walks = Walks(LIGHTS)

    with pytest.raises(NoWalkError):
        walks.to(L.AMBER, start=L.FLASHING)
    # Through the flashing light and back would be shorter, were `recover` taken.
    assert walks.to(L.AMBER, start=L.GREEN).statuses == ("green", "red", "amber")


def test_no_walk_passes_a_status_twice_or_leaves_a_final_one() -> None:
    walks = Walks(LIGHTS)

    with pytest.raises(NoWalkError, match="without passing a status twice"):
        walks.to(L.GREEN, L.AMBER)  # amber only comes from red, passed already
    with pytest.raises(NoWalkError):
        walks.to(L.RED, start=L.OFF)
    with pytest.raises(NoWalkError, match="not a status"):
        walks.to(L.GREEN, start="blue")
    assert not walks.reaches(L.GREEN, L.AMBER)
    assert walks.reaches(L.AMBER, L.GREEN)


def test_walks_are_found_once() -> None:
    walks = Walks(LIGHTS)

    assert walks.to(L.OFF) is walks.to(L.OFF)


@pytest.mark.parametrize("kind", list(kinds()), ids=lambda kind: kind.name)
def test_every_status_of_every_kind_is_reached_by_legal_transitions(kind) -> None:  # type: ignore[no-untyped-def]
    lifecycle = kind.lifecycle
    walks = Walks(lifecycle)

    for status in lifecycle.statuses.values:
        walk = walks.to(status)
        assert walk.start == lifecycle.initial and walk.end == status
        for step in walk.steps:
            transition = lifecycle.table[step.action]
            assert step.source in transition.sources and {step.target} == transition.targets
            assert lifecycle.is_legal_pair(step.source, step.target)
        assert set(walk.milestones) <= set(lifecycle.milestones.items())
        assert {s for s, _ in walk.milestones} == set(walk.statuses) & set(lifecycle.milestones)
