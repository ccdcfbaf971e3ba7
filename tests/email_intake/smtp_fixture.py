"""The `smtp_capture` fixture: a real SMTP server process (tests/email_intake/smtp_capture.py)
with Django's SMTP backend pointed at it. Use it with
`from tests.email_intake.smtp_fixture import smtp_capture  # noqa: F401`."""

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import _needs
from tests.email_intake.smtp_capture import SmtpCapture, smtp_capture_running


def aiosmtpd_available() -> tuple[bool, str]:
    if importlib.util.find_spec("aiosmtpd") is None:
        return False, "aiosmtpd is not installed (a dev dependency: uv sync)"
    return True, ""


@pytest.fixture
def smtp_capture(tmp_path: Path, settings: Any) -> Iterator[SmtpCapture]:
    _needs(aiosmtpd_available())
    with smtp_capture_running(tmp_path / "smtp") as capture:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = capture.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
        yield capture
