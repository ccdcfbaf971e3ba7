"""Fixtures for the request, problem, SLA and reference API tests: the service-request catalog
fixtures of tests/service_requests (re-exported here so both suites build the same catalog),
API clients per role, and tickets in given states."""

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core.choices import Source
from core.models import User
from service_requests import services as request_services
from service_requests.models import CatalogItem, ServiceRequest
from tests.service_requests.conftest import (  # noqa: F401 — fixtures, used by name
    approver,
    approver_group,
    category,
    every_type,
    laptop,
    mfa,
    request_policies,
    requester,
    vpn,
)

LAPTOP_ANSWERS = {"model": "Standard", "needed_by": "2030-01-15", "justification": "Old one died."}


@pytest.fixture
def agent(client_as: Callable[..., APIClient], agent_l1: User) -> APIClient:
    return client_as(agent_l1)


@pytest.fixture
def reporter(client_as: Callable[..., APIClient], end_user: User) -> APIClient:
    return client_as(end_user)


@pytest.fixture
def make_request(request_policies: Any) -> Callable[..., ServiceRequest]:  # noqa: F811
    """make_request(item, person, answers=None, **fields): a request submitted through the
    service (so it has its tasks, clocks and approval step), then given `fields` directly."""

    def make(
        item: CatalogItem, person: User, answers: dict[str, Any] | None = None, **fields: Any
    ) -> ServiceRequest:
        created = request_services.request_create(
            requester=person,
            item=item,
            answers=answers if answers is not None else {},
            source=Source.API,
        )
        if fields:
            fields.setdefault("updated_at", timezone.now())
            ServiceRequest.objects.filter(pk=created.pk).update(**fields)
            created.refresh_from_db()
        return created

    return make
