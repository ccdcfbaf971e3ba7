"""IMAP access to a mailbox (contract; the fetch helper writes the bodies)."""

from dataclasses import dataclass

from email_intake.models import Mailbox


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    summary: str  # one sentence an admin reads: "Connected; 12 messages wait in INBOX."


def check_connection(mailbox: Mailbox) -> ConnectionCheck:
    raise NotImplementedError
