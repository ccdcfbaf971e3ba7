"""API test fixtures: DRF clients authenticated by personal tokens, an L3 agent, a fresh cache
per test (throttle counters live there)."""

from collections.abc import Callable, Iterator, Sequence

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from core.api.tokens import api_token_create
from core.choices import Role
from core.models import SupportGroup, User
from tests.factories import UserFactory

TokenFor = Callable[..., str]


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def agent_l3(l3_group: SupportGroup) -> User:
    user = UserFactory(username="agent3", role=Role.AGENT)
    l3_group.members.add(user)
    return user


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def token_for(db: None) -> TokenFor:
    """token_for(user, scopes=("read", "write")) -> the secret of a new token."""

    def make(user: User, scopes: Sequence[str] = ("read", "write"), **kwargs: object) -> str:
        return api_token_create(user=user, name="test", scopes=list(scopes), **kwargs).secret  # type: ignore[arg-type]

    return make


@pytest.fixture
def client_as(token_for: TokenFor) -> Callable[..., APIClient]:
    """client_as(user, scopes=...) -> an APIClient sending that user's new token."""

    def make(user: User, scopes: Sequence[str] = ("read", "write")) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, scopes)}")
        return client

    return make
