"""The demo's on-call schedules (demo/oncall.py): a weekly rotation per L1-L3 group with an
override, someone on call now, and nothing doubled by seeding again."""

import pytest
from django.utils import timezone

from oncall.models import LayerMember, Override, Schedule
from oncall.selectors import on_call_for_group
from tests.demo.seeding import seed

pytestmark = pytest.mark.django_db


def test_every_tier_group_has_a_rotation_with_an_override_and_someone_on_call() -> None:
    output = seed(incidents=0)
    schedules = list(Schedule.objects.select_related("support_group"))
    assert schedules
    assert {s.support_group.tier for s in schedules} == {1, 2, 3}
    assert "On call:" in output
    for schedule in schedules:
        layer = schedule.layers.get()
        assert layer.shift_hours == 168
        assert LayerMember.objects.filter(layer=layer).exists()
        assert schedule.overrides.count() == 1
    found = on_call_for_group(None, timezone.now())
    assert len(found) == len(schedules)
    assert all(row.person is not None for row in found)


def test_seeding_again_adds_no_schedule_layer_or_override() -> None:
    seed(incidents=0)

    def counts() -> tuple[int, int, int]:
        return Schedule.objects.count(), LayerMember.objects.count(), Override.objects.count()

    before = counts()
    seed(incidents=0)
    assert counts() == before
