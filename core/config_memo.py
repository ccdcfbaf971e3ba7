"""Per-process memos of reads from small configuration tables, for the hot write paths.

Creating a ticket reads its SLA policy (the policy, its calendar's hours and holidays, its
thresholds: four queries) and, for each event, the webhook subscriptions (one more); those rows
change a few times a year. A `ConfigMemo` keeps such reads in the process and forgets them all
when a row of one of its models is saved or deleted:

- in this process at once (post_save / post_delete / m2m_changed signals, connected by the
  owning app's ready(), so admin edits, fixtures and tests invalidate too);
- in other processes (web workers, Celery) through a version in the shared cache (Redis with
  CACHE_URL), read at most once per CONFIG_MEMO_RECHECK_SECONDS;
- and in any case after CONFIG_MEMO_MAX_AGE_SECONDS (the bound when the cache is per process).

A save that writes only fields no memo reads (`update_fields` within UNSEEN_FIELDS: a sign-in
writing `last_login`) forgets nothing, so signing in does not renew every kept select and page
part. Bulk `QuerySet.update()` sends no signal: code that changes these tables that way calls
`clear()` on the memo. A value read inside a transaction that is then rolled back stays until
the next change or the max age (tests clear the memos between tests for that reason).
Memoised values must be treated as read-only by callers.
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save

logger = logging.getLogger(__name__)
T = TypeVar("T")
_MEMOS: list["ConfigMemo"] = []
# Columns no memoised value is made from: a save writing only these leaves every memo as it is.
UNSEEN_FIELDS = frozenset({"last_login"})


class ConfigMemo:
    def __init__(self, name: str, models: Sequence[str]) -> None:
        """`models` are "app_label.ModelName" strings whose changes invalidate the memo (a
        many-to-many through model, e.g. "core.User_groups", for changes of that relation)."""
        self.name = name
        self.models = tuple(models)
        self._values: dict[Hashable, Any] = {}
        self._lock = threading.Lock()
        self._version: str | None = None
        self._filled_at = 0.0
        self._checked_at = 0.0
        self._generation = 0
        _MEMOS.append(self)

    @property
    def _version_key(self) -> str:
        return f"config-memo:{self.name}"

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The memoised value for `key`, computing (and keeping) it when absent or stale."""
        self._expire_if_stale()
        try:
            return self._values[key]
        except KeyError:
            pass
        value = compute()
        with self._lock:
            self._values[key] = value
        return value

    def generation(self) -> int:
        """A number that changes whenever this process forgets any of the memo's values (after
        the same staleness check as `get`): what is made from its values (a kept page part,
        core.web.kept_fragments) is keyed by it, so it is made again when they may differ."""
        self._expire_if_stale()
        return self._generation

    def clear(self, *, everywhere: bool = True) -> None:
        """Forget every value here and, with `everywhere`, in the other processes too."""
        with self._lock:
            self._values = {}
            self._generation += 1
            self._filled_at = time.monotonic()
            if everywhere:
                self._publish()

    def forget(self, keys: Iterable[Hashable]) -> None:
        """Forget these keys here, and every value in the other processes (which cannot be told
        which keys)."""
        with self._lock:
            self._generation += 1
            for key in keys:
                self._values.pop(key, None)
            self._publish()

    def forget_version(self) -> None:
        """Forget the shared version seen last and when it was read: the next `get` reads it,
        as in a new process."""
        with self._lock:
            self._version = None
            self._checked_at = 0.0

    def _publish(self) -> None:
        self._version = uuid.uuid4().hex
        try:
            cache.set(self._version_key, self._version, None)
        except Exception:  # a cache outage leaves the other processes to the max age
            logger.warning("config memo %s: could not publish its version", self.name)

    def connect(self) -> None:
        """Forget the values whenever a row of the memo's models is saved or deleted. Called
        from the owning app's AppConfig.ready(), so every process that loads the app sends the
        invalidation, whether or not it ever reads the memo."""
        for label in self.models:
            model = apps.get_model(label)
            uid = f"config-memo:{self.name}:{label}"
            for signal in (post_save, post_delete, m2m_changed):
                signal.connect(self._invalidate, sender=model, weak=False, dispatch_uid=uid)

    def _invalidate(self, update_fields: frozenset[str] | None = None, **_: Any) -> None:
        if update_fields and update_fields <= UNSEEN_FIELDS:
            return
        self.clear()

    def _expire_if_stale(self) -> None:
        now = time.monotonic()
        if now - self._filled_at > settings.CONFIG_MEMO_MAX_AGE_SECONDS:
            self.clear(everywhere=False)
        if now - self._checked_at < settings.CONFIG_MEMO_RECHECK_SECONDS:
            return
        self._checked_at = now
        try:
            shared = cache.get(self._version_key)
        except Exception:
            return
        if shared != self._version:
            self.clear(everywhere=False)
            self._version = shared


def clear_config_memos() -> None:
    """Forget every memo's values in this process, and the shared version each saw last, as a
    new process starts (tests call it between tests, with the cache emptied). A version kept
    from an earlier test would differ from the emptied cache, and the memo would forget what
    this test had read at its first recheck, a second later: one query more in the middle of
    a query-count comparison (issue 18)."""
    for memo in _MEMOS:
        memo.clear(everywhere=False)
        memo.forget_version()
