"""Reminders before a shift starts (issue 16, point 1): "you are on call for L1 Service Desk
from Mon 09:00 to Tue 09:00".

Beat runs `oncall.shift_reminders` every ONCALL_SHIFT_REMINDER_CHECK_SECONDS. Each run computes
the final schedules (oncall.engine, a pure function) over a short window and emails everyone
whose shift starts within the next ONCALL_SHIFT_REMINDER_MINUTES (0 turns reminders off). The
outbox's dedupe key names the schedule, the person and the shift's start, so a shift is
reminded once however often the task runs, and a shift moved by an override (a new start, or
a new person) gets its own reminder. A shift already under way is never reminded: its start
is read from a window that begins two days back, so a shift continuing from before "now" is
seen with its true start (or at least one before now); its end is read up to a week later.
"""

from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format

from core.models import User
from core.outbox import outbox_enqueue
from core.outgoing_mail import email_payload
from core.time_zones import zone_of
from oncall.engine import final_shifts
from oncall.models import Schedule
from oncall.selectors import schedule_list, schedule_spec

LOOK_BACK = timedelta(days=2)
# How far past the lead time to compute, so the reminder can say when the shift ends.
LOOK_AHEAD = timedelta(days=7)


def _when(instant: datetime, user: User) -> str:
    return date_format(instant.astimezone(zone_of(user)), "D j M Y H:i")


def shift_reminders_send(now: datetime | None = None) -> int:
    """Write the reminders due now to the outbox; returns how many were new."""
    lead_minutes = settings.ONCALL_SHIFT_REMINDER_MINUTES
    if lead_minutes <= 0:
        return 0
    now = now or timezone.now()
    horizon = now + timedelta(minutes=lead_minutes)
    window = (now - LOOK_BACK, horizon + LOOK_AHEAD)
    due: list[tuple[Schedule, int, datetime, datetime]] = []
    schedules = list(schedule_list(window=window))
    for schedule in schedules:
        for shift in final_shifts(schedule_spec(schedule), *window):
            if now < shift.start <= horizon:
                due.append((schedule, shift.person_id, shift.start, shift.end))
    if not due:
        return 0
    people = User.objects.in_bulk({person_id for _, person_id, _, _ in due})
    sent = 0
    for schedule, person_id, start, end in due:
        person = people.get(person_id)
        if person is None or not person.is_active or not person.email:
            continue
        group = schedule.support_group
        subject = f"On call from {_when(start, person)}: {schedule} ({group.name})"
        body = (
            f"Hello {person.display_name},\n\n"
            f"you are on call for {group.name} on the schedule “{schedule}” "
            f"from {_when(start, person)} to {_when(end, person)}.\n\n"
            f"Your shifts: {settings.SITE_URL.rstrip('/')}/oncall/my-shifts/\n"
        )
        key = f"shift-reminder:{schedule.pk}:{person_id}:{start.isoformat()}"
        message = outbox_enqueue(
            task_name="core.send_email",
            payload=email_payload(
                to=[person.email],
                subject=subject,
                body=body,
                headers={"Auto-Submitted": "auto-generated"},
            ),
            dedupe_key=key,
        )
        sent += message is not None
    return sent


@shared_task(name="oncall.shift_reminders", acks_late=True, ignore_result=True)
def shift_reminders_task() -> int:
    return shift_reminders_send()
