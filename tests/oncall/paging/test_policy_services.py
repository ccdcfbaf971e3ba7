"""policy_save / policy_delete: everything validated first, steps replaced as a whole, one policy
per group and per group + service, no step list that pages the same target twice in a row, and
only admins and the group's manager."""

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from core.exceptions import ValidationFailed
from core.models import Service, SupportGroup, User
from oncall.models import EscalationPolicy, EscalationStep, Page, PageReason, Schedule, StepTarget
from oncall.paging.hooks import _priority_rules
from oncall.paging.services import page_start
from oncall.policy_services import policy_delete, policy_save
from oncall.services import schedule_save
from tests.factories import IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db


def steps_for(schedule: Schedule, agents: list[User]) -> list[dict[str, Any]]:
    return [
        {"target": StepTarget.SCHEDULE, "schedule": schedule, "wait_minutes": 5},
        {"target": StepTarget.PEOPLE, "people": [agents[1].pk, agents[2].pk], "wait_minutes": 10},
        {"target": StepTarget.GROUP, "wait_minutes": 15},
    ]


def data(
    group: SupportGroup, schedule: Schedule, agents: list[User], **extra: Any
) -> dict[str, Any]:
    return {
        "support_group": group,
        "name": "L1 paging",
        "repeat": 2,
        "page_priorities": [2, 1],
        "page_on_breach": True,
        "steps": steps_for(schedule, agents),
        **extra,
    }


