"""A Redis cache that fails open: Django's RedisCache behind a circuit breaker.

Django's `RedisCache` lets a connection error or timeout through to the caller, so a Redis outage
turned every API request into a 500 (DRF's throttles read the cache on each request). Nothing this
product keeps in the cache is needed to answer a request: throttle counters, dashboard tiles and
memos can all be recomputed or skipped. So every cache call that fails behaves like a miss (a
read returns the default, a write is dropped, `add` says "not added"), is logged once per outage
and counted, and while the breaker is open no call waits on Redis at all.

Use it with CACHE_URL=redis://…; settings give it short socket timeouts.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from core.breaker import CircuitBreaker

T = TypeVar("T")

CACHE_BREAKER = CircuitBreaker("Redis cache")


def _guarded(call: Callable[[], T], fallback: T) -> T:
    import redis

    CACHE_BREAKER.open_seconds = settings.CACHE_BREAKER_OPEN_SECONDS
    if not CACHE_BREAKER.allow():
        return fallback
    try:
        result = call()
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        CACHE_BREAKER.failed(exc)
        return fallback
    CACHE_BREAKER.succeeded()
    return result


class FailOpenRedisCacheClient(RedisCacheClient):
    def add(self, key: Any, value: Any, timeout: Any) -> bool:
        return _guarded(lambda: RedisCacheClient.add(self, key, value, timeout), False)

    def get(self, key: Any, default: Any) -> Any:
        return _guarded(lambda: RedisCacheClient.get(self, key, default), default)

    def set(self, key: Any, value: Any, timeout: Any) -> None:
        _guarded(lambda: RedisCacheClient.set(self, key, value, timeout), None)

    def touch(self, key: Any, timeout: Any) -> bool:
        return _guarded(lambda: RedisCacheClient.touch(self, key, timeout), False)

    def delete(self, key: Any) -> bool:
        return _guarded(lambda: RedisCacheClient.delete(self, key), False)

    def get_many(self, keys: Any) -> dict[Any, Any]:
        return _guarded(lambda: RedisCacheClient.get_many(self, keys), {})

    def has_key(self, key: Any) -> bool:
        return _guarded(lambda: RedisCacheClient.has_key(self, key), False)

    def incr(self, key: Any, delta: int) -> Any:
        # Django's contract: incr of a missing key raises ValueError; an unreachable cache is
        # reported the same way, so callers that handle a miss handle the outage too.
        sentinel = object()
        result = _guarded(lambda: RedisCacheClient.incr(self, key, delta), sentinel)
        if result is sentinel:
            raise ValueError(f"Key '{key}' not found (cache unavailable)")
        return result

    def set_many(self, data: Any, timeout: Any) -> None:
        _guarded(lambda: RedisCacheClient.set_many(self, data, timeout), None)

    def delete_many(self, keys: Any) -> None:
        _guarded(lambda: RedisCacheClient.delete_many(self, keys), None)

    def clear(self) -> bool:
        return _guarded(lambda: RedisCacheClient.clear(self), False)


class FailOpenRedisCache(RedisCache):
    """settings.CACHES backend: "core.resilient_cache.FailOpenRedisCache"."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = FailOpenRedisCacheClient
