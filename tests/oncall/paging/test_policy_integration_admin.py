"""What pages, per alert integration: the `pages` flag is set in the admin with the
integration's other fields."""

import pytest
from django.urls import reverse

from core.models import Service, SupportGroup, User
from incidents.alerts.models import Integration

pytestmark = pytest.mark.django_db


def test_the_admin_sets_an_integrations_pages_flag(
    client_for, admin_user: User, group: SupportGroup
) -> None:
    service = Service.objects.create(name="Payments", owner_group=group)
    client = client_for(admin_user)
    form = {
        "name": "Prometheus prod",
        "kind": "alertmanager",
        "service": service.pk,
        "support_group": "",
        "category": "software",
        "severity_label": "severity",
        "severity_map": "{}",
        "max_new_incidents_per_minute": "20",
        "pages": "on",
    }
    assert client.post(reverse("admin:alerts_integration_add"), form).status_code == 200
    integration = Integration.objects.get(name="Prometheus prod")
    assert integration.pages
    change = reverse("admin:alerts_integration_change", args=[integration.pk])
    assert 'name="pages"' in client.get(change).content.decode()
    listing = client.get(reverse("admin:alerts_integration_changelist"), {"pages__exact": "1"})
    assert "Prometheus prod" in listing.content.decode()
