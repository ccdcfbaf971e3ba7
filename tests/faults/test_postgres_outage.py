"""PostgreSQL stopped under the API, through a TCP proxy the test controls: every request in the
outage is a 503 with Retry-After within a second, the first request after it succeeds, and nothing
was half-written."""

import time
from collections.abc import Iterator

import httpx
import pytest
from django.db import connections

from incidents.models import Incident
from tests.faults.components import TcpProxy

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def database_through_proxy() -> Iterator[TcpProxy]:
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    proxy = TcpProxy(saved["HOST"] or "127.0.0.1", int(saved["PORT"] or 5432))
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(proxy.port))
    yield proxy
    connection.close()
    connection.settings_dict.update(HOST=saved["HOST"], PORT=saved["PORT"])
    proxy.close()


def _create(api: httpx.Client, n: int) -> tuple[int, float, str]:
    started = time.monotonic()
    response = api.post("/api/v1/incidents/", json={"title": f"During outage {n}"})
    return response.status_code, time.monotonic() - started, response.headers.get("Retry-After", "")


def test_an_outage_is_a_fast_503_and_the_first_request_after_it_succeeds(
    live_server, token_for, end_user, settings, database_through_proxy
):
    """Through a real WSGI server (Django's live server), which closes a broken connection at
    the next request as gunicorn's workers do."""
    proxy = database_through_proxy
    headers = {"Authorization": f"Bearer {token_for(end_user)}"}
    with httpx.Client(base_url=live_server.url, headers=headers, timeout=10) as api:
        assert _create(api, 0)[0] == 201
        proxy.cut()
        during = [_create(api, n) for n in range(1, 11)]
        assert {status for status, _, _ in during} == {503}
        assert max(seconds for _, seconds, _ in during) < 1.0
        assert {retry for _, _, retry in during} == {
            str(settings.DATABASE_OUTAGE_RETRY_AFTER_SECONDS)
        }
        proxy.restore()
        returned = time.monotonic()
        status = 0
        while status != 201 and time.monotonic() - returned < 5:
            status = _create(api, 99)[0]
        assert status == 201, "no success within 5 s of the database returning"
    connections["default"].close()  # this thread's connection was cut too
    titles = list(Incident.objects.values_list("title", flat=True))
    assert sorted(titles) == ["During outage 0", "During outage 99"]
