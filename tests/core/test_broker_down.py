"""DESIGN.md §8: a broker outage never costs a user their ticket, and nothing is lost.

With the broker unreachable a requester reports an incident and gets its number at once; the
relay keeps the work; when the broker is back the work is published and delivered once.
"""

import time

import pytest
from django.core import mail

from config.celery import app
from core.models import OutboxMessage, OutboxStatus
from core.outbox_relay import relay_outbox
from incidents.models import Incident
from incidents.services import incident_create
from tests.brokers import CLOSED_PORT_BROKER, drain
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.django_db


def _report_while_broker_down(end_user, use_broker):
    use_broker(CLOSED_PORT_BROKER)
    started = time.monotonic()
    incident = incident_create(requester=end_user, title="Printer on fire")
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, f"creating a ticket took {elapsed:.2f}s with the broker down"
    assert Incident.objects.filter(number=incident.number).exists()
    pending = OutboxMessage.objects.get(task_name="core.send_email")
    assert pending.status == OutboxStatus.PENDING

    assert relay_outbox() == 0  # broker still down: kept, not lost
    pending.refresh_from_db()
    assert pending.status == OutboxStatus.PENDING
    return pending


def _deliver_like_a_worker(messages):
    app.loader.import_default_modules()  # what a worker does at start: register every task
    for task_name, args in messages:
        app.tasks[task_name].run(*args)


def test_work_queued_during_an_outage_is_delivered_when_the_broker_returns(end_user, use_broker):
    pending = _report_while_broker_down(end_user, use_broker)

    use_broker("memory://")
    drain()
    assert relay_outbox() == 1
    published = drain()
    assert published == [("core.send_email", [[pending.pk]])]
    _deliver_like_a_worker(published + published)  # a duplicate delivery too
    pending.refresh_from_db()
    assert pending.status == OutboxStatus.DONE
    assert len(mail.outbox) == 1
    assert end_user.email in mail.outbox[0].to


@pytest.mark.redis
def test_same_with_a_real_redis_broker(end_user, use_broker):
    pending = _report_while_broker_down(end_user, use_broker)

    use_broker(REDIS_URL)
    drain()
    assert relay_outbox() == 1
    published = drain()
    assert published == [("core.send_email", [[pending.pk]])]
    _deliver_like_a_worker(published)
    pending.refresh_from_db()
    assert pending.status == OutboxStatus.DONE
    assert len(mail.outbox) == 1
