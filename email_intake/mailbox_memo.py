"""The mailboxes' addresses and routes, memoised per process (core.config_memo): every message
asks which addresses are our own (loops) and every notification which address to reply to;
mailboxes change a few times a year, mail arrives all day."""

from core.config_memo import ConfigMemo
from email_intake.models import Mailbox

MAILBOX_MEMO = ConfigMemo("email-mailboxes", ["email_intake.Mailbox"])


def mailbox_addresses() -> frozenset[str]:
    """Every mailbox's address, active or not (lower-case)."""
    return MAILBOX_MEMO.get(
        "addresses",
        lambda: frozenset(a.lower() for a in Mailbox.objects.values_list("address", flat=True)),
    )


def active_routes() -> tuple[tuple[str, str], ...]:
    """(ticket kind, address) of the active mailboxes, by name."""
    return MAILBOX_MEMO.get(
        "routes",
        lambda: tuple(
            Mailbox.objects.filter(is_active=True)
            .order_by("name")
            .values_list("ticket_kind", "address")
        ),
    )
