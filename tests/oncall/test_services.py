"""Writes of on-call schedules: who may, what is refused (nothing stored), and the selectors
that read the result."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from core.choices import Role
from core.exceptions import ValidationFailed
from core.models import SupportGroup, User
from oncall.models import CalendarFeed, LayerMember, Override, RotationLayer, Schedule
from oncall.selectors import (
    feed_for_token,
    on_call_for_group,
    person_shifts,
    schedule_get,
)
from oncall.services import (
    feed_token_renew,
    layer_save,
    override_create,
    override_delete,
    schedule_save,
)
from tests.factories import UserFactory
from tests.oncall.conftest import HANDOFF

pytestmark = pytest.mark.django_db


def layer_data(agents: list[User], **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "level": 2,
        "shift_hours": 12,
        "handoff_at": HANDOFF,
        "member_ids": [a.pk for a in agents],
    }
    data.update(changes)
    return data


def test_only_admins_and_the_groups_manager_change_schedules(
    group: SupportGroup, agents: list[User], admin_user: User
) -> None:
    other_manager = UserFactory(username="elsewhere", role=Role.MANAGER)
    data = {"support_group": group, "name": "Nights", "time_zone": "Europe/Berlin"}
    for refused in (agents[0], other_manager):
        with pytest.raises(PermissionDenied):
            schedule_save(schedule=None, data=data, actor=refused)
    assert not Schedule.objects.exists()
    assert schedule_save(schedule=None, data=data, actor=admin_user).name == "Nights"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"name": "  "}, "name"),
        ({"name": "Primary"}, "name"),  # taken in this group
    ],
)
def test_a_bad_schedule_is_refused_and_nothing_changes(
    schedule: Schedule, manager: User, changes: dict[str, str], field: str
) -> None:
    data = {
        "support_group": schedule.support_group,
        "name": "Second",
        "time_zone": "UTC",
        **changes,
    }
    with pytest.raises(ValidationFailed) as refused:
        schedule_save(schedule=None, data=data, actor=manager)
    assert field in refused.value.errors
    assert Schedule.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"level": 1}, "level"),  # taken
        ({"level": 0}, "level"),
        ({"shift_hours": 0}, "shift_hours"),
        ({"shift_hours": 24 * 29}, "shift_hours"),
        ({"handoff_at": datetime(2026, 1, 5, 8)}, "handoff_at"),  # naive
        ({"member_ids": []}, "member_ids"),
        ({"weekdays": [0, 8]}, "weekdays"),
        ({"window_start": time(9)}, "window_end"),
        ({"window_start": time(9), "window_end": time(9)}, "window_end"),
    ],
)
def test_a_bad_layer_is_refused_and_nothing_is_stored(
    schedule: Schedule, manager: User, agents: list[User], changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        layer_save(schedule=schedule, layer=None, data=layer_data(agents, **changes), actor=manager)
    assert field in refused.value.errors
    assert RotationLayer.objects.count() == 1
    assert LayerMember.objects.count() == 3


def test_layer_members_are_active_agents_of_the_group(
    schedule: Schedule, manager: User, agents: list[User], agent_l2: User, end_user: User
) -> None:
    inactive = agents[2]
    inactive.is_active = False
    inactive.save()
    group_end_user = end_user
    schedule.support_group.members.add(group_end_user)
    for stranger in (agent_l2, inactive, group_end_user):
        with pytest.raises(ValidationFailed) as refused:
            layer_save(
                schedule=schedule, layer=None, data=layer_data([agents[0], stranger]), actor=manager
            )
        assert str(stranger.pk) in refused.value.errors["member_ids"]
    assert RotationLayer.objects.count() == 1


def test_editing_a_layer_keeps_unsent_fields_and_reorders_members(
    schedule: Schedule, manager: User, agents: list[User]
) -> None:
    layer = schedule.layers.get()
    layer_save(
        schedule=schedule,
        layer=layer,
        data={
            "member_ids": [agents[2].pk, agents[0].pk],
            "weekdays": [1, 2, 3, 4, 5],
            "window_start": time(9),
            "window_end": time(17),
        },
        actor=manager,
    )
    layer.refresh_from_db()
    assert layer.shift_hours == 24 and layer.weekdays == "12345"
    assert list(layer.memberships.values_list("person_id", flat=True)) == [
        agents[2].pk,
        agents[0].pk,
    ]


def test_who_is_on_call_follows_the_rotation_and_an_override(
    schedule: Schedule, agents: list[User], group: SupportGroup
) -> None:
    at = HANDOFF + timedelta(days=1, hours=3)  # the second day: agents[1]
    (found,) = on_call_for_group(group, at)
    assert found.person == agents[1]
    assert found.shift is not None and found.shift.start == HANDOFF + timedelta(days=1)
    Override.objects.create(
        schedule=schedule,
        person=agents[2],
        start=at - timedelta(hours=1),
        end=at + timedelta(hours=1),
        created_by=agents[2],
    )
    (found,) = on_call_for_group(group, at)
    assert (
        found.person == agents[2] and found.shift is not None and found.shift.source == "override"
    )


def test_overrides_by_the_person_a_colleague_or_the_manager_not_by_strangers(
    schedule: Schedule, agents: list[User], manager: User, agent_l2: User
) -> None:
    start = timezone.now() + timedelta(hours=1)
    for actor in (agents[0], agents[1], manager):
        override_create(
            schedule=schedule,
            person=agents[0],
            start=start,
            end=start + timedelta(hours=2),
            actor=actor,
        )
    with pytest.raises(PermissionDenied):
        override_create(
            schedule=schedule,
            person=agents[0],
            start=start,
            end=start + timedelta(hours=2),
            actor=agent_l2,
        )
    assert Override.objects.count() == 3


@pytest.mark.parametrize(
    ("start_hours", "end_hours", "field"),
    [(2, 1, "end"), (2, 2, "end"), (-5, -1, "end"), (0, 24 * 63, "end")],
)
def test_a_bad_override_is_refused(
    schedule: Schedule, agents: list[User], start_hours: int, end_hours: int, field: str
) -> None:
    now = timezone.now()
    with pytest.raises(ValidationFailed) as refused:
        override_create(
            schedule=schedule,
            person=agents[0],
            start=now + timedelta(hours=start_hours),
            end=now + timedelta(hours=end_hours),
            actor=agents[0],
        )
    assert field in refused.value.errors
    assert not Override.objects.exists()


def test_an_override_for_someone_outside_the_group_is_refused(
    schedule: Schedule, agents: list[User], agent_l2: User
) -> None:
    now = timezone.now()
    with pytest.raises(ValidationFailed) as refused:
        override_create(
            schedule=schedule,
            person=agent_l2,
            start=now,
            end=now + timedelta(hours=1),
            actor=agents[0],
        )
    assert "person" in refused.value.errors


def test_an_override_is_removed_by_its_people_not_by_an_outsider(
    schedule: Schedule, agents: list[User], agent_l2: User
) -> None:
    now = timezone.now()
    override = override_create(
        schedule=schedule,
        person=agents[0],
        start=now,
        end=now + timedelta(hours=1),
        actor=agents[0],
    )
    with pytest.raises(PermissionDenied):
        override_delete(override=override, actor=agent_l2)
    override_delete(override=override, actor=agents[1])
    assert not Override.objects.exists()


def test_a_persons_shifts_across_schedules(schedule: Schedule, agents: list[User]) -> None:
    start = datetime(2026, 2, 4, 8, tzinfo=UTC)  # 30 days after the handoff
    shifts = person_shifts(agents[0], start, start + timedelta(days=9))
    assert [(s.start, s.end) for _, s in shifts] == [
        (start, start + timedelta(days=1)),
        (start + timedelta(days=3), start + timedelta(days=4)),
        (start + timedelta(days=6), start + timedelta(days=7)),
    ]


def test_a_feed_token_is_stored_hashed_and_a_new_one_revokes_the_old(schedule: Schedule) -> None:
    first = feed_token_renew(schedule=schedule)
    assert not CalendarFeed.objects.filter(token_hash=first).exists()
    feed = feed_for_token(first)
    assert feed is not None and feed.schedule_id == schedule.pk
    second = feed_token_renew(schedule=schedule)
    assert feed_for_token(first) is None
    assert feed_for_token(second) is not None
    assert CalendarFeed.objects.count() == 1
    assert feed_for_token("") is None and feed_for_token("x" * 500) is None


def test_schedule_get_loads_everything_in_constant_queries(
    schedule: Schedule, django_assert_num_queries: object
) -> None:
    now = timezone.now()
    with django_assert_num_queries(4):  # type: ignore[operator]
        loaded = schedule_get(schedule.pk, window=(now, now + timedelta(days=14)))
        assert [len(layer.memberships.all()) for layer in loaded.layers.all()] == [3]
