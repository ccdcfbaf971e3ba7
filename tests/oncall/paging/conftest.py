"""Fixtures of the paging tests: an L1 policy paging the on-call of the `schedule` fixture, then
the whole group; every agent reachable by email at once."""

import pytest

from core.models import SupportGroup, User
from oncall.models import (
    ContactMethod,
    ContactMethodKind,
    EscalationPolicy,
    EscalationStep,
    NotificationRule,
    Schedule,
    StepTarget,
)


@pytest.fixture
def policy(group: SupportGroup, schedule: Schedule) -> EscalationPolicy:
    made = EscalationPolicy.objects.create(support_group=group, name="L1 paging", repeat=1)
    EscalationStep.objects.create(
        policy=made, position=1, target=StepTarget.SCHEDULE, schedule=schedule, wait_minutes=5
    )
    EscalationStep.objects.create(policy=made, position=2, target=StepTarget.GROUP, wait_minutes=10)
    return made


@pytest.fixture
def reachable(agents: list[User]) -> list[ContactMethod]:
    methods = []
    for agent in agents:
        method = ContactMethod.objects.create(
            person=agent, kind=ContactMethodKind.EMAIL, label="Work", address=agent.email
        )
        NotificationRule.objects.create(contact_method=method, delay_minutes=0)
        methods.append(method)
    return methods
