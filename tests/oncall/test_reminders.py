"""Reminders before a shift: once per shift, only for shifts about to start, off at 0."""

from datetime import UTC, datetime

import pytest

from core.models import OutboxMessage, User
from oncall.models import Override, Schedule
from oncall.reminders import shift_reminders_send

pytestmark = pytest.mark.django_db

# The `schedule` fixture hands off daily at 09:00 Berlin (08:00 UTC in winter), agents in turn.
BEFORE_HANDOFF = datetime(2026, 1, 6, 7, 30, tzinfo=UTC)


def _reminders() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(dedupe_key__startswith="shift-reminder:"))


def test_the_next_person_is_reminded_once(schedule: Schedule, agents: list[User]) -> None:
    agents[1].time_zone = "Europe/Berlin"  # dates in the reader's own zone
    agents[1].save()
    assert shift_reminders_send(BEFORE_HANDOFF) == 1
    assert shift_reminders_send(BEFORE_HANDOFF) == 0
    (message,) = _reminders()
    assert message.payload["to"] == [agents[1].email]  # day 2 of the rotation
    assert "On call from Tue 6 Jan 2026 09:00" in message.payload["subject"]
    assert "to Wed 7 Jan 2026 09:00" in message.payload["body"]


def test_nothing_before_the_lead_time_nor_for_a_shift_under_way(schedule: Schedule) -> None:
    assert shift_reminders_send(datetime(2026, 1, 6, 6, 30, tzinfo=UTC)) == 0
    assert shift_reminders_send(datetime(2026, 1, 6, 8, 30, tzinfo=UTC)) == 0
    assert _reminders() == []


def test_an_override_gets_its_own_reminder(
    schedule: Schedule, agents: list[User], manager: User
) -> None:
    Override.objects.create(
        schedule=schedule,
        person=agents[2],
        start=datetime(2026, 1, 6, 8, tzinfo=UTC),
        end=datetime(2026, 1, 6, 12, tzinfo=UTC),
        created_by=manager,
    )
    assert shift_reminders_send(BEFORE_HANDOFF) == 1
    (message,) = _reminders()
    assert message.payload["to"] == [agents[2].email]


def test_zero_turns_reminders_off(schedule: Schedule, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ONCALL_SHIFT_REMINDER_MINUTES = 0
    assert shift_reminders_send(BEFORE_HANDOFF) == 0
