"""What-if fixtures: an API client signed in by a personal token (as tests/api does)."""

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from core.api.tokens import api_token_create
from core.models import User


@pytest.fixture
def client_as(db: None) -> Callable[[User], APIClient]:
    def make(user: User) -> APIClient:
        secret = api_token_create(user=user, name="test", scopes=["read", "write"]).secret  # type: ignore[arg-type]
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return make
