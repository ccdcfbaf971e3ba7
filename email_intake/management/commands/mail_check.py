"""`manage.py mail_check MAILBOX`: test a mailbox's IMAP connection from the command line."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from email_intake.imap import check_connection
from email_intake.models import Mailbox


class Command(BaseCommand):
    help = (
        "Connect to a mailbox's IMAP server, log in and open its folder; prints what worked or "
        "what failed. Exit status 0 when it works, 1 when it fails, 2 for an unknown mailbox."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("mailbox", help="The mailbox's name.")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["mailbox"]
        mailbox = Mailbox.objects.filter(name=name).first()
        if mailbox is None:
            known = ", ".join(Mailbox.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"No mailbox is named {name!r} (mailboxes: {known}).", returncode=2)
        check = check_connection(mailbox)
        if not check.ok:
            raise CommandError(f"{mailbox.name}: {check.summary}", returncode=1)
        self.stdout.write(f"{mailbox.name}: {check.summary}")
