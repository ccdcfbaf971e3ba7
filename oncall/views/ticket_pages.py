"""The Paging panel's actions on any kind's ticket (oncall/templatetags/paging_panel.py shows
the panel): page the on-call by hand, acknowledge a page, end it. Each runs the paging service
(oncall.paging.services) and answers with a message and a redirect back to where the form was
(the ticket page, or "Pages for me"); a refusal is the service's own words and changes nothing.

Scope: the ticket is read through its kind's scoped selector (out of sight: 404); a page is
also open to the people it notified (they may act from "Pages for me")."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from core.choices import Source
from core.exceptions import DomainError
from core.tickets.kinds import kind_for_content_type, kind_named
from core.web.access import agent_required, current_user, safe_next
from core.web.submit import refusal_message
from oncall.models import PageReason, PageStatus
from oncall.paging.forms import PageTicketForm
from oncall.paging.services import page_acknowledge, page_end, page_start
from oncall.paging.ticket_panel import page_get_for_user


@require_POST
@agent_required
def ticket_page_start_view(request: HttpRequest, kind: str, number: str) -> HttpResponse:
    """ "Page the on-call" for the ticket: the ticket's group (or the chosen one) and its
    escalation from that tier up."""
    try:
        ticket_kind = kind_named(kind)
    except LookupError:
        raise Http404("No such kind of ticket.") from None
    user = current_user(request)
    ticket = ticket_kind.get_for_user(user, number)
    back = safe_next(request, ticket_kind.agent_path(ticket.number))
    form = PageTicketForm(request.POST)
    if not form.is_valid():
        errors = " ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, f"Nobody was paged: {errors}")
        return redirect(back)
    try:
        with transaction.atomic():
            page = page_start(
                ticket,
                reason=PageReason.MANUAL,
                actor=user,
                message=form.cleaned_data["message"],
                group=form.cleaned_data["support_group"],
            )
    except DomainError as exc:
        messages.error(request, f"Nobody was paged: {refusal_message(exc)}")
        return redirect(back)
    assert page is not None  # by hand, page_start refuses rather than returning None
    group = page.policy_snapshot[0]["group"]
    messages.success(request, f"Paging the on-call of {group} for {ticket.number}.")
    return redirect(back)


@require_POST
@agent_required
def page_acknowledge_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    page, ticket = page_get_for_user(user, pk)
    back = safe_next(request, _ticket_path(page.ticket_type_id, page.ticket_number))
    try:
        page_acknowledge(page, actor=user, source=Source.WEB)
    except DomainError as exc:
        messages.error(request, refusal_message(exc))
        return redirect(back)
    messages.success(request, f"You acknowledged the page for {ticket.number}.")
    return redirect(back)


@require_POST
@agent_required
def page_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    page, ticket = page_get_for_user(user, pk)
    back = safe_next(request, _ticket_path(page.ticket_type_id, page.ticket_number))
    ended = page_end(
        page,
        status=PageStatus.RESOLVED,
        actor=user,
        source=Source.WEB,
        why=f"{user} ended the page.",
    )
    if ended:
        messages.success(request, f"Paging for {ticket.number} ended.")
    else:
        page.refresh_from_db()
        messages.error(
            request, f"This page had already ended ({page.get_status_display().lower()})."
        )
    return redirect(back)


def _ticket_path(content_type_id: int, number: str) -> str:
    return kind_for_content_type(content_type_id).agent_path(number)
