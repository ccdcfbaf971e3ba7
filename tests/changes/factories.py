"""Factories for changes and their templates, stored directly in a given state (the lifecycle
itself is exercised through changes.services)."""

from datetime import timedelta

import factory
from django.utils import timezone

from changes.choices import ChangeImpact, ChangeStatus, ChangeType, Risk
from changes.models import Change, ChangeTemplate
from core.choices import Priority
from tests.factories import UserFactory


class ChangeTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChangeTemplate
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Template {n}")
    risk = Risk.LOW
    impact = ChangeImpact.NONE
    implementation_plan = "Run the playbook."
    test_plan = "Check the health page."
    backout_plan = "Restore the snapshot."
    created_at = factory.LazyFunction(timezone.now)


class ChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Change

    number = factory.Sequence(lambda n: f"CHG-9{n:05d}")
    title = factory.Faker("sentence", nb_words=5)
    description = "Why it is needed."
    requester = factory.SubFactory(UserFactory)
    priority = Priority.P3
    status = ChangeStatus.DRAFT
    change_type = ChangeType.NORMAL
    created_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))
    updated_at = factory.LazyAttribute(lambda o: o.created_at)


def assessed(**fields: object) -> dict[str, object]:
    """The fields a normal change needs to be submitted and scheduled."""
    start = timezone.now() + timedelta(days=2)
    return {
        "risk": Risk.MEDIUM,
        "impact": ChangeImpact.DEGRADED,
        "implementation_plan": "Upgrade the relay.",
        "test_plan": "Send a test mail.",
        "backout_plan": "Reinstall the old package.",
        "planned_start": start,
        "planned_end": start + timedelta(hours=2),
        **fields,
    }
