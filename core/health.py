"""/healthz: is this web process able to serve, and are the background duties running?

The database is the one critical dependency: when it does not answer the status is "unavailable"
and the answer 503, so a load balancer takes the process out. Everything else is "degraded" with
200, because the web app keeps serving without it (DESIGN.md §8: the outbox keeps work until the
broker returns, the cache fails open): the broker, the Redis cache's circuit, the worker heartbeat
(beat sends `core.heartbeat` to the default queue every WORKER_HEARTBEAT_SECONDS), the SLA sweep's
heartbeat, the read replica when DATABASE_REPLICA_URL is set (ok, lagging N s or down, and
whether reports read it or the primary: core.read_replica), and whatever apps add with
`register_check` (the SLA engine reports a stuck sweeper; paging reports pages and notifications
stuck past their deadline, oncall.paging.auditor).

It answers within about a second whatever Redis does: the broker probe has a 0.5 s budget and is
behind a circuit breaker, and the cache is only reported on, never called.
"""

import os
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.breaker import CircuitBreaker
from core.leases import last_heartbeat
from core.read_replica import replica_configured, replica_state

BROKER_PROBE_SECONDS = 0.5
BROKER_BREAKER = CircuitBreaker("Celery broker probe")


def _failure(exc: BaseException) -> dict[str, Any]:
    return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


def _check_database() -> dict[str, Any]:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return _failure(exc)
    return {
        "ok": True,
        "vendor": connection.vendor,
        "ms": round((time.monotonic() - started) * 1000, 1),
    }


def _probe_broker(url: str) -> str:
    """Touch the broker within BROKER_PROBE_SECONDS; return the transport's name."""
    scheme = urlsplit(url).scheme
    if scheme in {"redis", "rediss"}:
        import redis

        client = redis.Redis.from_url(
            url, socket_timeout=BROKER_PROBE_SECONDS, socket_connect_timeout=BROKER_PROBE_SECONDS
        )
        try:
            client.ping()
        finally:
            client.close()
        return "redis"
    if scheme == "filesystem":
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("data_folder_in", "")
        if not os.access(str(folder), os.W_OK):
            raise OSError(f"broker folder {folder} is not writable")
        return "filesystem"
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=1)
        return str(conn.transport_cls)


def _check_broker() -> dict[str, Any]:
    from config.celery import app

    started = time.monotonic()
    if not BROKER_BREAKER.allow():
        return {"ok": False, "error": "unreachable at the last probe", **BROKER_BREAKER.report()}
    try:
        transport = _probe_broker(str(app.conf.broker_url))
    except Exception as exc:
        BROKER_BREAKER.failed(exc)
        return _failure(exc)
    BROKER_BREAKER.succeeded()
    return {
        "ok": True,
        "transport": transport,
        "ms": round((time.monotonic() - started) * 1000, 1),
    }


def _check_heartbeat(name: str, period_seconds: float) -> Callable[[], dict[str, Any]]:
    def check() -> dict[str, Any]:
        seen = last_heartbeat(name)
        if seen is None:
            return {"ok": False, "error": f"{name} has not run yet"}
        age = (timezone.now() - seen).total_seconds()
        ok = age <= 2 * period_seconds
        return {"ok": ok, "last_seen": seen.isoformat(), "age_s": round(age)}

    return check


def _check_cache() -> dict[str, Any]:
    from core.resilient_cache import CACHE_BREAKER

    return {"ok": not CACHE_BREAKER.is_open, **CACHE_BREAKER.report()}


def _check_replica() -> dict[str, Any]:
    state = replica_state()
    assert state is not None  # only asked when a replica is configured
    return state.report()


_EXTRA_CHECKS: dict[str, Callable[[], dict[str, Any]]] = {}


def _built_in_checks() -> dict[str, Callable[[], dict[str, Any]]]:
    checks: dict[str, Callable[[], dict[str, Any]]] = {
        "broker": _check_broker,
        "worker": _check_heartbeat("worker", settings.WORKER_HEARTBEAT_SECONDS),
        "sla_sweep": _check_heartbeat("sla.sweep", settings.SLA_SWEEP_INTERVAL_SECONDS),
    }
    if settings.CACHE_URL:
        checks["cache"] = _check_cache
    if replica_configured():
        checks["replica"] = _check_replica
    return checks


def register_check(name: str, check: Callable[[], dict[str, Any]]) -> None:
    """Add a non-critical check: a callable returning {"ok": bool, ...}."""
    _EXTRA_CHECKS[name] = check


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database()}
    healthy = checks["database"]["ok"]
    degraded = False
    if healthy:
        for name, check in {**_built_in_checks(), **_EXTRA_CHECKS}.items():
            try:
                checks[name] = check()
            except Exception as exc:
                checks[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
            degraded = degraded or not checks[name]["ok"]
    status = "unavailable" if not healthy else ("degraded" if degraded else "ok")
    return JsonResponse({"status": status, "checks": checks}, status=200 if healthy else 503)
