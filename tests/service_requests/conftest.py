"""Fixtures for service requests: a small catalog (manager approval, group approval, none,
one item with every field type), request SLA policies, and people who approve."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from core.choices import Role
from core.models import User
from service_requests.choices import ApprovalMode, FieldType
from service_requests.models import CatalogCategory, CatalogField, CatalogItem, CatalogTask
from sla.choices import ThresholdAction
from sla.models import SlaPolicy, SlaThreshold
from tests.factories import UserFactory


@pytest.fixture
def request_policies(always_open_calendar):
    """Every request priority: start fulfilment within 4 h, fulfil within 24 h, 24x7."""
    policies = {}
    for priority in range(1, 6):
        policy = SlaPolicy.objects.create(
            name=f"Requests P{priority}",
            ticket_kind="request",
            priority=priority,
            response_target=timedelta(hours=4),
            resolution_target=timedelta(hours=24),
            calendar=always_open_calendar,
        )
        SlaThreshold.objects.create(policy=policy, percent=75, action=ThresholdAction.NOTIFY)
        policies[priority] = policy
    return policies


@pytest.fixture
def requester(end_user, manager) -> User:
    """The end user, with the manager fixture as their manager."""
    end_user.manager = manager
    end_user.save(update_fields=["manager"])
    return end_user


@pytest.fixture
def approver_group(db) -> Group:
    return Group.objects.create(name="Security approvers")


@pytest.fixture
def approver(approver_group) -> User:
    """An end user (not an agent) who approves VPN access."""
    user = UserFactory(username="approver", role=Role.END_USER)
    user.groups.add(approver_group)
    return user


@pytest.fixture
def category(db) -> CatalogCategory:
    return CatalogCategory.objects.create(name="Hardware", slug="hardware")


def _item(category, group, slug, name, **extra) -> CatalogItem:
    return CatalogItem.objects.create(
        category=category,
        slug=slug,
        name=name,
        summary=f"{name} summary",
        support_group=group,
        **extra,
    )


@pytest.fixture
def laptop(category, l1_group) -> CatalogItem:
    """Manager approval; three questions; two fulfilment tasks."""
    item = _item(category, l1_group, "new-laptop", "New laptop", approval_mode=ApprovalMode.MANAGER)
    CatalogField.objects.create(
        item=item,
        key="model",
        label="Model",
        field_type=FieldType.CHOICE,
        choices="Standard\nPerformance",
        order=1,
    )
    CatalogField.objects.create(
        item=item, key="needed_by", label="Needed by", field_type=FieldType.DATE, order=2
    )
    CatalogField.objects.create(
        item=item,
        key="justification",
        label="Justification",
        field_type=FieldType.LONG_TEXT,
        order=3,
    )
    CatalogTask.objects.create(item=item, title="Order the laptop", order=1)
    CatalogTask.objects.create(item=item, title="Hand it over", order=2)
    return item


@pytest.fixture
def vpn(category, l1_group, approver_group) -> CatalogItem:
    """Approval by a named group; one optional question."""
    item = _item(
        category,
        l1_group,
        "vpn-access",
        "VPN access",
        approval_mode=ApprovalMode.GROUP,
        approver_group=approver_group,
    )
    CatalogField.objects.create(
        item=item, key="reason", label="Reason", field_type=FieldType.TEXT, required=False
    )
    return item


@pytest.fixture
def mfa(category, l1_group, service) -> CatalogItem:
    """No approval; one task; tied to a service."""
    item = _item(category, l1_group, "reset-mfa", "Reset MFA", service=service)
    CatalogTask.objects.create(item=item, title="Verify identity", order=1)
    return item


@pytest.fixture
def every_type(category, l1_group) -> CatalogItem:
    """One required question of every field type, no approval."""
    item = _item(category, l1_group, "every-type", "Every type")
    specs = [
        ("title_text", FieldType.TEXT, {}),
        ("notes", FieldType.LONG_TEXT, {}),
        ("seats", FieldType.NUMBER, {"min_value": Decimal(1), "max_value": Decimal(10)}),
        ("size", FieldType.CHOICE, {"choices": "Small\nLarge"}),
        ("start", FieldType.DATE, {}),
        ("urgent", FieldType.YES_NO, {}),
        ("colleague", FieldType.USER, {}),
    ]
    for order, (key, field_type, extra) in enumerate(specs):
        CatalogField.objects.create(
            item=item,
            key=key,
            label=key.replace("_", " ").title(),
            field_type=field_type,
            order=order,
            **extra,
        )
    return item
