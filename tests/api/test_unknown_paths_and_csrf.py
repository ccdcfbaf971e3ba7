"""Unknown API paths are a JSON 404 whatever the method; CSRF failures under /api/ are a JSON
403 in the API's error envelope, never Django's HTML CSRF page."""

import json

import pytest
from django.test import Client, RequestFactory

from core.api.errors import csrf_failure
from core.models import ApiToken, User

METHODS = ["get", "post", "put", "patch", "delete"]


@pytest.mark.django_db
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", ["/api/nope/", "/api/v1/nope/", "/api/v1/incidents/x/y/z/"])
def test_any_method_on_an_unknown_api_path_is_a_json_404(method: str, path: str) -> None:
    client = Client(enforce_csrf_checks=True)

    body = {} if method == "get" else {"data": "{}", "content_type": "application/json"}

    response = getattr(client, method)(path, **body)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_a_session_post_without_its_csrf_token_is_a_json_403(end_user: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(end_user)

    response = client.post(
        "/api/v1/tokens/",
        json.dumps({"name": "x", "scopes": ["read"]}),
        content_type="application/json",
    )

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert "error" in response.json()
    assert not ApiToken.objects.exists()


def test_the_csrf_failure_view_answers_the_envelope_under_api(rf: RequestFactory) -> None:
    response = csrf_failure(rf.post("/api/v1/anything/"), reason="CSRF cookie not set.")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["error"]["code"] == "csrf_failed"


def test_the_csrf_failure_view_keeps_the_html_page_elsewhere(rf: RequestFactory) -> None:
    response = csrf_failure(rf.post("/account/tokens/"), reason="CSRF cookie not set.")

    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
