"""Reads shared by every ticket kind, scoped to the viewer."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from core.models import Attachment, TicketBase, TimelineEvent, User
from core.roles import is_agent


def timeline_for_user(*, ticket: TicketBase, user: User) -> QuerySet[TimelineEvent]:
    """The ticket's events in order; requesters see only public ones."""
    events = TimelineEvent.objects.filter(
        ticket_type=ContentType.objects.get_for_model(ticket), ticket_id=ticket.pk
    ).select_related("actor", "comment", "attachment")
    if not is_agent(user):
        events = events.filter(is_public=True)
    return events.order_by("created_at", "id")


def attachments_for_user(*, ticket: TicketBase, user: User) -> QuerySet[Attachment]:
    files = Attachment.objects.filter(
        ticket_type=ContentType.objects.get_for_model(ticket), ticket_id=ticket.pk
    )
    if not is_agent(user):
        files = files.filter(is_internal=False)
    return files.order_by("created_at", "id")
