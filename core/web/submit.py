"""How every ticket page answers a POSTed form, written once: an invalid form, or a
ValidationFailed from the service, shows the page again with the form and its errors (what was
typed is kept); a ConflictError (someone changed the ticket meanwhile) shows the page as it is
now with the form still holding what was typed (409); any other domain error is a message on
the reloaded page; success is a message and a redirect back to the page."""

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse, QueryDict

from core.exceptions import ConflictError, DomainError, ValidationFailed
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


def conflict_page(
    view: FormPage, ticket: Any, form: Form, *, name: str, version: int
) -> HttpResponse:
    """The page as it is now (`ticket` read again), with `form` still holding what the person
    typed, so a refusal for a change made meanwhile costs them nothing: they look at what
    changed and send again. The form's `version` becomes `version`, the one they now see (a
    third change in between is refused again, the same way). 409: nothing was stored."""
    if "version" in form.fields:
        data = form.data.copy() if isinstance(form.data, QueryDict) else {**form.data}
        data[form.add_prefix("version")] = str(version)
        form.data = data
    messages.error(
        view.request,
        "This was changed by someone else while you were working on it, so nothing was "
        "saved. What you typed is kept below: check what changed, then send it again.",
    )
    response = view.render(ticket, {name: form})
    response.status_code = 409
    return response


def form_submit(
    view: FormPage,
    ticket: Any,
    form: Form,
    write: Callable[[dict[str, Any]], str],
    *,
    name: str,
    aliases: Mapping[str, str] | None = None,
    version_now: Callable[[], int] | None = None,
) -> HttpResponse:
    """Validate `form` (the page knows it as `name`), then `write(cleaned_data)`, which does
    the work through a service and returns what to tell the person. `aliases` map a service's
    field names onto the form's. `version_now` reads the version the form's `version` field
    guards when it is not the ticket's own (a review's), for the conflict page."""
    if not form.is_valid():
        return view.render(ticket, {name: form})
    try:
        done = write(form.cleaned_data)
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, dict(aliases or {}))
        return view.render(ticket, {name: form})
    except ConflictError:
        version = version_now() if version_now is not None else ticket.version
        return conflict_page(view, ticket, form, name=name, version=version)
    except DomainError as exc:
        messages.error(view.request, refusal_message(exc))
    else:
        messages.success(view.request, done)
    return view.back(ticket.number)
