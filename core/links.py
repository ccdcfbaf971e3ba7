"""Links between tickets of any kind (core.models.TicketLink), without importing a domain app.

`link_add` writes one link inside the caller's transaction; the readers return the linked
tickets themselves, loaded through their model's default manager. Callers that show a linked
ticket to a person still read it through that kind's scoped selector.
"""

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from core.models import TicketBase, TicketLink, TicketLinkKind


def link_add(
    *, source: TicketBase, target: TicketBase, kind: str = TicketLinkKind.CONVERTED_TO
) -> TicketLink:
    """Record that `source` is linked to `target` (idempotent: an existing link is returned)."""
    link, _ = TicketLink.objects.get_or_create(
        from_type=ContentType.objects.get_for_model(source),
        from_id=source.pk,
        to_type=ContentType.objects.get_for_model(target),
        to_id=target.pk,
        kind=kind,
        defaults={"created_at": timezone.now()},
    )
    return link


def _load(pairs: list[tuple[int, int]]) -> list[TicketBase]:
    tickets: list[TicketBase] = []
    for type_id, ticket_id in pairs:
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None or not issubclass(model, TicketBase):
            continue
        ticket = model._default_manager.filter(pk=ticket_id).first()
        if ticket is not None:
            tickets.append(ticket)
    return tickets


def linked_to(ticket: TicketBase, *, kind: str = TicketLinkKind.CONVERTED_TO) -> list[TicketBase]:
    """The tickets `ticket` links to (e.g. the request an incident was converted to)."""
    pairs = TicketLink.objects.filter(
        from_type=ContentType.objects.get_for_model(ticket), from_id=ticket.pk, kind=kind
    ).values_list("to_type_id", "to_id")
    return _load(list(pairs))


def linked_from(ticket: TicketBase, *, kind: str = TicketLinkKind.CONVERTED_TO) -> list[TicketBase]:
    """The tickets that link to `ticket` (e.g. the incident a request was converted from)."""
    pairs = TicketLink.objects.filter(
        to_type=ContentType.objects.get_for_model(ticket), to_id=ticket.pk, kind=kind
    ).values_list("from_type_id", "from_id")
    return _load(list(pairs))
