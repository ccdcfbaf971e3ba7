"""Redis killed or frozen under the API (DESIGN.md §8 "degrade, never fail"), against a
redis-server of the test's own: the cache fails open, requests stay fast, nothing is refused."""

import time

import pytest

from core.breaker import CircuitBreaker
from core.health import BROKER_BREAKER
from core.resilient_cache import CACHE_BREAKER
from incidents.models import Incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_on(redis_server, settings):
    settings.CACHE_URL = f"{redis_server.url}/1"
    settings.CACHES = {
        "default": {
            "BACKEND": "core.resilient_cache.FailOpenRedisCache",
            "LOCATION": settings.CACHE_URL,
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        }
    }
    for breaker in (CACHE_BREAKER, BROKER_BREAKER):
        breaker.succeeded()
        breaker.failures = breaker.short_circuits = 0
    yield redis_server
    for breaker in (CACHE_BREAKER, BROKER_BREAKER):
        breaker.succeeded()


def _baseline(client) -> float:
    """The slowest of a few creates with Redis up: the machine's own pace (the suite shares it
    with other work), which the outage may add at most one socket timeout to."""
    return max(_create(client, 100 + n)[1] for n in range(5))


def _create(client, n: int) -> tuple[int, float]:
    started = time.monotonic()
    response = client.post("/api/v1/incidents/", {"title": f"Outage {n}"}, format="json")
    return response.status_code, time.monotonic() - started


def test_creates_succeed_while_redis_is_down_and_the_cache_comes_back(
    cache_on, client_as, end_user
):
    client = client_as(end_user)
    assert _create(client, 0)[0] == 201
    pace = _baseline(client)
    cache_on.kill()
    results = [_create(client, n) for n in range(1, 21)]
    assert [status for status, _ in results] == [201] * 20
    assert max(seconds for _, seconds in results) < pace + 0.5  # refused at once: no wait
    assert Incident.objects.count() == 26
    assert CACHE_BREAKER.failures >= 1 and CACHE_BREAKER.is_open

    cache_on.start()
    CACHE_BREAKER._open_until = 1.0  # the breaker's window is over: the next call is the trial
    assert _create(client, 21)[0] == 201
    assert not CACHE_BREAKER.is_open


def test_a_frozen_redis_costs_one_timeout_per_window_not_one_per_request(
    cache_on, client_as, end_user, client, use_broker
):
    api = client_as(end_user)
    assert _create(api, 0)[0] == 201
    pace = _baseline(api)
    cache_on.freeze()
    started = time.monotonic()
    results = [_create(api, n) for n in range(1, 21)]
    elapsed = time.monotonic() - started
    assert [status for status, _ in results] == [201] * 20
    # One socket timeout (0.5 s) opens the breaker; the other 19 requests skip Redis.
    assert max(seconds for _, seconds in results) < pace + 1.0
    assert elapsed < 20 * pace + 1.0, elapsed
    assert CACHE_BREAKER.failures == 1 and CACHE_BREAKER.short_circuits > 0

    use_broker(f"{cache_on.url}/0")  # the broker on the frozen Redis too
    started = time.monotonic()
    health = client.get("/healthz")
    assert time.monotonic() - started < 1.0
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "degraded"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["cache"]["circuit"] == "open"


def test_the_breaker_lets_one_trial_through_after_its_window():
    breaker = CircuitBreaker("test", open_seconds=0.05)
    breaker.failed(OSError("down"))
    assert not breaker.allow()
    time.sleep(0.06)
    assert breaker.allow()  # the trial
    assert not breaker.allow()  # only one at a time
    breaker.succeeded()
    assert breaker.allow() and not breaker.is_open
