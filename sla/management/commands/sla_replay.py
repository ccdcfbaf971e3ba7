from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from core.single_line import has_control_characters
from core.tickets.kinds import TicketKind, kind_named, kinds
from sla.replay.compare import compare_tickets
from sla.replay.inputs import ticket_ids

SHOWN = 20


def _refused(message: str) -> CommandError:
    """Bad input: one line on stderr and exit code 2, never a traceback."""
    return CommandError(message, returncode=2)


def _instant(name: str, text: str) -> datetime:
    """A date (midnight UTC) or an ISO-8601 date-time with a UTC offset."""
    if has_control_characters(text):
        raise _refused(f"--{name} must be one line without control characters")
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise _refused(f"--{name} '{text}' is not an ISO-8601 date or date-time") from exc
    if value.tzinfo is None:
        if len(text) != len("2026-01-01"):
            raise _refused(f"--{name} needs a UTC offset, e.g. 2026-01-01T00:00:00+00:00")
        value = value.replace(tzinfo=UTC)
    return value


class Command(BaseCommand):
    help = (
        "Replay the SLA clocks of a kind's tickets created in a period from their timelines and "
        "compare them with the stored clocks, e.g. sla_replay --kind incident --since 2026-01-01 "
        "--check (exit 1 when any differs)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", required=True, help="ticket kind with SLA, e.g. incident")
        parser.add_argument("--since", required=True, help="tickets created from (date or ISO)")
        parser.add_argument("--until", help="tickets created before (date or ISO)")
        parser.add_argument(
            "--check", action="store_true", help="exit 1 when the replay differs from storage"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind = self._kind(options["kind"])
        since = _instant("since", options["since"])
        until = _instant("until", options["until"]) if options["until"] else None
        if until is not None and until <= since:
            raise _refused("--until must be after --since")
        ids = ticket_ids(kind, since, until)
        tally, first = compare_tickets(kind, ids, timezone.now(), keep=SHOWN)
        self.stdout.write(
            f"{kind.name}: {tally.tickets} tickets, {tally.clocks} clocks, "
            f"{tally.mismatches} mismatches"
        )
        for mismatch in first:
            self.stdout.write(f"  {mismatch}")
        if options["check"] and tally.mismatches:
            raise CommandError(f"{tally.mismatches} mismatches", returncode=1)

    def _kind(self, name: str) -> TicketKind:
        if has_control_characters(name):
            raise _refused("--kind must be one line without control characters")
        names = [k.name for k in kinds() if k.has_sla]
        if name not in names:
            raise _refused(f"--kind '{name}' is not a kind with SLA clocks ({', '.join(names)})")
        return kind_named(name)
