"""A per-process circuit breaker for optional components (the Redis cache, the broker probe).

DESIGN.md §8 "degrade, never fail": when Redis is down each call fails fast, but when it is
frozen (SIGSTOP, a full network buffer) each call waits for its socket timeout. The breaker
turns that into at most one wait per `open_seconds` per process: after a failure it opens, calls
are refused at once (the caller uses its fallback), and once `open_seconds` have passed a single
trial call is let through; its success closes the breaker again.

Counters are per process and exposed by /healthz, so an operator sees that the cache failed open.
"""

import logging
import threading
import time
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)


@dataclass
class CircuitBreaker:
    name: str
    open_seconds: float = 5.0
    failures: int = 0
    short_circuits: int = 0
    _open_until: float = 0.0
    _trial_running: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def allow(self) -> bool:
        """True when the caller may try the component now (closed, or the one half-open trial)."""
        with self._lock:
            if self._open_until == 0.0:
                return True
            if time.monotonic() >= self._open_until and not self._trial_running:
                self._trial_running = True
                return True
            self.short_circuits += 1
            return False

    def succeeded(self) -> None:
        with self._lock:
            if self._open_until:
                logger.warning("%s is answering again; circuit closed", self.name)
            self._open_until = 0.0
            self._trial_running = False

    def failed(self, error: BaseException) -> None:
        with self._lock:
            self.failures += 1
            was_closed = self._open_until == 0.0
            self._open_until = time.monotonic() + self.open_seconds
            self._trial_running = False
        if was_closed:
            logger.warning(
                "%s failed (%s: %s); failing open for %.0f s",
                self.name,
                type(error).__name__,
                error,
                self.open_seconds,
            )

    @property
    def is_open(self) -> bool:
        return self._open_until != 0.0

    def report(self) -> dict[str, object]:
        return {
            "circuit": "open" if self.is_open else "closed",
            "failures": self.failures,
            "short_circuits": self.short_circuits,
        }
