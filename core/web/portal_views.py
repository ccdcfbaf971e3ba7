"""The requester's ticket views for every kind followed in the portal: the page, a reply, a
file, a rating and the requester's actions (core.web.portal_page). A refusal the person can
fix goes back onto the form they sent; any other is a message on the reloaded page."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from core.choices import Source
from core.exceptions import DomainError
from core.services import attachment_add
from core.tickets.actions import actions_of
from core.tickets.rating import ticket_rate
from core.tickets.work import ticket_comment
from core.web.forms import AttachmentForm, ReplyForm, SatisfactionForm
from core.web.portal_page import PortalTicketPage
from core.web.submit import form_submit


@login_required
def portal_ticket(
    request: HttpRequest, number: str, *, page: type[PortalTicketPage]
) -> HttpResponse:
    view = page(request)
    return view.render(view.get(number))


@login_required
@require_POST
def portal_reply(
    request: HttpRequest, number: str, *, page: type[PortalTicketPage]
) -> HttpResponse:
    view = page(request)
    ticket = view.get(number)

    def write(data: dict[str, Any]) -> str:
        ticket_comment(ticket, author=view.user, body=data["body"], is_internal=False)
        return "Your reply was sent to the service desk."

    return form_submit(view, ticket, ReplyForm(request.POST), write, name="reply")


@login_required
@require_POST
def portal_attach(
    request: HttpRequest, number: str, *, page: type[PortalTicketPage]
) -> HttpResponse:
    view = page(request)
    ticket = view.get(number)
    # Nobody works a closed ticket, so a file there would go unseen.
    refusal = view.kind.reply_refusal(ticket)
    if refusal:
        messages.error(request, refusal)
        return view.back(number)

    def write(data: dict[str, Any]) -> str:
        with transaction.atomic():
            attachment = attachment_add(ticket=ticket, uploaded_by=view.user, upload=data["file"])
        return f"{attachment.original_name} was added."

    form = AttachmentForm(request.POST, request.FILES)
    return form_submit(view, ticket, form, write, name="attach")


@login_required
@require_POST
def portal_rate(request: HttpRequest, number: str, *, page: type[PortalTicketPage]) -> HttpResponse:
    """The requester rates the outcome (core.tickets.rating decides whether they may)."""
    view = page(request)
    ticket = view.get(number)

    def write(data: dict[str, Any]) -> str:
        ticket_rate(ticket, actor=view.user, score=data["score"], comment=data["comment"])
        return "Thank you for your rating. It helps us get better."

    form = SatisfactionForm(request.POST, prefix="rating")
    return form_submit(view, ticket, form, write, name="rating")


@login_required
@require_POST
def portal_action(
    request: HttpRequest, number: str, action: str, *, page: type[PortalTicketPage]
) -> HttpResponse:
    """One of the requester's actions: its form, then its row of the kind's action table."""
    view = page(request)
    ticket = view.get(number)
    offered = view.action(action)
    row = actions_of(ticket).get(offered.action) if offered is not None else None
    if offered is None or row is None:
        raise Http404("No such action.")
    form = offered.form(request.POST, prefix=action)

    def write(data: dict[str, Any]) -> str:
        refusal = row.refusal(view.kind, view.user, ticket)
        if refusal:
            raise DomainError(refusal)
        row.run(
            ticket,
            actor=view.user,
            source=Source.WEB,
            expected_version=data["version"],
            data=offered.data(data),
        )
        return offered.done.format(number=ticket.number)

    return form_submit(view, ticket, form, write, name=action)
