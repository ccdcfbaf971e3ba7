"""The token page (/account/tokens/) and the admin: create (secret shown once), list, revoke."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from core.api.tokens import api_token_authenticate, api_token_create
from core.models import ApiToken

pytestmark = pytest.mark.django_db


def test_login_required(client: Client):
    response = client.get("/account/tokens/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", ["end_user", "agent_l1"])
def test_page_renders_in_the_users_shell(client_for, request, role):
    user = request.getfixturevalue(role)
    api_token_create(user=user, name="Backup script", scopes=["read"])
    response = client_for(user).get("/account/tokens/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Backup script" in html
    assert "page-agent" in html if role == "agent_l1" else "page-portal" in html
    assert "Create token" in html


def test_create_shows_the_secret_once(client_for, end_user):
    client = client_for(end_user)
    response = client.post(
        "/account/tokens/", {"name": "Monitoring", "scopes": ["read", "alerts"], "expires": "30"}
    )
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    token = ApiToken.objects.get()
    secret = response.context["secret"]
    assert secret.startswith(f"sdk_{token.prefix}_")
    assert secret in response.content.decode()
    assert api_token_authenticate(secret) == token
    assert token.scopes == ["alerts", "read"]
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert secret not in client.get("/account/tokens/").content.decode()


def test_never_expiring_token(client_for, end_user):
    client_for(end_user).post(
        "/account/tokens/", {"name": "CI", "scopes": ["read"], "expires": "never"}
    )
    assert ApiToken.objects.get().expires_at is None


def test_invalid_form_creates_nothing(client_for, end_user):
    response = client_for(end_user).post(
        "/account/tokens/", {"name": "", "scopes": [], "expires": "9"}
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "scopes", "expires"}
    assert not ApiToken.objects.exists()


def test_revoke_own_token(client_for, end_user):
    new = api_token_create(user=end_user, name="old", scopes=["read"])
    response = client_for(end_user).post(f"/account/tokens/{new.token.pk}/revoke/")
    assert response.status_code == 302
    assert api_token_authenticate(new.secret) is None
    page = client_for(end_user).get("/account/tokens/").content.decode()
    assert "Revoked and expired" in page


def test_cannot_revoke_someone_elses(client_for, end_user, other_end_user):
    theirs = api_token_create(user=other_end_user, name="theirs", scopes=["read"])
    assert (
        client_for(end_user).post(f"/account/tokens/{theirs.token.pk}/revoke/").status_code == 404
    )
    assert api_token_authenticate(theirs.secret) is not None


def test_revoke_needs_post_and_csrf(end_user):
    new = api_token_create(user=end_user, name="x", scopes=["read"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(end_user)
    assert client.get(f"/account/tokens/{new.token.pk}/revoke/").status_code == 405
    assert client.post(f"/account/tokens/{new.token.pk}/revoke/").status_code == 403
    assert api_token_authenticate(new.secret) is not None


def test_admin_creates_a_token_for_a_user_and_sees_it_once(client_for, admin_user, end_user):
    client = client_for(admin_user)
    response = client.post(
        "/admin/core/apitoken/add/",
        {
            "user": end_user.pk,
            "name": "Integration",
            "scopes": ["read", "write"],
            "expires_at_0": "",
            "expires_at_1": "",
        },
    )
    assert response.status_code == 200, response.content[:2000]
    token = ApiToken.objects.get()
    assert (token.user, token.created_by, token.name) == (end_user, admin_user, "Integration")
    secret = response.context["secret"]
    assert secret in response.content.decode()
    assert api_token_authenticate(secret) == token
    detail = client.get(f"/admin/core/apitoken/{token.pk}/change/").content.decode()
    assert secret not in detail and token.key_hash not in detail


def test_admin_revokes_tokens(client_for, admin_user, end_user):
    new = api_token_create(user=end_user, name="x", scopes=["read"])
    response = client_for(admin_user).post(
        "/admin/core/apitoken/", {"action": "revoke", "_selected_action": [new.token.pk]}
    )
    assert response.status_code == 302
    assert api_token_authenticate(new.secret) is None


def test_admin_cannot_delete_tokens(client_for, admin_user, end_user):
    new = api_token_create(user=end_user, name="x", scopes=["read"])
    assert (
        client_for(admin_user).get(f"/admin/core/apitoken/{new.token.pk}/delete/").status_code
        == 403
    )
