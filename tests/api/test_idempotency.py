"""Idempotency-Key on creation: a retry returns the first response and creates nothing new."""

import threading
import uuid

import pytest
from django.db import connection
from rest_framework.test import APIClient

from core.api.idempotency import idempotency_purge_expired
from core.api.tokens import api_token_create
from core.models import Comment, IdempotencyRecord
from incidents.models import Incident
from tests.factories import IncidentFactory


@pytest.fixture
def reporter(client_as, end_user):
    return client_as(end_user)


@pytest.mark.django_db
def test_repeated_key_replays_the_first_response(reporter, service):
    key = str(uuid.uuid4())
    body = {"title": "Laptop will not boot", "service": service.pk}
    first = reporter.post("/api/v1/incidents/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = reporter.post("/api/v1/incidents/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert Incident.objects.count() == 1


@pytest.mark.django_db
def test_same_json_in_another_key_order_is_the_same_request(reporter, service):
    key = "retry-1"
    reporter.post(
        "/api/v1/incidents/",
        {"title": "A", "impact": "low"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    again = reporter.post(
        "/api/v1/incidents/",
        {"impact": "low", "title": "A"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert again.status_code == 201
    assert Incident.objects.count() == 1


@pytest.mark.django_db
def test_same_key_with_another_body_is_refused(reporter):
    reporter.post("/api/v1/incidents/", {"title": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    response = reporter.post(
        "/api/v1/incidents/", {"title": "B"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert list(Incident.objects.values_list("title", flat=True)) == ["A"]


@pytest.mark.django_db
def test_keys_are_per_user(client_as, end_user, other_end_user):
    client_as(end_user).post(
        "/api/v1/incidents/", {"title": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    other = client_as(other_end_user).post(
        "/api/v1/incidents/", {"title": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert other.status_code == 201
    assert Incident.objects.count() == 2


@pytest.mark.django_db
def test_a_failed_request_keeps_nothing_and_the_key_can_be_retried(reporter):
    bad = reporter.post(
        "/api/v1/incidents/", {"title": ""}, format="json", HTTP_IDEMPOTENCY_KEY="k2"
    )
    assert bad.status_code == 400
    assert not IdempotencyRecord.objects.exists()
    good = reporter.post(
        "/api/v1/incidents/", {"title": ""}, format="json", HTTP_IDEMPOTENCY_KEY="k2"
    )
    assert good.status_code == 400  # same request, evaluated again (nothing was stored)
    fixed = reporter.post(
        "/api/v1/incidents/", {"title": "Fixed"}, format="json", HTTP_IDEMPOTENCY_KEY="k3"
    )
    assert fixed.status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "tab\tkey"])
def test_invalid_keys_are_400(reporter, key):
    response = reporter.post(
        "/api/v1/incidents/", {"title": "A"}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_comments_and_files_are_idempotent_too(reporter, end_user):
    incident = IncidentFactory(requester=end_user, status="logged")
    url = f"/api/v1/incidents/{incident.number}/comments/"
    for _ in range(2):
        response = reporter.post(
            url, {"body": "Any news?"}, format="json", HTTP_IDEMPOTENCY_KEY="c1"
        )
        assert response.status_code == 201
    assert Comment.objects.count() == 1
    from django.core.files.uploadedfile import SimpleUploadedFile

    files_url = f"/api/v1/incidents/{incident.number}/attachments/"
    ids = set()
    for _ in range(2):
        upload = SimpleUploadedFile("log.txt", b"boot log", content_type="text/plain")
        response = reporter.post(
            files_url, {"file": upload}, format="multipart", HTTP_IDEMPOTENCY_KEY="f1"
        )
        assert response.status_code == 201
        ids.add(response.json()["id"])
    assert len(ids) == 1


@pytest.mark.django_db
def test_expired_records_are_purged_and_no_longer_replayed(reporter, settings):
    reporter.post("/api/v1/incidents/", {"title": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="old")
    settings.API_IDEMPOTENCY_TTL_HOURS = 0
    assert idempotency_purge_expired() == 1
    again = reporter.post(
        "/api/v1/incidents/", {"title": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="old"
    )
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert Incident.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_create_one_incident(end_user, service):
    secret = api_token_create(user=end_user, name="cli", scopes=["read", "write"]).secret
    barrier = threading.Barrier(8)
    results: list[tuple[int, str]] = []

    def send() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        try:
            barrier.wait(timeout=10)
            response = client.post(
                "/api/v1/incidents/",
                {"title": "Storage array offline", "service": service.pk},
                format="json",
                HTTP_IDEMPOTENCY_KEY="same-retry",
            )
            results.append((response.status_code, response.json().get("number", "")))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 8
    assert {status for status, _ in results} == {201}
    assert len({number for _, number in results}) == 1
    assert Incident.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.django_db
def test_purge_task_runs_twice_with_one_effect(reporter, settings):
    from core.api.tasks import purge_idempotency_records_task

    reporter.post("/api/v1/incidents/", {"title": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="p")
    assert purge_idempotency_records_task() == 0  # still fresh
    settings.API_IDEMPOTENCY_TTL_HOURS = 0
    assert purge_idempotency_records_task() == 1
    assert purge_idempotency_records_task() == 0
    assert Incident.objects.count() == 1
