"""Reply-To of the desk's mail: the address of a mailbox that reads replies (registered with
core.tickets.notify in EmailIntakeConfig.ready, since core may not import this app)."""

from django.db.models import Case, IntegerField, Value, When

from core.models import TicketBase
from core.tickets.kinds import kind_of
from email_intake.models import Mailbox


def mailbox_address_for(ticket: TicketBase) -> str | None:
    """The address of an active mailbox routing new mail to the ticket's kind; else of any
    active mailbox (a reply threads onto its ticket whichever mailbox reads it); else None."""
    kind = kind_of(ticket).name
    return (
        Mailbox.objects.filter(is_active=True)
        .annotate(
            routes_elsewhere=Case(
                When(ticket_kind=kind, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("routes_elsewhere", "name")
        .values_list("address", flat=True)
        .first()
    )
