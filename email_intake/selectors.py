"""Reads of the email channel, each scoped to who may see it.

Mailboxes and the refused-mail log are for admins (the views check the role); a stored message
is shown to an agent only through a ticket that agent may see, so a security incident's mail
is as hidden as the incident.
"""

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import router
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from core.choices import EventKind, Source
from core.kept_statements import kept_rows
from core.models import TicketBase, TimelineEvent, User
from core.roles import is_admin, is_agent
from core.tickets.kinds import kind_for_content_type
from email_intake.choices import InboundOutcome, InboundStatus
from email_intake.models import InboundEmail, Mailbox

WAITING_STATUSES = (InboundStatus.PENDING, InboundStatus.PROCESSING)
# What the refused-mail log lists (InboundEmail's partial index "inbound_email_refused").
LOG_STATUSES = (
    InboundStatus.REFUSED,
    InboundStatus.HELD,
    InboundStatus.QUARANTINED,
    InboundStatus.IGNORED,
)
# What an admin may send through the pipeline again.
RETRYABLE_STATUSES = (InboundStatus.REFUSED, InboundStatus.HELD, InboundStatus.QUARANTINED)


def _count_of(statuses: tuple[str, ...]) -> Coalesce:
    counted = (
        InboundEmail.objects.filter(mailbox=OuterRef("pk"), status__in=statuses)
        .order_by()
        .values("mailbox")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def mailbox_list() -> QuerySet[Mailbox]:
    """Every mailbox with `waiting_count` (pending or being processed) and `refused_count`
    (refused, held or quarantined): one statement whatever the number of mailboxes."""
    return (
        Mailbox.objects.select_related("support_group", "service", "catalog_item")
        .annotate(
            waiting_count=_count_of(WAITING_STATUSES),
            refused_count=_count_of(RETRYABLE_STATUSES),
        )
        .order_by("name")
    )


def mailbox_get(pk: int) -> Mailbox:
    try:
        return mailbox_list().get(pk=pk)
    except Mailbox.DoesNotExist as exc:
        raise Http404("No such mailbox.") from exc


def inbound_log() -> QuerySet[InboundEmail]:
    """The refused-mail log: messages that made no ticket or reply, newest first."""
    return (
        InboundEmail.objects.filter(status__in=LOG_STATUSES)
        .select_related("mailbox", "released_by")
        .order_by("-received_at", "-id")
    )


def inbound_get_for_admin(pk: int) -> InboundEmail:
    try:
        return InboundEmail.objects.select_related("mailbox", "released_by").get(pk=pk)
    except InboundEmail.DoesNotExist as exc:
        raise Http404("No such message.") from exc


def inbound_get_for_user(user: User, pk: int) -> InboundEmail:
    """A stored message as `user` may see it: admins any; agents one filed on a ticket they may
    see (through the kind's own selector, so restricted tickets stay hidden); end users none.
    Anything else is a 404."""
    if not is_agent(user):
        raise Http404("No such message.")
    inbound = inbound_get_for_admin(pk)
    if is_admin(user):
        return inbound
    if inbound.ticket_type_id is None or inbound.ticket_id is None:
        raise Http404("No such message.")
    try:
        kind = kind_for_content_type(inbound.ticket_type_id)
    except LookupError as exc:
        raise Http404("No such message.") from exc
    if not kind.list_for_user(user).filter(pk=inbound.ticket_id).exists():
        raise Http404("No such message.")
    return inbound


# What the ticket page reads of the messages its entries came from (email_intake.templatetags),
# in the model's order of fields, as Model.from_db takes the values of some of them.
_INBOUND_REFS = tuple(
    field.attname
    for field in InboundEmail._meta.concrete_fields
    if field.attname in {"id", "comment_id", "outcome"}
)


def inbound_for_events(ticket: TicketBase, events: Iterable[TimelineEvent]) -> list[InboundEmail]:
    """The messages the email-sourced `events` of `ticket` came from: the replies filed as their
    comments, and the mail that opened the ticket when its creation is among them, as instances
    with their id, comment and outcome only. One query (none when no event came by mail) reading
    at most one row per event, however much mail the ticket has had: the ticket page asks for
    the page of its timeline it shows. Its statement is kept (core.kept_statements.kept_rows)
    for the ticket and those events: building and compiling it was a tenth of the incident
    page's CPU (issue 18)."""
    mailed = [event for event in events if event.source == Source.EMAIL]
    comment_ids = tuple(event.comment_id for event in mailed if event.comment_id is not None)
    opened = any(event.kind == EventKind.CREATED for event in mailed)
    if not opened and not comment_ids:
        return []
    content_type = ContentType.objects.get_for_model(type(ticket)).pk
    alias = router.db_for_read(InboundEmail)

    def build() -> QuerySet[InboundEmail]:
        wanted = Q(comment_id__in=comment_ids) if comment_ids else Q(pk__in=[])
        if opened:
            opening = InboundEmail.objects.filter(
                ticket_type_id=content_type,
                ticket_id=ticket.pk,
                outcome=InboundOutcome.NEW_TICKET,
                comment__isnull=True,
            ).order_by("received_at", "pk")
            wanted |= Q(pk__in=Subquery(opening.values("pk")[:1]))
        return (
            InboundEmail.objects.using(alias).filter(wanted).order_by().values_list(*_INBOUND_REFS)
        )

    key = ("inbound_for_events", alias, content_type, ticket.pk, comment_ids, opened)
    return [InboundEmail.from_db(alias, list(_INBOUND_REFS), row) for row in kept_rows(key, build)]
