"""How every ticket page answers a POSTed form, written once: an invalid form, or a
ValidationFailed from the service, shows the page again with the form and its errors (what was
typed is kept); any other domain error is a message on the reloaded page; success is a message
and a redirect back to the page."""

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse

from core.exceptions import DomainError, ValidationFailed
from core.web.forms import apply_domain_errors


class FormPage(Protocol):
    """A page a form is posted to (core.web.ticket_page.TicketPage, portal_page's)."""

    request: HttpRequest

    def render(self, ticket: Any, bound: dict[str, Form] | None = None) -> HttpResponse: ...

    def back(self, number: str) -> HttpResponse: ...


def refusal_message(error: DomainError) -> str:
    """A domain error as one sentence for a message (a ValidationFailed's field errors joined)."""
    if isinstance(error, ValidationFailed):
        return " ".join(error.errors.values())
    return str(error)


def form_submit(
    view: FormPage,
    ticket: Any,
    form: Form,
    write: Callable[[dict[str, Any]], str],
    *,
    name: str,
    aliases: Mapping[str, str] | None = None,
) -> HttpResponse:
    """Validate `form` (the page knows it as `name`), then `write(cleaned_data)`, which does
    the work through a service and returns what to tell the person. `aliases` map a service's
    field names onto the form's."""
    if not form.is_valid():
        return view.render(ticket, {name: form})
    try:
        done = write(form.cleaned_data)
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, dict(aliases or {}))
        return view.render(ticket, {name: form})
    except DomainError as exc:
        messages.error(view.request, refusal_message(exc))
    else:
        messages.success(view.request, done)
    return view.back(ticket.number)
