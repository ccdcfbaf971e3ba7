from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sla.calendar import CalendarError, due_at
from sla.durations import parse_target
from sla.models import Calendar
from sla.snapshot import calendar_from_snapshot, calendar_snapshot


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
        try:
            start = datetime.fromisoformat(options["start"])
        except ValueError as exc:
            raise CommandError(
                f"--start '{options['start']}' is not an ISO-8601 date-time", returncode=2
            ) from exc
        if start.tzinfo is None:
            raise CommandError(
                "--start needs a UTC offset, e.g. 2026-03-27T16:30:00+01:00", returncode=2
            )
        try:
            target = parse_target(options["target"])
        except ValueError as exc:
            raise CommandError(f"--target {exc}", returncode=2) from exc
        calendar = (
            Calendar.objects.prefetch_related("hours", "holidays")
            .filter(name=options["calendar"])
            .first()
        )
        if calendar is None:
            names = ", ".join(Calendar.objects.values_list("name", flat=True)[:20]) or "none"
            raise CommandError(
                f"no calendar named '{options['calendar']}' (calendars: {names})", returncode=2
            )
        business = calendar_from_snapshot({"calendar": calendar_snapshot(calendar)})
        try:
            due = due_at(start, target, business)
        except CalendarError as exc:
            raise CommandError(f"calendar '{calendar.name}': {exc}", returncode=2) from exc
        assert due is not None  # no pauses given
        self.stdout.write(due.astimezone(business.tz).isoformat())
