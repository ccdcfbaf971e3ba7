"""Personal API tokens: hashed storage, authentication, scopes, expiry, revocation, last use,
and the /api/v1/tokens/ endpoints."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from core.api.tokens import api_token_authenticate, api_token_create
from core.exceptions import ValidationFailed
from core.models import ApiToken

pytestmark = pytest.mark.django_db


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_only_a_digest_of_the_secret_is_stored(end_user):
    new = api_token_create(user=end_user, name="cli", scopes=["read"])
    token = ApiToken.objects.get(pk=new.token.pk)
    assert new.secret.startswith(f"sdk_{token.prefix}_")
    assert token.key_hash == hashlib.sha256(new.secret.encode()).hexdigest()
    assert new.secret not in str(ApiToken.objects.filter(pk=token.pk).values().get())


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": " ", "scopes": ["read"]}, "name"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["admin"]}, "scopes"),
        ({"name": "x", "scopes": ["read"], "expires_at": "past"}, "expires_at"),
    ],
)
def test_bad_token_requests_are_refused_and_store_nothing(end_user, kwargs, field):
    if kwargs.get("expires_at") == "past":
        kwargs["expires_at"] = timezone.now() - timedelta(seconds=1)
    with pytest.raises(ValidationFailed) as exc:
        api_token_create(user=end_user, **kwargs)
    assert field in exc.value.errors
    assert not ApiToken.objects.exists()


def test_token_authenticates_as_its_user(end_user):
    secret = api_token_create(user=end_user, name="cli", scopes=["read"]).secret
    response = bearer(secret).get("/api/v1/tokens/")
    assert response.status_code == 200
    assert [t["name"] for t in response.json()["results"]] == ["cli"]
    assert "secret" not in response.json()["results"][0]


def test_token_keyword_variant_is_accepted(end_user):
    secret = api_token_create(user=end_user, name="cli", scopes=["read"]).secret
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert client.get("/api/v1/tokens/").status_code == 200


@pytest.mark.parametrize(
    "header",
    ["Bearer sdk_deadbeef_nope", "Bearer", "Bearer a b", "Bearer sdk_\u00e9"],
)
def test_bad_tokens_are_401_in_the_error_format(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header.encode("utf-8").decode("latin-1"))
    response = client.get("/api/v1/incidents/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_no_credentials_is_401_with_a_challenge(db):
    response = APIClient().get("/api/v1/incidents/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_is_refused(end_user):
    secret = api_token_create(
        user=end_user, name="cli", scopes=["read"], expires_at=timezone.now() + timedelta(hours=1)
    ).secret
    assert bearer(secret).get("/api/v1/tokens/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert bearer(secret).get("/api/v1/tokens/").status_code == 401


def test_revoked_token_is_refused_at_once(end_user):
    secret = api_token_create(user=end_user, name="cli", scopes=["read", "write"]).secret
    client = bearer(secret)
    token_id = ApiToken.objects.get().pk
    response = client.delete(f"/api/v1/tokens/{token_id}/")
    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert client.get("/api/v1/tokens/").status_code == 401


def test_inactive_users_tokens_stop_working(end_user):
    secret = api_token_create(user=end_user, name="cli", scopes=["read"]).secret
    end_user.is_active = False
    end_user.save()
    assert bearer(secret).get("/api/v1/tokens/").status_code == 401


def test_someone_elses_token_cannot_be_revoked(end_user, other_end_user, client_as):
    theirs = api_token_create(user=other_end_user, name="theirs", scopes=["read"]).token
    response = client_as(end_user).delete(f"/api/v1/tokens/{theirs.pk}/")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


@pytest.mark.parametrize(
    ("scopes", "method", "expected"),
    [
        (["read"], "get", 200),
        (["read"], "post", 403),
        (["write"], "get", 403),
        (["write"], "post", 201),
        (["alerts"], "get", 403),
        (["alerts"], "post", 403),
    ],
)
def test_scopes_limit_what_a_token_may_do(end_user, service, scopes, method, expected):
    client = bearer(api_token_create(user=end_user, name="cli", scopes=scopes).secret)
    if method == "get":
        response = client.get("/api/v1/incidents/")
    else:
        response = client.post("/api/v1/incidents/", {"title": "VPN down"}, format="json")
    assert response.status_code == expected
    if expected == 403:
        assert "scope" in response.json()["error"]["message"]


def test_authentication_costs_one_query_and_last_used_once_a_minute(end_user):
    new = api_token_create(user=end_user, name="cli", scopes=["read"])
    with CaptureQueriesContext(connection) as first:
        assert api_token_authenticate(new.secret) is not None
    assert len(first) == 2  # lookup + the first last_used_at update
    with CaptureQueriesContext(connection) as second:
        assert api_token_authenticate(new.secret) is not None
    assert len(second) == 1  # used seconds ago: lookup only
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        with CaptureQueriesContext(connection) as later:
            token = api_token_authenticate(new.secret)
        assert len(later) == 2
        assert token is not None
        token.refresh_from_db()
        assert token.last_used_at is not None
        assert timezone.now() - token.last_used_at < timedelta(seconds=5)


def test_tokens_cannot_mint_tokens(end_user, client_as):
    response = client_as(end_user).post(
        "/api/v1/tokens/", {"name": "more", "scopes": ["read"]}, format="json"
    )
    assert response.status_code == 403
    assert ApiToken.objects.count() == 1


def test_session_creates_a_token_and_sees_the_secret_once(end_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(end_user)
    refused = client.post("/api/v1/tokens/", {"name": "cli", "scopes": ["read"]}, format="json")
    assert refused.status_code == 403  # session writes need the CSRF token
    assert "CSRF" in refused.json()["error"]["message"]
    client.get("/account/tokens/")  # sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    response = client.post(
        "/api/v1/tokens/",
        {"name": "cli", "scopes": ["read", "write"]},
        format="json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert response.status_code == 201
    secret = response.json()["secret"]
    assert bearer(secret).get("/api/v1/tokens/").status_code == 200
    listed = client.get("/api/v1/tokens/").json()["results"]
    assert all("secret" not in token for token in listed)


def test_token_creation_input_is_validated(end_user):
    client = APIClient()
    client.force_login(end_user)
    response = client.post(
        "/api/v1/tokens/", {"name": "", "scopes": ["root"], "colour": "red"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"colour"}
    response = client.post("/api/v1/tokens/", {"name": "", "scopes": ["root"]}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"name", "scopes.0"}
    assert not ApiToken.objects.exists()
