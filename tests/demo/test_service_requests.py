"""The demo catalog and requests: created once, in several states, safe to run again."""

import pytest

from core.models import User
from demo.reference import seed_reference_data
from demo.service_requests import seed_requests_demo
from demo.sla import seed_sla_demo
from service_requests.models import CatalogField, CatalogItem, ServiceRequest
from sla.models import SlaPolicy

pytestmark = pytest.mark.django_db


def test_seed_requests_demo_is_idempotent():
    seed_reference_data()
    seed_sla_demo()
    first = seed_requests_demo()
    assert first["items"] == 5 and first["requests_created"] == 5
    statuses = set(ServiceRequest.objects.values_list("status", flat=True))
    assert statuses == {"awaiting_approval", "in_fulfilment", "fulfilled", "submitted", "closed"}
    assert User.objects.get(username="user").manager == User.objects.get(username="manager")
    assert SlaPolicy.objects.filter(ticket_kind="request").count() == 5
    fields = CatalogField.objects.count()
    second = seed_requests_demo()
    assert second == {"items": 5, "requests_created": 0}
    assert ServiceRequest.objects.count() == 5 and CatalogField.objects.count() == fields
    assert (
        CatalogItem.objects.get(slug="vpn-access")
        .approver_group.user_set.filter(username="manager")
        .exists()
    )


def test_demo_requests_email_nobody():
    from core.models import OutboxMessage

    seed_reference_data()
    seed_requests_demo()
    assert not OutboxMessage.objects.exists()
