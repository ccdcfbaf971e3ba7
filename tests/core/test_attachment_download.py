"""Attachments are served only as downloads, with nosniff, after a scope check (404 otherwise)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.services import attachment_add
from incidents import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(end_user):
    return services.incident_create(requester=end_user, title="Broken screen")


@pytest.fixture
def public_file(incident, end_user):
    return attachment_add(
        ticket=incident,
        uploaded_by=end_user,
        upload=SimpleUploadedFile("photo.png", b"\x89PNG-bytes", content_type="image/png"),
    )


@pytest.fixture
def internal_file(incident, agent_l1):
    return attachment_add(
        ticket=incident,
        uploaded_by=agent_l1,
        upload=SimpleUploadedFile("internal.txt", b"agents only", content_type="text/plain"),
        is_internal=True,
    )


def _url(attachment) -> str:
    return reverse("core:attachment_download", args=[attachment.token])


def test_requester_downloads_own_public_file_as_attachment(client_for, end_user, public_file):
    response = client_for(end_user).get(_url(public_file))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="photo.png"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/octet-stream"
    assert b"".join(response.streaming_content) == b"\x89PNG-bytes"


def test_other_end_user_gets_404(client_for, other_end_user, public_file):
    assert client_for(other_end_user).get(_url(public_file)).status_code == 404


def test_requester_cannot_download_internal_file(client_for, end_user, internal_file):
    assert client_for(end_user).get(_url(internal_file)).status_code == 404


def test_agent_downloads_internal_file(client_for, agent_l1, internal_file):
    response = client_for(agent_l1).get(_url(internal_file))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"agents only"


def test_unknown_token_is_404(client_for, agent_l1):
    response = client_for(agent_l1).get(reverse("core:attachment_download", args=["0" * 32]))
    assert response.status_code == 404


def test_anonymous_is_sent_to_login(client, public_file):
    response = client.get(_url(public_file))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
