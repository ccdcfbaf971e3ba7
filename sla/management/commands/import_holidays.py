from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sla.holidays import holidays_import
from sla.ics import IcsError
from sla.models import Calendar


class Command(BaseCommand):
    help = "Add the all-day events of an iCalendar (.ics) file to a calendar as holidays."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--calendar", required=True)
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        calendar = Calendar.objects.filter(name=options["calendar"]).first()
        if calendar is None:
            raise CommandError(f"no calendar named '{options['calendar']}'", returncode=2)
        try:
            text = options["file"].read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {options['file']}: {exc}", returncode=2) from exc
        try:
            added, known = holidays_import(calendar=calendar, ics_text=text)
        except IcsError as exc:
            raise CommandError(f"{options['file']}: {exc}", returncode=2) from exc
        self.stdout.write(f"Added {added} holiday(s) to {calendar.name}; {known} already there.")
