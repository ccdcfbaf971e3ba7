"""Rate limits per token (or signed-in user) and per anonymous address, from settings."""

import pytest
from rest_framework.test import APIClient

from core.api.tokens import api_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_user": "3/minute", "api_anon": "2/minute"},
    }


def bearer(user, name="t") -> APIClient:
    client = APIClient()
    secret = api_token_create(user=user, name=name, scopes=["read"]).secret
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_each_token_has_its_own_bucket(low_rates, end_user, other_end_user):
    first, second = bearer(end_user, "a"), bearer(end_user, "b")
    assert [first.get("/api/v1/tokens/").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert second.get("/api/v1/tokens/").status_code == 200
    assert bearer(other_end_user).get("/api/v1/tokens/").status_code == 200


def test_session_requests_are_limited_per_user(low_rates, end_user):
    client = APIClient()
    client.force_login(end_user)
    assert [client.get("/api/v1/tokens/").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_anonymous_requests_are_limited_per_address(low_rates):
    here = APIClient(REMOTE_ADDR="10.0.0.1")
    there = APIClient(REMOTE_ADDR="10.0.0.2")
    assert [here.get("/api/docs/").status_code for _ in range(3)] == [200, 200, 429]
    assert there.get("/api/docs/").status_code == 200


def test_rates_can_be_turned_off(settings, end_user):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_user": None, "api_anon": None},
    }
    client = bearer(end_user)
    assert {client.get("/api/v1/tokens/").status_code for _ in range(5)} == {200}
