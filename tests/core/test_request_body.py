"""Bodies sent with `Transfer-Encoding: chunked` (no Content-Length) are read, within a limit.

The WSGI server de-chunks `wsgi.input`; these tests hand Django such a stream the way gunicorn
does (no CONTENT_LENGTH, HTTP_TRANSFER_ENCODING=chunked). tests/alerts/test_chunked_gunicorn.py
sends a real chunked POST through gunicorn.
"""

import io
import json
from typing import Any

import pytest
from django.test import Client

from core.models import ApiToken, User


def chunked_post(
    client: Client, path: str, body: bytes, content_type: str = "application/json"
) -> Any:
    return client.generic(
        "POST",
        path,
        b"",
        CONTENT_TYPE=content_type,
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": io.BytesIO(body)},
    )


@pytest.fixture
def signed_in(end_user: User) -> Client:
    client = Client()
    client.force_login(end_user)
    return client


@pytest.mark.django_db
def test_a_chunked_json_body_reaches_the_api(signed_in: Client, end_user: User) -> None:
    body = json.dumps({"name": "Streamed", "scopes": ["read"]}).encode()

    response = chunked_post(signed_in, "/api/v1/tokens/", body)

    assert response.status_code == 201, response.content
    assert ApiToken.objects.filter(user=end_user, name="Streamed").exists()


@pytest.mark.django_db
def test_a_chunked_body_over_the_limit_is_413_in_the_api_envelope(
    signed_in: Client, end_user: User, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"name": "x" * 2000, "scopes": ["read"]}).encode()

    response = chunked_post(signed_in, "/api/v1/tokens/", body)

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "payload_too_large"
    assert "1000 bytes" in response.json()["error"]["message"]
    assert not ApiToken.objects.filter(user=end_user).exists()


@pytest.mark.django_db
def test_a_declared_length_over_the_limit_is_413_as_well(
    signed_in: Client, end_user: User, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"name": "x" * 2000, "scopes": ["read"]})

    response = signed_in.post("/api/v1/tokens/", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not ApiToken.objects.filter(user=end_user).exists()


@pytest.mark.django_db
def test_a_chunked_form_over_the_limit_outside_the_api_is_a_plain_413(
    signed_in: Client, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = chunked_post(
        signed_in, "/account/tokens/", b"name=" + b"x" * 2000, "application/x-www-form-urlencoded"
    )

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.django_db
def test_a_chunked_form_within_the_limit_is_parsed(signed_in: Client, end_user: User) -> None:
    response = chunked_post(
        signed_in,
        "/account/tokens/",
        b"name=From+a+form&scopes=read&expires=30",
        "application/x-www-form-urlencoded",
    )

    assert response.status_code in (200, 302), response.content
    assert ApiToken.objects.filter(user=end_user, name="From a form").exists()


def test_the_body_is_read_in_bounded_steps_never_past_the_limit(settings: Any) -> None:
    """An endless stream costs at most limit + 1 bytes of reading."""
    from core.request_body import _spool

    class Endless(io.RawIOBase):
        served = 0

        def read(self, size: int = -1) -> bytes:
            assert 0 < size <= 64 * 1024
            self.served += size
            return b"x" * size

    source = Endless()
    spool, size = _spool(source, 200_001)
    assert size == 200_001
    assert source.served == 200_001
    spool.close()
