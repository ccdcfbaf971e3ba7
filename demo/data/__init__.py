"""The demo's fixed content as data files (TOML, read with the standard library): the services
and their CIs, and what breaks. `load(name, table)` reads one and says which entry and which key
is wrong when a file is edited badly."""

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

HERE = Path(__file__).resolve().parent

T = TypeVar("T")


class DemoDataError(ValueError):
    """A demo data file does not hold what its loader expects."""


def load(name: str, table: str, build: Callable[[dict[str, Any]], T]) -> tuple[T, ...]:
    """Every `[[table]]` entry of demo/data/<name>, each turned into a T by `build`."""
    path = HERE / name
    try:
        entries = tomllib.loads(path.read_text(encoding="utf-8")).get(table, [])
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DemoDataError(f"{path}: {exc}") from exc
    built: list[T] = []
    for position, entry in enumerate(entries, start=1):
        try:
            built.append(build(dict(entry)))
        except (KeyError, TypeError, ValueError) as exc:
            raise DemoDataError(f"{path}: [[{table}]] number {position}: {exc!r}") from exc
    return tuple(built)
