"""The SLA engine with a real Celery worker and beat on Redis (DESIGN.md §5, §8).

An incident whose policy gives 2 seconds to respond is escalated L1 -> L2 by the worker within
the sweep period, notified exactly once, with the escalation on its timeline.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from core.choices import EventKind, Tier
from core.models import OutboxMessage, OutboxStatus, TimelineEvent
from incidents.choices import Impact, Urgency
from incidents.services import incident_create
from sla.models import Calendar, SlaPolicy
from tests.conftest import REDIS_URL

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", *args],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def test_worker_and_beat_escalate_a_breached_incident_once(tmp_path, end_user, tiers, manager):
    import redis

    broker = REDIS_URL.rsplit("/", 1)[0] + "/14"
    redis.Redis.from_url(broker).flushdb()
    calendar = Calendar.objects.create(name="24x7", timezone="UTC", is_24x7=True)
    SlaPolicy.objects.create(
        name="Fast P5",
        ticket_kind="incident",
        priority=5,
        calendar=calendar,
        response_target=timedelta(seconds=2),
        resolution_target=timedelta(hours=1),
    )
    incident = incident_create(
        requester=end_user, title="Backup job failed", impact=Impact.LOW, urgency=Urgency.LOW
    )
    assert incident.tier == Tier.L1

    mail_dir = tmp_path / "mail"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker,
        "SERVICEDESK_VAR_DIR": str(tmp_path / "var"),
        "SLA_SWEEP_INTERVAL_SECONDS": "1",
        "OUTBOX_RELAY_INTERVAL_SECONDS": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    (tmp_path / "var" / "celery").mkdir(parents=True)
    worker = _start(
        ["worker", "-Q", "default,sla", "--concurrency", "2", "--loglevel", "INFO"],
        env,
        tmp_path / "worker.log",
    )
    beat = _start(
        ["beat", "--loglevel", "INFO", "-s", str(tmp_path / "beat-schedule")],
        env,
        tmp_path / "beat.log",
    )
    try:
        deadline = time.monotonic() + 60
        breach_mail = None
        while time.monotonic() < deadline:
            incident.refresh_from_db()
            breach_mail = OutboxMessage.objects.filter(
                dedupe_key__startswith="sla:",
                dedupe_key__endswith=":email",
                status=OutboxStatus.DONE,
            ).first()
            if incident.tier == Tier.L2 and breach_mail is not None:
                break
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
            assert beat.poll() is None, (tmp_path / "beat.log").read_text()[-3000:]
            time.sleep(0.5)
        else:
            pytest.fail(
                "not escalated and notified within 60 s\n"
                + (tmp_path / "worker.log").read_text()[-3000:]
            )
        time.sleep(3)  # several more sweeps and relays: still exactly one effect
    finally:
        _stop(beat)
        _stop(worker)

    incident.refresh_from_db()
    assert incident.support_group == tiers[Tier.L2]
    escalations = TimelineEvent.objects.filter(ticket_id=incident.pk, kind=EventKind.ESCALATED)
    assert escalations.count() == 1
    assert "Response target breached" in escalations.get().message
    assert OutboxMessage.objects.filter(dedupe_key__startswith="sla:").count() == 1
    sent = [p.read_text() for p in mail_dir.glob("*.log")]
    breach_mails = [m for m in sent if "SLA breached" in m]
    assert len(breach_mails) == 1
    assert incident.number in breach_mails[0]
    assert manager.email in breach_mails[0]
    assert settings.CELERY_TASK_ROUTES["sla.*"] == {"queue": "sla"}
