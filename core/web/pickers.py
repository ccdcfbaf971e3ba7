"""Option lists that HTMX swaps into a select while the agent types or chooses, so long lists
stay short (DESIGN.md §7: no select of more than 200 options): the assignee list filtered by a
search, the configuration items of the chosen service. Each answers `<option>` elements for
the select's innerHTML, drawn from the same querysets the forms validate against, so a choice
offered here is a choice the form accepts. The forms work without them."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.models import ConfigurationItem, User
from core.web.access import agent_required
from core.web.forms import MAX_SELECT_OPTIONS, agent_users

# A search longer than this is cut: nobody's name is, and the words become SQL conditions.
MAX_QUERY_WORDS = 5


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    selected: bool = False


def field_value(request: HttpRequest, name: str) -> str:
    """A form field's value in the query whatever the form's prefix ("assign-assignee" or
    "assignee"): HTMX sends the fields under the names the form gave them."""
    for key in request.GET:
        if key == name or key.endswith(f"-{name}"):
            return str(request.GET.get(key, "")).strip()
    return ""


def _pk(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def assignees_matching(query: str) -> QuerySet[User]:
    """Agents (as the assignee select offers them) whose name, user name or email contains
    every word of `query`."""
    people = agent_users()
    for word in query.split()[:MAX_QUERY_WORDS]:
        people = people.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(username__icontains=word)
            | Q(email__icontains=word)
        )
    return people


def _options(request: HttpRequest, empty_label: str, options: list[Option]) -> HttpResponse:
    context = {"empty_label": empty_label, "options": options}
    return render(request, "includes/_options.html", context)


@agent_required
@require_GET
def assignee_options(request: HttpRequest) -> HttpResponse:
    """The assignee select's options for `q`; the person chosen now stays offered (first) so a
    search never changes the choice by itself."""
    chosen = _pk(field_value(request, "assignee"))
    found = list(assignees_matching(field_value(request, "q"))[:MAX_SELECT_OPTIONS])
    options = [Option(str(p.pk), p.display_name, p.pk == chosen) for p in found]
    if chosen is not None and all(p.pk != chosen for p in found):
        kept = agent_users().filter(pk=chosen).first()
        if kept is not None:
            options.insert(0, Option(str(kept.pk), kept.display_name, True))
    return _options(request, "Unassigned", options)


@agent_required
@require_GET
def configuration_item_options(request: HttpRequest) -> HttpResponse:
    """The active configuration items of the chosen service (every active one when none is
    chosen, named with its service), as the classify form offers them."""
    items = (
        ConfigurationItem.objects.filter(is_active=True, service__is_active=True)
        .select_related("service")
        .order_by("service__name", "name")
    )
    service_pk = _pk(field_value(request, "service"))
    if service_pk is not None:
        items = items.filter(service_id=service_pk)
    options = [Option(str(i.pk), f"{i.service.name}: {i.name}") for i in items[:MAX_SELECT_OPTIONS]]
    return _options(request, "None", options)
