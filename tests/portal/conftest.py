"""Fixtures for the portal tests: a catalog item, requests stored in a given status, and
published / unpublished known errors."""

from collections.abc import Callable
from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from django.utils import timezone

from core.models import Service, SupportGroup, User
from incidents.choices import IncidentStatus
from incidents.models import Incident
from service_requests.choices import RequestStatus
from service_requests.models import CatalogCategory, CatalogItem, ServiceRequest
from tests.factories import IncidentFactory

_numbers = count(1)


@pytest.fixture
def catalog_item(l1_group: SupportGroup) -> CatalogItem:
    category = CatalogCategory.objects.create(name="Access", slug="access")
    return CatalogItem.objects.create(
        category=category,
        slug="reset-mfa",
        name="Reset MFA",
        summary="A new second factor",
        support_group=l1_group,
    )


@pytest.fixture
def make_request(end_user: User, catalog_item: CatalogItem) -> Callable[..., ServiceRequest]:
    """A request stored directly in `status` (the lifecycle is tested in tests/service_requests).

    The n-th request of a test was last updated n minutes ago, whatever ran before it: tests
    that care how requests and incidents interleave set `updated_at` themselves."""
    minutes_ago = count(1)

    def make(status: str = RequestStatus.SUBMITTED, **fields: Any) -> ServiceRequest:
        now = timezone.now() - timedelta(minutes=next(minutes_ago))
        values: dict[str, Any] = {
            "number": f"REQ-8{next(_numbers):05d}",
            "title": "Reset MFA",
            "requester": end_user,
            "catalog_item": catalog_item,
            "support_group": catalog_item.support_group,
            "status": status,
            "submitted_at": now,
            "created_at": now,
            "updated_at": now,
        }
        if status in (RequestStatus.FULFILLED, RequestStatus.CLOSED):
            values["fulfilled_at"] = now
        if status == RequestStatus.CLOSED:
            values["closed_at"] = now
        values.update(fields)
        return ServiceRequest.objects.create(**values)

    return make


@pytest.fixture
def make_incident(end_user: User, service: Service) -> Callable[..., Incident]:
    """An incident stored directly in `status`, with the milestone a rating depends on."""

    def make(status: str = IncidentStatus.CLASSIFIED, **fields: Any) -> Incident:
        now = timezone.now()
        values: dict[str, Any] = {"requester": end_user, "service": service, "status": status}
        if status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
            values["resolved_at"] = now - timedelta(hours=1)
            values["resolution_notes"] = "Restarted the mail relay."
        if status == IncidentStatus.CLOSED:
            values["closed_at"] = now
        values.update(fields)
        incident: Incident = IncidentFactory(**values)
        return incident

    return make
