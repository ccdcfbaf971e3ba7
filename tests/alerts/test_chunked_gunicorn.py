"""A real chunked POST through gunicorn (what docker-compose and the Dockerfile run): the alert
intake reads the de-chunked body. Skipped when gunicorn is missing; a failure under CI=true."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from incidents.models import Incident
from tests.alerts.conftest import Hook
from tests.alerts.payloads import ALERTMANAGER
from tests.conftest import IN_CI

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def _gunicorn_or_skip() -> None:
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        if IN_CI:
            pytest.fail("gunicorn is not installed — required when CI=true", pytrace=False)
        pytest.skip("gunicorn is not installed (it is in requirements.lock)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def gunicorn_port(tmp_path: Path) -> Iterator[int]:
    _gunicorn_or_skip()
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": _database_url(),
        "DEBUG": "false",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "SERVICEDESK_VAR_DIR": str(tmp_path),
    }
    log = tmp_path / "gunicorn.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start:\n{log.read_text()}")
                time.sleep(0.2)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def _post_chunked(port: int, secret: str, body: bytes) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    pieces = iter([body[: len(body) // 2], body[len(body) // 2 :]])
    conn.request(
        "POST",
        "/api/v1/alerts/",
        body=pieces,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {secret}"},
        encode_chunked=True,
    )
    response = conn.getresponse()
    answer = json.loads(response.read())
    conn.close()
    return response.status, answer


def test_gunicorn_hands_a_chunked_delivery_to_the_intake(gunicorn_port: int, hook: Hook) -> None:
    status, answer = _post_chunked(gunicorn_port, hook.secret, json.dumps(ALERTMANAGER).encode())

    assert status == 200, answer
    assert Incident.objects.count() == 2


def test_gunicorn_refuses_an_oversize_chunked_body_with_413(gunicorn_port: int, hook: Hook) -> None:
    """ALERTS_MAX_BODY_BYTES is 1 MiB: the intake reads 1 MiB + 1 byte, then refuses."""
    alert = ALERTMANAGER["alerts"][0]
    huge = {**ALERTMANAGER, "alerts": [alert], "padding": "x" * (1024 * 1024 + 10)}

    status, answer = _post_chunked(gunicorn_port, hook.secret, json.dumps(huge).encode())

    assert status == 413
    assert answer["error"]["code"] == "payload_too_large"
    assert Incident.objects.count() == 0
