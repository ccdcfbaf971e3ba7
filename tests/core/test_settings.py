"""The environment readers of config/settings.py name the variable of a bad value."""

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_float, env_int, env_list, env_str

REPO = Path(__file__).resolve().parents[2]


# --- environment readers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reader", "default", "raw", "expected"),
    [
        (env_int, 1, "abc", "The environment variable SD_VALUE must be a whole number, not 'abc'."),
        (env_int, 1, "1.5", "SD_VALUE must be a whole number, not '1.5'"),
        (env_float, 1.0, "ten", "The environment variable SD_VALUE must be a number, not 'ten'."),
        (env_float, 1.0, "nan", "SD_VALUE must be a finite number, not 'nan'"),
        (env_bool, True, "maybe", "SD_VALUE must be true or false (also 1/0, yes/no, on/off)"),
    ],
)
def test_a_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
    reader: Callable[[str, Any], object],
    default: object,
    raw: str,
    expected: str,
) -> None:
    monkeypatch.setenv("SD_VALUE", raw)
    with pytest.raises(ImproperlyConfigured) as raised:
        reader("SD_VALUE", default)
    assert expected in str(raised.value)


def test_good_values_parse_and_unset_or_empty_give_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SD_INT", " 42 ")
    monkeypatch.setenv("SD_FLOAT", "0.5")
    monkeypatch.setenv("SD_BOOL", "Off")
    monkeypatch.setenv("SD_LIST", " a, ,b ")
    assert (env_int("SD_INT", 1), env_float("SD_FLOAT", 1.0), env_bool("SD_BOOL", True)) == (
        42,
        0.5,
        False,
    )
    assert env_list("SD_LIST", []) == ["a", "b"]
    monkeypatch.setenv("SD_EMPTY", "")
    monkeypatch.delenv("SD_UNSET", raising=False)
    for name in ("SD_EMPTY", "SD_UNSET"):
        assert (env_int(name, 7), env_float(name, 2.5), env_bool(name, True)) == (7, 2.5, True)
        assert env_list(name, ["x"]) == ["x"]
    # An empty string is a value of its own: API_THROTTLE_USER="" turns that throttle off.
    assert (env_str("SD_EMPTY", "default"), env_str("SD_UNSET", "default")) == ("", "default")


# --- importing the settings in a fresh process ------------------------------------------------


def _set_up_django(
    cwd: Path, module: str = "config.settings", **env: str
) -> subprocess.CompletedProcess[str]:
    """Import the settings module, set Django up (every app's ready()) and load the URL conf."""
    clean = {k: v for k, v in os.environ.items() if k not in {"MEDIA_ROOT", "EMAIL_FILE_PATH"}}
    code = "import django; django.setup(); from django.urls import resolve; resolve('/healthz')"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": module,
            "PYTHONPATH": str(REPO),
            "PYTHONDONTWRITEBYTECODE": "1",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_bad_environment_value_stops_the_import_naming_the_variable(tmp_path: Path) -> None:
    done = _set_up_django(tmp_path, EMAIL_PORT="twenty-five")
    assert done.returncode != 0
    last_line = done.stderr.strip().splitlines()[-1]
    assert last_line == (
        "django.core.exceptions.ImproperlyConfigured: "
        "The environment variable EMAIL_PORT must be a whole number, not 'twenty-five'."
    )
