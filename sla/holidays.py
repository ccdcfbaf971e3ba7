"""Writes of holidays (the import from .ics used by the admin and the command)."""

from django.db import transaction

from sla.ics import parse_holidays
from sla.models import Calendar, Holiday


def holidays_import(*, calendar: Calendar, ics_text: str) -> tuple[int, int]:
    """Add the file's dates to the calendar; return (added, already there). All or nothing:
    a malformed file raises sla.ics.IcsError and stores nothing."""
    dates = parse_holidays(ics_text)
    with transaction.atomic():
        existing = set(calendar.holidays.values_list("date", flat=True))
        new = [
            Holiday(calendar=calendar, date=item.date, name=item.name)
            for item in dates
            if item.date not in existing
        ]
        Holiday.objects.bulk_create(new)
    return len(new), len(dates) - len(new)
