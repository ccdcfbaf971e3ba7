"""The per-process memos that grow with what is asked: kept statements, kept page parts, kept
rows. Each is bounded and forgets everything when full, and none needs forgetting for
correctness, since each is keyed by every input of what it keeps.

They are registered here so that a test can start from none of them (tests/conftest.py): a
memo filled by earlier tests in the same worker can reach its bound in the middle of a test's
warm-up request and make the next request read again what it forgot, which made a query-count
comparison fail once in a long run (issue 18).
"""

import threading
from collections.abc import Callable, Hashable, Iterator
from typing import Any, Protocol, TypeVar


class Clearable(Protocol):
    def clear(self) -> None: ...


M = TypeVar("M", bound=Clearable)
T = TypeVar("T", bound=str)
_CLEARS: list[Callable[[], None]] = []


def process_memo(memo: M) -> M:
    """`memo` (a dict, or anything with `clear()`), registered to be forgotten by
    `forget_process_memos`."""
    _CLEARS.append(memo.clear)
    return memo


def forget_process_memos() -> None:
    """Forget every registered memo's values in this process (tests call it between tests)."""
    for clear in _CLEARS:
        clear()


class KeptTexts:
    """Texts (HTML parts, rows, entries, digests, URLs) kept per process under keys that name
    every input they are made of, at most `limit`; when full, it starts over. Safe across
    threads: a text is made outside the lock, and two threads making the same one make the same
    text."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._texts: dict[Hashable, Any] = {}
        self._lock = threading.Lock()
        process_memo(self)

    def get(self, key: Hashable, make: Callable[..., T], *args: Any) -> T:
        """The text kept under `key`, else `make(*args)`, kept."""
        text = self._texts.get(key)
        if text is None:
            text = make(*args)
            with self._lock:
                if len(self._texts) >= self.limit:
                    self._texts.clear()
                self._texts[key] = text
        return text

    def clear(self, **_: Any) -> None:
        """Forget every text (also a `setting_changed` receiver: tests)."""
        with self._lock:
            self._texts.clear()

    def __len__(self) -> int:
        return len(self._texts)

    def __iter__(self) -> Iterator[Hashable]:
        """The keys kept now (a copy: other threads may keep more meanwhile)."""
        return iter(list(self._texts))
