"""Fixtures of the deployment tests: a CI user (an agent) and API clients holding its tokens."""

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core.api.tokens import api_token_create
from core.choices import Role
from core.models import User
from tests.factories import UserFactory

URL = "/api/v1/deployments/"


@pytest.fixture
def ci_user(db: None) -> User:
    return UserFactory(username="ci-bot", role=Role.AGENT)


@pytest.fixture
def client_with() -> Callable[..., APIClient]:
    """client_with(user, scopes) -> an APIClient sending a new token of the user."""

    def make(user: User, scopes: Sequence[str] = ("deployments",)) -> APIClient:
        secret = api_token_create(user=user, name="ci", scopes=list(scopes)).secret
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return make


@pytest.fixture
def ci(ci_user: User, client_with: Callable[..., APIClient]) -> APIClient:
    return client_with(ci_user)


@pytest.fixture
def payload(service: Any) -> Callable[..., dict[str, Any]]:
    deployed = timezone.now() - timedelta(minutes=10)

    def make(**overrides: Any) -> dict[str, Any]:
        body = {
            "idempotency_key": "run-41-abc1234",
            "service": service.name,
            "version": "2.4.1",
            "environment": "production",
            "deployed_at": deployed.isoformat(),
            "committed_at": (deployed - timedelta(hours=3)).isoformat(),
            "commit_sha": "abc1234def",
            "url": "https://ci.example.com/runs/41",
        }
        body.update(overrides)
        return {k: v for k, v in body.items() if v is not None}

    return make
