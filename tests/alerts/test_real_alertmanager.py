"""A real Alertmanager 0.25 (Debian's prometheus-alertmanager, started here on a free port) fed
alerts through its own API and delivering to the desk's intake, as a monitoring team runs it:
the firing alert opens one incident with its URL annotations and Alertmanager's silence link,
and its recovery marks the incident "recovered". Skipped without the binary; a failure under
CI=true (.ci/run installs it)."""

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from incidents.alerts.models import AlertLink
from incidents.models import Incident
from tests.alerts.conftest import Hook
from tests.conftest import IN_CI

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BINARY = "/usr/bin/prometheus-alertmanager"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _binary_or_skip() -> None:
    if os.path.exists(BINARY):
        return
    reason = f"Alertmanager is not installed at {BINARY} (apt-get install prometheus-alertmanager)"
    if IN_CI:
        pytest.fail(f"{reason} — required when CI=true", pytrace=False)
    pytest.skip(reason)


def _wait_for(check: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


@pytest.fixture
def alertmanager(live_server: Any, hook: Hook, tmp_path: Path) -> Iterator[str]:
    _binary_or_skip()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    config = tmp_path / "alertmanager.yml"
    receiver = f"{live_server.url}/api/v1/alerts/{hook.secret}/"
    config.write_text(
        json.dumps(  # YAML is a superset of JSON
            {
                "route": {
                    "receiver": "desk",
                    "group_by": ["alertname", "instance"],
                    "group_wait": "1s",
                    "group_interval": "1s",
                    "repeat_interval": "1h",
                },
                "receivers": [
                    {"name": "desk", "webhook_configs": [{"url": receiver, "send_resolved": True}]}
                ],
            }
        )
    )
    process = subprocess.Popen(
        [
            BINARY,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            f"--web.external-url={url}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "alertmanager.log", "w"),  # noqa: SIM115 — closed with the process
    )
    try:
        _wait_for(lambda: _ready(url), 20, "Alertmanager to start")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(tmp_path / "data", ignore_errors=True)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _send(url: str, *, ends_at: datetime | None = None) -> None:
    now = datetime.now(UTC)
    alert = {
        "labels": {
            "alertname": "HighLatency",
            "instance": "web-1:9100",
            "job": "web",
            "severity": "critical",
        },
        "annotations": {
            "summary": "p99 latency above 2 s on web-1",
            "runbook_url": "https://runbooks.example.com/high-latency",
        },
        "startsAt": (now - timedelta(seconds=30)).isoformat(),
        "generatorURL": "http://prometheus.example.com/graph?g0.expr=latency",
    }
    if ends_at is not None:
        alert["endsAt"] = ends_at.isoformat()
    response = httpx.post(f"{url}/api/v2/alerts", json=[alert], timeout=5)
    assert response.status_code == 200, response.text


def test_alertmanager_opens_one_incident_and_reports_the_recovery(
    alertmanager: str, hook: Hook
) -> None:
    _send(alertmanager)
    incident = _wait_for(Incident.objects.first, 30, "the incident")
    _send(alertmanager)  # a re-send of the same alert joins it
    link = AlertLink.objects.get(incident=incident)
    assert incident.title == "[HighLatency] p99 latency above 2 s on web-1"
    assert link.integration == hook.integration and link.is_open
    description = incident.description
    assert "https://runbooks.example.com/high-latency" in description
    assert f"{alertmanager}/#/silences/new" in description  # the silence link, from externalURL

    _send(alertmanager, ends_at=datetime.now(UTC))
    _wait_for(
        lambda: AlertLink.objects.filter(pk=link.pk, recovered_at__isnull=False).exists(),
        30,
        "the recovery",
    )
    assert Incident.objects.count() == 1
