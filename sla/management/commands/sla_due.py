from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.single_line import has_control_characters
from sla.calendar import CalendarError, due_at, due_input_check
from sla.durations import parse_target
from sla.models import Calendar
from sla.snapshot import calendar_of


def _refused(message: str) -> CommandError:
    """Bad input: one line on stderr and exit code 2, never a traceback."""
    return CommandError(message, returncode=2)


class Command(BaseCommand):
    help = (
        "Print the ISO-8601 due time a calendar gives for a start and a target, e.g. "
        "sla_due --calendar 'Business hours' --start 2026-03-27T16:30:00+01:00 --target 4h"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--calendar", required=True, help="calendar name")
        parser.add_argument("--start", required=True, help="ISO-8601 with a UTC offset")
        parser.add_argument("--target", required=True, help="30m, 4h, 2d, 1h30m ...")

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("calendar", "start", "target"):
            if has_control_characters(options[name]):
                raise _refused(f"--{name} must be one line without control characters")
        try:
            start = datetime.fromisoformat(options["start"])
        except ValueError as exc:
            raise _refused(f"--start '{options['start']}' is not an ISO-8601 date-time") from exc
        if start.tzinfo is None:
            raise _refused("--start needs a UTC offset, e.g. 2026-03-27T16:30:00+01:00")
        try:
            target = parse_target(options["target"])
        except ValueError as exc:
            raise _refused(f"--target {exc}") from exc
        try:
            due_input_check(start, target)
        except CalendarError as exc:
            raise _refused(f"--start/--target: {exc}") from exc
        calendar = (
            Calendar.objects.prefetch_related("hours", "holidays")
            .filter(name=options["calendar"])
            .first()
        )
        if calendar is None:
            names = ", ".join(Calendar.objects.values_list("name", flat=True)[:20]) or "none"
            raise _refused(f"no calendar named '{options['calendar']}' (calendars: {names})")
        try:
            business = calendar_of(calendar)
            due = due_at(start, target, business)
        except CalendarError as exc:
            raise _refused(f"calendar '{calendar.name}': {exc}") from exc
        assert due is not None  # no pauses given
        self.stdout.write(due.astimezone(business.tz).isoformat())
