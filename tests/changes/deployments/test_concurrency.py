"""Eight pipelines retrying the same report at the same moment record one deployment."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from changes.models import Change, Deployment
from core.api.tokens import api_token_create
from core.models import TimelineEvent
from tests.changes.deployments.conftest import URL


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_reports_with_one_key_record_one_deployment(ci_user, payload):
    secret = api_token_create(user=ci_user, name="ci", scopes=["deployments"]).secret
    body = payload()
    barrier = threading.Barrier(8)
    results: list[tuple[int, str]] = []

    def send() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        try:
            barrier.wait(timeout=10)
            response = client.post(URL, body, format="json")
            results.append((response.status_code, response.json().get("change", "")))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 8
    assert sorted(status for status, _ in results) == [200] * 7 + [201]
    assert len({number for _, number in results}) == 1
    assert Deployment.objects.count() == 1 and Change.objects.count() == 1
    assert TimelineEvent.objects.count() == 4
