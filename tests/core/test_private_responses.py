"""Responses made with credentials carry `Cache-Control: private, no-store`; public ones do not.
Errors of the download routes (files, CSV exports) have the right content type: HTML for the
browser routes, the JSON envelope for the API — never application/octet-stream."""

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from core.api.tokens import api_token_create
from core.models import Attachment, User
from core.services import attachment_add
from incidents import services
from incidents.models import Incident

pytestmark = pytest.mark.django_db

OCTET = "application/octet-stream"


def _directives(response: Any) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def assert_private(response: Any) -> None:
    assert {"private", "no-store"} <= _directives(response), response.get("Cache-Control")


@pytest.fixture
def incident(end_user: User) -> Incident:
    return services.incident_create(requester=end_user, title="Broken screen")


@pytest.fixture
def attachment(incident: Incident, end_user: User) -> Attachment:
    return attachment_add(
        ticket=incident,
        uploaded_by=end_user,
        upload=SimpleUploadedFile("photo.png", b"\x89PNG-bytes", content_type="image/png"),
    )


def _token_client(user: User, accept: str = "") -> APIClient:
    secret = api_token_create(user=user, name="t", scopes=["read", "write"]).secret
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_ACCEPT=accept or "*/*")
    return client


def _api_download(incident: Incident, token: str) -> str:
    return reverse("incidents-attachment-download", args=[incident.number, token])


# --- Cache-Control ---------------------------------------------------------------------------


def test_a_signed_in_page_is_private(client_for: Any, end_user: User) -> None:
    response = client_for(end_user).get("/account/tokens/")
    assert response.status_code == 200
    assert_private(response)
    # never_cache's own directives stay: the header is added to, never weakened.
    assert {"no-cache", "must-revalidate"} <= _directives(response)


def test_api_answers_to_a_token_and_to_a_session_are_private(
    client_for: Any, end_user: User, incident: Incident
) -> None:
    path = f"/api/v1/incidents/{incident.number}/"
    by_token = _token_client(end_user).get(path)
    by_session = client_for(end_user).get(path)

    assert by_token.status_code == by_session.status_code == 200
    assert_private(by_token)
    assert_private(by_session)
    assert by_token.has_header("ETag")


def test_a_refused_token_is_private_too(incident: Incident) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer sdk_not_a_real_token")
    response = client.get(f"/api/v1/incidents/{incident.number}/")
    assert response.status_code == 401
    assert_private(response)


def test_file_downloads_are_private(
    client_for: Any, end_user: User, incident: Incident, attachment: Attachment
) -> None:
    page = client_for(end_user).get(reverse("core:attachment_download", args=[attachment.token]))
    api = _token_client(end_user, OCTET).get(_api_download(incident, attachment.token))

    assert page.status_code == api.status_code == 200
    assert_private(page)
    assert_private(api)


def test_csv_exports_are_private(client_for: Any, manager: User) -> None:
    client = client_for(manager)
    export = client.get("/reports/export.csv")
    chart = client.get(reverse("reporting:dashboard_csv", args=["volume"]))

    assert export.status_code == chart.status_code == 200, (export.content, chart.content)
    assert_private(export)
    assert_private(chart)


def test_public_answers_are_left_alone() -> None:
    client = Client()
    schema = client.get("/api/schema/")

    assert schema.status_code == 200
    assert "Cache-Control" not in schema


# --- download errors: the right content type -------------------------------------------------


def test_the_browser_file_route_answers_errors_in_html(
    client_for: Any, other_end_user: User, attachment: Attachment
) -> None:
    client = client_for(other_end_user)
    for token in (attachment.token, "0" * 32):
        response = client.get(reverse("core:attachment_download", args=[token]), HTTP_ACCEPT=OCTET)
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")


def test_the_api_file_route_answers_errors_in_json_even_to_an_octet_stream_accept(
    end_user: User, other_end_user: User, incident: Incident, attachment: Attachment
) -> None:
    not_found = _token_client(end_user, OCTET).get(_api_download(incident, "0" * 32))
    out_of_scope = _token_client(other_end_user, OCTET).get(
        _api_download(incident, attachment.token)
    )
    anonymous = APIClient().get(_api_download(incident, attachment.token), HTTP_ACCEPT=OCTET)

    for response, status in ((not_found, 404), (out_of_scope, 404), (anonymous, 401)):
        assert response.status_code == status
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"]["code"]


def test_csv_export_errors_are_json_or_html_never_octet_stream(
    client_for: Any, end_user: User, manager: User
) -> None:
    refused = client_for(end_user).get("/reports/export.csv", HTTP_ACCEPT=OCTET)
    invalid = client_for(manager).get("/reports/export.csv?kind=nonsense", HTTP_ACCEPT=OCTET)
    anonymous = Client().get("/reports/export.csv", HTTP_ACCEPT=OCTET)
    no_chart = client_for(manager).get(
        reverse("reporting:dashboard_csv", args=["nope"]), HTTP_ACCEPT=OCTET
    )
    not_manager = client_for(end_user).get(
        reverse("reporting:dashboard_csv", args=["volume"]), HTTP_ACCEPT=OCTET
    )

    for response, status in ((refused, 403), (invalid, 400), (anonymous, 401)):
        assert response.status_code == status
        assert response["Content-Type"] == "application/json"
    for response, status in ((no_chart, 404), (not_manager, 403)):
        assert response.status_code == status
        assert response["Content-Type"].startswith("text/html")
