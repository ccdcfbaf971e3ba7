"""For tests of kept statements: count what a module compiles, with nothing kept before."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.urls import set_script_prefix

from core import kept_objects, kept_statements


def compiled_by(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[Any]:
    """The queries `module.name` (a function that compiles one) is given from here on, the
    statements kept for one value (core.kept_statements.kept_by) and per key forgotten first."""
    monkeypatch.setattr(kept_statements, "_BY", {})
    monkeypatch.setattr(kept_objects, "_KEPT", {})
    made: list[Any] = []
    original = getattr(module, name)

    def counting(query: Any) -> Any:
        made.append(query)
        return original(query)

    monkeypatch.setattr(module, name, counting)
    return made


def read(rows: Any, names: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """Each row's attributes `names` (a related object as the object it holds)."""
    return [tuple(getattr(row, name) for name in names) for row in rows]


def select_on_page(client: Any, url: str, name: str) -> str:
    """The HTML of the select named `name` on the page at `url`, read afresh (for tests that a
    kept select's options follow the rows they list)."""
    body = str(client.get(url).content.decode())
    start = body.index(f'name="{name}"')
    return body[start : body.index("</select>", start)]


@contextmanager
def script_prefix(prefix: str) -> Iterator[None]:
    """Django's script prefix (what `reverse` puts first) is `prefix` within."""
    set_script_prefix(prefix)
    try:
        yield
    finally:
        set_script_prefix("/")
