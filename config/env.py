"""Typed readers for settings that come from environment variables.

An unset variable gives the default; so does an empty one, except for env_str, where an empty
value is a value (API_THROTTLE_USER="" turns a throttle off). A value that does not parse stops
start-up with ImproperlyConfigured naming the variable, never a bare ValueError or a silent
default.
"""

import math
import os

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def _raw(name: str) -> str | None:
    raw = os.environ.get(name, "").strip()
    return raw or None


def _invalid(name: str, raw: str, expected: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"The environment variable {name} must be {expected}, not {raw!r}.")


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = _raw(name)
    if raw is None:
        return default
    word = raw.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise _invalid(name, raw, "true or false (also 1/0, yes/no, on/off)")


def env_int(name: str, default: int) -> int:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise _invalid(name, raw, "a whole number") from None


def env_float(name: str, default: float) -> float:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise _invalid(name, raw, "a number") from None
    if not math.isfinite(value):
        raise _invalid(name, raw, "a finite number")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = _raw(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]
