"""The SLA engine keeps no list of ticket kinds: the kinds a policy can be for are the registered
kinds with SLA clocks, read when asked (a kind registered later is offered, its migrations
name the function rather than a copy of the list), and a ticket's clocks are found through the
kind its number names."""

import importlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from core.tickets.kinds import ClockRules, TicketKind, kind_named, kinds, register
from problems.choices import ProblemStatus
from sla.api.filtersets import SlaPolicyFilterSet
from sla.api.selectors import ticket_get_for_user
from sla.choices import ticket_kind_choices
from sla.models import SlaPolicy
from tests.problems.factories import ProblemFactory


@pytest.fixture
def problems_with_clocks() -> Iterator[TicketKind]:
    """The problem kind registered for a while as if it declared SLA clocks."""
    original = kind_named("problem")
    register(
        replace(
            original,
            clock_rules=ClockRules(
                cancel_on=frozenset({ProblemStatus.CANCELLED}),
                pause_in=frozenset(),
                response_met_on=frozenset({ProblemStatus.INVESTIGATING}),
                resolution_met_on=frozenset({ProblemStatus.RESOLVED}),
            ),
        )
    )
    yield kind_named("problem")
    register(original)


def policy(kind: str, calendar) -> SlaPolicy:
    return SlaPolicy(
        name=f"{kind} P3",
        ticket_kind=kind,
        priority=3,
        response_target=timedelta(hours=1),
        resolution_target=timedelta(hours=8),
        calendar=calendar,
    )


def test_policy_kinds_are_the_registered_kinds_with_clocks() -> None:
    expected = [(kind.name, kind.label) for kind in kinds() if kind.has_sla]
    # The project's three, then the test run's own kind (tests/kindtest); problems have no clocks.
    project = [("incident", "Incident"), ("request", "Service request"), ("change", "Change")]
    assert ticket_kind_choices() == expected == [*project, ("chore", "Chore")]
    assert list(SlaPolicy._meta.get_field("ticket_kind").choices) == expected


def test_a_kind_registered_with_clocks_can_have_policies(
    problems_with_clocks, always_open_calendar
) -> None:
    assert ("problem", "Problem") in ticket_kind_choices()
    policy("problem", always_open_calendar).full_clean()
    assert SlaPolicyFilterSet({"ticket_kind": "problem"}).is_valid()


def test_a_kind_without_clocks_cannot(always_open_calendar) -> None:
    with pytest.raises(ValidationError) as refused:
        policy("problem", always_open_calendar).full_clean()
    assert "ticket_kind" in refused.value.message_dict
    assert not SlaPolicyFilterSet({"ticket_kind": "problem"}).is_valid()


def test_the_migration_names_the_function_not_a_list_of_kinds() -> None:
    migration = importlib.import_module("sla.migrations.0003_policy_kinds_from_registry")
    (operation,) = migration.Migration.operations
    *_, kwargs = operation.field.deconstruct()
    assert kwargs["choices"] is ticket_kind_choices


def test_a_tickets_clocks_are_found_through_the_kind_its_number_names(
    problems_with_clocks, agent_l1
) -> None:
    problem = ProblemFactory()
    assert ticket_get_for_user(agent_l1, problem.number.lower()) == problem
