"""`manage.py mail_import FILE.eml [FILE...] [--mailbox NAME]`: feed messages through the same
path as fetched mail (stored once, then processed by the pipeline) — the embedded default needs
no mail server."""

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from email_intake.models import InboundEmail, Mailbox
from email_intake.processing import process_inbound
from email_intake.store import store_message


def _ticket_number(inbound: InboundEmail) -> str:
    if inbound.ticket_type is None or inbound.ticket_id is None:
        return ""
    ticket = inbound.ticket_type.get_all_objects_for_this_type(pk=inbound.ticket_id).first()
    return str(getattr(ticket, "number", "")) if ticket is not None else ""


def describe(inbound: InboundEmail, *, created: bool) -> str:
    """One line: what became of the message."""
    parts = [inbound.get_status_display().lower()]
    if not created:
        parts.insert(0, "already stored")
    if inbound.outcome:
        parts.append(inbound.get_outcome_display().lower())
    number = _ticket_number(inbound)
    if number:
        parts.append(number)
    line = ", ".join(parts)
    return f"{line} ({inbound.reason})" if inbound.reason else line


class Command(BaseCommand):
    help = (
        "Import .eml files into a mailbox and process them like fetched mail; '-' reads one "
        "message from standard input. Prints one line per file. Exit status 2 when a file "
        "could not be read (the others are still imported)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", help="Message files (RFC 5322), or '-'.")
        parser.add_argument(
            "--mailbox", help="The mailbox's name (default: the first active mailbox)."
        )

    def _mailbox(self, name: str | None) -> Mailbox:
        if name:
            mailbox = Mailbox.objects.filter(name=name).first()
            if mailbox is None:
                raise CommandError(f"No mailbox is named {name!r}.", returncode=2)
            return mailbox
        mailbox = Mailbox.objects.filter(is_active=True).order_by("name").first()
        if mailbox is None:
            raise CommandError(
                "There is no active mailbox; create one (admin) or name one with --mailbox.",
                returncode=2,
            )
        return mailbox

    def _read(self, name: str) -> bytes:
        if name == "-":
            return sys.stdin.buffer.read()
        return Path(name).read_bytes()

    def handle(self, *args: Any, **options: Any) -> None:
        mailbox = self._mailbox(options["mailbox"])
        unreadable = 0
        for name in options["files"]:
            try:
                raw = self._read(name)
            except OSError as exc:
                unreadable += 1
                self.stderr.write(f"{name}: cannot be read: {exc.strerror or exc}")
                continue
            if not raw.strip():
                unreadable += 1
                self.stderr.write(f"{name}: is empty, not a message")
                continue
            inbound, created = store_message(mailbox, raw)
            process_inbound(inbound.pk)
            inbound.refresh_from_db()
            self.stdout.write(f"{name}: {describe(inbound, created=created)}")
        if unreadable:
            raise CommandError(
                f"{unreadable} of {len(options['files'])} files could not be imported.",
                returncode=2,
            )
