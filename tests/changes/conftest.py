"""Fixtures for the changes tests: a change advisory board with a member, templates, changes in
given states, and API clients."""

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from changes.choices import ChangeStatus, ChangeType
from changes.models import Change, ChangeTemplate
from core.api.tokens import api_token_create
from core.choices import Role
from core.models import Service, SupportGroup, User
from incidents.choices import Category, Impact, IncidentStatus, Urgency
from incidents.models import Incident
from tests.changes.factories import ChangeFactory, ChangeTemplateFactory, assessed
from tests.factories import IncidentFactory, SupportGroupFactory, UserFactory


@pytest.fixture
def cab(db: None) -> SupportGroup:
    return SupportGroupFactory(name="Change Advisory Board")


@pytest.fixture
def cab_member(cab: SupportGroup) -> User:
    user = UserFactory(username="cabmember", role=Role.AGENT)
    cab.members.add(user)
    return user


@pytest.fixture
def template(service: Service) -> ChangeTemplate:
    return ChangeTemplateFactory(name="Monthly OS patch rollout", service=service, is_patch=True)


@pytest.fixture
def make_change(agent_l1: User, service: Service, cab: SupportGroup) -> Callable[..., Change]:
    """A change stored directly in `status` (normal, assessed, with a window and the CAB)."""

    def make(status: str = ChangeStatus.DRAFT, **fields: Any) -> Change:
        defaults: dict[str, Any] = {
            "status": status,
            "requester": agent_l1,
            "service": service,
            "approval_group": cab,
            "change_type": ChangeType.NORMAL,
            **assessed(),
        }
        defaults.update(fields)
        change: Change = ChangeFactory(**defaults)
        return change

    return make


@pytest.fixture
def make_incident(service: Service, end_user: User) -> Callable[..., Incident]:
    def make(status: str = IncidentStatus.CLASSIFIED, **fields: Any) -> Incident:
        defaults: dict[str, Any] = {
            "status": status,
            "requester": end_user,
            "service": service,
            "category": Category.SOFTWARE,
            "impact": Impact.MEDIUM,
            "urgency": Urgency.MEDIUM,
        }
        defaults.update(fields)
        incident: Incident = IncidentFactory(**defaults)
        return incident

    return make


@pytest.fixture
def api_as(db: None) -> Callable[[User], APIClient]:
    def make(user: User) -> APIClient:
        secret = api_token_create(user=user, name="test", scopes=["read", "write"]).secret
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return make
