"""A patch rollout (a standard change from a patch template) and its configuration items,
stored directly; the writes under test go through changes.patches.services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from changes.choices import ChangeStatus, ChangeType
from changes.models import Change, ChangeTemplate
from core.models import ConfigurationItem, Service, User
from tests.factories import ConfigurationItemFactory


def make_change(requester: User, *, number: str, template: ChangeTemplate | None, **fields):  # type: ignore[no-untyped-def]
    now = timezone.now()
    values = {
        "number": number,
        "title": "Roll out the monthly OS patches",
        "requester": requester,
        "change_type": ChangeType.STANDARD,
        "status": ChangeStatus.SCHEDULED,
        "template": template,
        "planned_start": now + timedelta(days=1),
        "planned_end": now + timedelta(days=1, hours=4),
        "created_at": now - timedelta(hours=1),
        "updated_at": now - timedelta(hours=1),
        **fields,
    }
    return Change.objects.create(**values)


@pytest.fixture
def patch_template(db: None) -> ChangeTemplate:
    return ChangeTemplate.objects.create(
        name="Monthly OS patch rollout",
        implementation_plan="Drain, patch, reboot, undrain, one host at a time.",
        test_plan="Health checks green on every host.",
        backout_plan="Uninstall the patch and reboot.",
        is_patch=True,
        created_at=timezone.now(),
    )


@pytest.fixture
def servers(service: Service) -> list[ConfigurationItem]:
    return [ConfigurationItemFactory(service=service, name=f"web-0{i}") for i in (1, 2, 3)]


@pytest.fixture
def rollout(agent_l1: User, patch_template: ChangeTemplate) -> Change:
    return make_change(agent_l1, number="CHG-900001", template=patch_template)
