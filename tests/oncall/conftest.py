"""Fixtures of the on-call tests: an L1 group managed by `manager` with three agents, and a
schedule with a daily rotation of them."""

from datetime import UTC, datetime

import pytest

from core.choices import Role
from core.models import SupportGroup, User
from oncall.models import Schedule
from oncall.services import layer_save, schedule_save
from tests.factories import UserFactory

HANDOFF = datetime(2026, 1, 5, 8, tzinfo=UTC)  # a Monday, 09:00 in Berlin


@pytest.fixture
def group(l1_group: SupportGroup, manager: User) -> SupportGroup:
    l1_group.manager = manager
    l1_group.save()
    return l1_group


@pytest.fixture
def agents(group: SupportGroup, agent_l1: User) -> list[User]:
    others = [
        UserFactory(username=f"oncall{n}", first_name=f"Agent{n}", role=Role.AGENT) for n in (2, 3)
    ]
    group.members.add(*others)
    return [agent_l1, *others]


@pytest.fixture
def schedule(group: SupportGroup, agents: list[User], manager: User) -> Schedule:
    made = schedule_save(
        schedule=None,
        data={"support_group": group, "name": "Primary", "time_zone": "Europe/Berlin"},
        actor=manager,
    )
    layer_save(
        schedule=made,
        layer=None,
        data={
            "level": 1,
            "shift_hours": 24,
            "handoff_at": HANDOFF,
            "member_ids": [a.pk for a in agents],
        },
        actor=manager,
    )
    return made
