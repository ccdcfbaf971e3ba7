"""Seeding sends nothing whenever it runs: the demo's history is laid out backwards from the
moment of seeding, so which windows its objectives' burn rates see depends on the hour. Among
these instants were hours at which a response objective chosen only by its budget burned slowly
enough to email its owner group at seeding (demo/slo.py now also requires no alert to hold)."""

from datetime import UTC, datetime

import pytest
import time_machine

from core.models import OutboxMessage
from tests.demo.seeding import seed

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("hour", [0, 6, 12, 22])
def test_seeding_at_this_hour_sends_nothing(hour: int, settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with time_machine.travel(datetime(2026, 12, 5, hour, 17, tzinfo=UTC), tick=True):
        seed()
    assert not OutboxMessage.objects.exists()
