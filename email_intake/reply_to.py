"""Reply-To of the desk's mail: the address of a mailbox that reads replies (registered with
core.tickets.notify in EmailIntakeConfig.ready, since core may not import this app)."""

from core.models import TicketBase
from core.tickets.kinds import kind_of
from email_intake.mailbox_memo import active_routes


def mailbox_address_for(ticket: TicketBase) -> str | None:
    """The address of an active mailbox routing new mail to the ticket's kind; else of any
    active mailbox (a reply threads onto its ticket whichever mailbox reads it); else None.
    Mailboxes are few: read once per process (email_intake.mailbox_memo), chosen here."""
    kind = kind_of(ticket).name
    mailboxes = active_routes()
    for ticket_kind, address in mailboxes:
        if ticket_kind == kind:
            return address
    return mailboxes[0][1] if mailboxes else None
