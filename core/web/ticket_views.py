"""The agent's ticket views for every kind: the page, an action from the kind's table, a reply
or note, a file. Each takes the kind's `TicketPage` class from the URL conf
(core.web.ticket_urls) and maps a service's refusal the same way for every kind: a
ValidationFailed goes back onto the form that was sent (the page is shown again with it), any
other domain error becomes a message and the page is reloaded.
"""

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.exceptions import ConflictError, DomainError, ValidationFailed
from core.models import TicketBase
from core.services import attachment_add
from core.tickets.actions import Action
from core.tickets.work import ticket_comment
from core.web.access import HtmxHttpRequest, agent_required, safe_next
from core.web.forms import AgentCommentForm, AttachmentForm, apply_domain_errors
from core.web.submit import conflict_page, form_submit, refusal_message
from core.web.ticket_page import TicketPage


@agent_required
def ticket_detail(request: HttpRequest, number: str, *, page: type[TicketPage]) -> HttpResponse:
    view = page(request)
    return view.render(view.get(number))


def _perform(
    view: TicketPage, ticket: TicketBase, action: Action, form: Form
) -> tuple[HttpResponse | None, Any]:
    """Run `action` with the form's data: (None, result) when done; (a response, None) when
    refused — the page with the form's errors, the page as it is now with the form as it was
    typed (changed meanwhile), or a message and a reload."""
    refusal = action.refusal(view.kind, view.user, ticket)
    if refusal:
        messages.error(view.request, refusal)
        return view.back(ticket.number), None
    try:
        result = action.run(
            ticket,
            actor=view.user,
            source="web",
            expected_version=form.cleaned_data.get("version"),
            data=form.cleaned_data,
        )
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, dict(action.aliases))
        return view.render(ticket, {action.name: form}), None
    except ConflictError:
        current = view.get(ticket.number)
        page = conflict_page(view, current, form, name=action.name, version=current.version)
        return page, None
    except DomainError as exc:
        messages.error(view.request, refusal_message(exc))
        return view.back(ticket.number), None
    return None, result


@agent_required
@require_POST
def ticket_action(
    request: HttpRequest, number: str, action: str, *, page: type[TicketPage]
) -> HttpResponse:
    """POST one action of the kind's table with its form (`<prefix>-<field>` names)."""
    view = page(request)
    ticket = view.get(number)
    row = view.table.get(action)
    if row is None or row.form is None:
        raise Http404("No such action.")
    form = row.form(request.POST, prefix=action)
    if not form.is_valid():
        return view.render(ticket, {action: form})
    refused, result = _perform(view, ticket, row, form)
    if refused is not None:
        return refused
    if isinstance(result, TicketBase) and result.version == ticket.version:
        messages.info(request, "Nothing changed.")
    else:
        messages.success(request, row.done_message(ticket, result))
    return view.back(number)


@agent_required
@require_POST
def ticket_claim(request: HtmxHttpRequest, number: str, *, page: type[TicketPage]) -> HttpResponse:
    """Claim an unassigned ticket. From a queue (HTMX) the answer is a status line and an event
    that refreshes the rows; otherwise a redirect to `next` (the list, with its filters) or to
    the ticket."""
    view = page(request)
    ticket = view.get(number)
    row = view.table.get("claim")
    if row is None:
        raise Http404("No such action.")
    try:
        refusal = row.refusal(view.kind, view.user, ticket)
        if refusal:
            raise DomainError(refusal)
        row.run(ticket, actor=view.user, source="web", expected_version=None, data={})
    except DomainError as exc:
        level, text = "error", refusal_message(exc)
    else:
        level, text = "success", row.done_message(ticket, None)
    if request.htmx:
        response = render(
            request, "tickets/_list_status.html", {"level": level, "text": text, "number": number}
        )
        response["HX-Trigger"] = "queue-refresh"
        return response
    (messages.success if level == "success" else messages.error)(request, text)
    return redirect(safe_next(request, view.url("agent_detail", number)))


@agent_required
@require_POST
def ticket_comment_add(
    request: HttpRequest, number: str, *, page: type[TicketPage]
) -> HttpResponse:
    view = page(request)
    ticket = view.get(number)
    form = AgentCommentForm(request.POST, prefix="comment")

    def write(data: dict[str, Any]) -> str:
        internal = form.is_internal or not view.kind.has_portal
        ticket_comment(ticket, author=view.user, body=data["body"], is_internal=internal)
        if not view.kind.has_portal:
            return "Note added."
        return "Internal note added." if internal else "Reply sent to the requester."

    return form_submit(view, ticket, form, write, name="comment")


@agent_required
@require_POST
def ticket_attach(request: HttpRequest, number: str, *, page: type[TicketPage]) -> HttpResponse:
    view = page(request)
    ticket = view.get(number)
    form = AttachmentForm(
        request.POST, request.FILES, allow_internal=view.kind.has_portal, prefix="attach"
    )

    def write(data: dict[str, Any]) -> str:
        with transaction.atomic():
            attachment = attachment_add(
                ticket=ticket,
                uploaded_by=view.user,
                upload=data["file"],
                is_internal=data.get("is_internal", False),
            )
        return f"{attachment.original_name} was added."

    return form_submit(view, ticket, form, write, name="attach")