def test_the_manager_saves_a_policy_with_ordered_steps(group, schedule, agents, manager) -> None:
    policy = policy_save(policy=None, data=data(group, schedule, agents), actor=manager)
    assert policy.page_priorities == [1, 2] and policy.repeat == 2 and policy.page_on_breach
    steps = list(policy.steps.order_by("position"))
    assert [s.position for s in steps] == [1, 2, 3]
    assert [s.target for s in steps] == ["schedule", "people", "group"]
    assert steps[0].schedule == schedule
    assert {p.pk for p in steps[1].people.all()} == {agents[1].pk, agents[2].pk}
    # Steps are replaced as a whole.
    policy_save(
        policy=policy,
        data={"steps": [{"target": StepTarget.GROUP, "wait_minutes": 30}]},
        actor=manager,
    )
    assert list(policy.steps.values_list("target", "wait_minutes")) == [("group", 30)]
    assert EscalationStep.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": " "}, "name"),
        ({"repeat": 10}, "repeat"),
        ({"repeat": -1}, "repeat"),
        ({"page_priorities": [0, 1]}, "page_priorities"),
        ({"page_priorities": [1, 1]}, "page_priorities"),
        ({"page_priorities": "1,2"}, "page_priorities"),
        ({"steps": []}, "steps"),
        ({"steps": [{"target": "group", "wait_minutes": 0}]}, "steps.1"),
        ({"steps": [{"target": "group", "wait_minutes": 1441}]}, "steps.1"),
        ({"steps": [{"target": "pigeon", "wait_minutes": 5}]}, "steps.1"),
        ({"steps": [{"target": "people", "people": [], "wait_minutes": 5}]}, "steps.1"),
        ({"steps": [{"target": "schedule", "wait_minutes": 5}]}, "steps.1"),
        ({"steps": [{"target": "group", "wait_minutes": 5}] * 21}, "steps"),
        ({"support_group": None}, "support_group"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    group, schedule, agents, manager, change, field
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        policy_save(policy=None, data=data(group, schedule, agents, **change), actor=manager)
    assert field in refused.value.errors
    assert not EscalationPolicy.objects.exists() and not EscalationStep.objects.exists()


def test_people_must_be_active_agents(group, schedule, agents, manager, end_user) -> None:
    gone = UserFactory(username="gone", is_active=False)
    for stranger in (end_user, gone):
        steps = [{"target": "people", "people": [agents[0].pk, stranger.pk], "wait_minutes": 5}]
        with pytest.raises(ValidationFailed, match=str(stranger.pk)):
            policy_save(policy=None, data=data(group, schedule, agents, steps=steps), actor=manager)


def test_a_schedule_of_another_group_is_refused(group, schedule, agents, manager, l2_group) -> None:
    other = schedule_save(
        schedule=None,
        data={"support_group": l2_group, "name": "L2", "time_zone": "UTC"},
        actor=UserFactory(username="root", role="admin"),
    )
    steps = [{"target": "schedule", "schedule": other, "wait_minutes": 5}]
    with pytest.raises(ValidationFailed, match="not a schedule of"):
        policy_save(policy=None, data=data(group, schedule, agents, steps=steps), actor=manager)


def test_the_same_target_twice_in_a_row_is_refused(group, schedule, agents, manager) -> None:
    twice = [
        {"target": "schedule", "schedule": schedule, "wait_minutes": 5},
        {"target": "schedule", "schedule": schedule.pk, "wait_minutes": 5},
    ]
    with pytest.raises(ValidationFailed, match="Steps 1 and 2"):
        policy_save(policy=None, data=data(group, schedule, agents, steps=twice), actor=manager)
    same_people = [
        {"target": "people", "people": [agents[0].pk, agents[1].pk], "wait_minutes": 5},
        {"target": "people", "people": [agents[1].pk, agents[0].pk], "wait_minutes": 5},
    ]
    with pytest.raises(ValidationFailed, match="Steps 1 and 2"):
        policy_save(
            policy=None, data=data(group, schedule, agents, steps=same_people), actor=manager
        )
    # Repeating: the last step is followed by the first.
    wrap = [
        {"target": "group", "wait_minutes": 5},
        {"target": "schedule", "schedule": schedule, "wait_minutes": 5},
        {"target": "group", "wait_minutes": 5},
    ]
    with pytest.raises(ValidationFailed, match="last step"):
        policy_save(
            policy=None, data=data(group, schedule, agents, steps=wrap, repeat=1), actor=manager
        )
    made = policy_save(
        policy=None, data=data(group, schedule, agents, steps=wrap, repeat=0), actor=manager
    )
    assert made.steps.count() == 3


def test_one_general_policy_per_group_and_one_per_service(group, schedule, agents, manager) -> None:
    policy_save(policy=None, data=data(group, schedule, agents), actor=manager)
    with pytest.raises(ValidationFailed, match="already has a policy for all its tickets"):
        policy_save(policy=None, data=data(group, schedule, agents, name="B"), actor=manager)
    service = Service.objects.create(name="Payments", owner_group=group)
    policy_save(policy=None, data=data(group, schedule, agents, service=service), actor=manager)
    with pytest.raises(ValidationFailed, match="already has a policy for Payments"):
        policy_save(policy=None, data=data(group, schedule, agents, service=service), actor=manager)
    assert EscalationPolicy.objects.count() == 2


def test_only_admins_and_the_groups_manager(group, schedule, agents, manager, admin_user) -> None:
    with pytest.raises(PermissionDenied):
        policy_save(policy=None, data=data(group, schedule, agents), actor=agents[0])
    other_manager = UserFactory(username="boss2", role="manager")
    with pytest.raises(PermissionDenied):
        policy_save(policy=None, data=data(group, schedule, agents), actor=other_manager)
    assert not EscalationPolicy.objects.exists()
    policy = policy_save(policy=None, data=data(group, schedule, agents), actor=admin_user)
    with pytest.raises(PermissionDenied):
        policy_delete(policy=policy, actor=agents[0])
    assert EscalationPolicy.objects.filter(pk=policy.pk).exists()


def test_deleting_a_policy_leaves_pages_under_way_on_their_snapshot(
    group, schedule, agents, manager, reachable
) -> None:
    policy = policy_save(policy=None, data=data(group, schedule, agents), actor=manager)
    incident = IncidentFactory(support_group=group, tier=group.tier)
    page = page_start(incident, reason=PageReason.MANUAL, actor=agents[0], message="Down")
    assert page is not None
    policy_delete(policy=policy, actor=manager)
    page.refresh_from_db()
    assert page.status == "triggered"
    assert page.policy_snapshot[0]["policy"] == "L1 paging"
    assert len(page.policy_snapshot[0]["steps"]) == 3
    assert Page.objects.count() == 1


def test_a_policy_change_is_seen_by_the_priority_trigger(
    group, schedule, agents, manager, reachable
) -> None:
    policy = policy_save(
        policy=None, data=data(group, schedule, agents, page_priorities=[]), actor=manager
    )
    assert _priority_rules() == {}
    policy_save(policy=policy, data={"page_priorities": [1]}, actor=manager)
    assert _priority_rules() == {(group.pk, None): frozenset({1})}
    policy_save(policy=policy, data={"is_active": False}, actor=manager)
    assert _priority_rules() == {}
