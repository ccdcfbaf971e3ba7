"""Settings parsed after start-up are checked at start-up: `manage.py check` (and so `migrate`,
`make run`) and the WSGI entry point refuse a bad value with a message naming the setting,
instead of a 500 on the first request that reads it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from core.checks import SETTINGS_TAG, settings_checks_enforce

REPO = Path(__file__).resolve().parents[2]
GOOD_RATES = {"api_user": "1200/minute", "api_anon": None}


def _rates(settings, **rates):  # type: ignore[no-untyped-def]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**GOOD_RATES, **rates},
    }


def test_the_defaults_pass(settings) -> None:  # type: ignore[no-untyped-def]
    _rates(settings)
    call_command("check", tags=[SETTINGS_TAG])
    settings_checks_enforce()


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("PRIORITY_MATRIX_JSON", '{"high": {"high": 1}}', "PRIORITY_MATRIX[high] needs urgency"),
        ("PRIORITY_MATRIX_JSON", "{not json", "PRIORITY_MATRIX is not valid JSON"),
        ("PRIORITY_MATRIX_JSON", '{"high": {"high": 9}}', "PRIORITY_MATRIX[high][high] must be"),
        ("REPORTING_WORK_MEM", "lots", "REPORTING_WORK_MEM must look like 64MB, not 'lots'"),
        ("api_user", "fast", "API_THROTTLE_USER must be a rate such as 1200/minute"),
        ("api_anon", "60/fortnight", "API_THROTTLE_ANON must be a rate"),
        ("api_anon", "0/minute", "API_THROTTLE_ANON must be a rate"),
    ],
)
def test_check_refuses_a_bad_value_naming_the_setting(settings, setting, value, message) -> None:  # type: ignore[no-untyped-def]
    if setting.startswith("api_"):
        _rates(settings, **{setting: value})
    else:
        _rates(settings)
        setattr(settings, setting, value)
    with pytest.raises(SystemCheckError) as refused:
        call_command("check")
    assert message in str(refused.value)
    with pytest.raises(SystemCheckError, match="cannot start") as refused:
        settings_checks_enforce()
    assert message in str(refused.value)


def test_the_web_app_refuses_to_boot_with_a_bad_priority_matrix(tmp_path: Path) -> None:
    """Gunicorn loads config.wsgi and runs no checks of its own: the module runs them."""
    done = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        cwd=tmp_path,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": str(REPO),
            "PYTHONDONTWRITEBYTECODE": "1",
            "SERVICEDESK_VAR_DIR": str(tmp_path / "var"),
            "PRIORITY_MATRIX": '{"high": {"high": 1, "medium": 2, "low": 3}}',
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "PRIORITY_MATRIX needs a row for impact 'medium'" in done.stderr
