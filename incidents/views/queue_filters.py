"""The triage queue's filter form, rendered once per query string.

The form was 2.5 ms of the queue's template time on every page and refresh (issue 18), and
what it shows depends only on the request's query string (values, errors, the tab) and on the
select options, which core.web.forms.CHOICES_MEMO keeps. The rendered form is kept in that
memo's current generation, so a change of a user, group, service or configuration item (the
options) forgets it with the options. At most FORMS_KEPT query strings are kept per generation:
the query string comes from the client.
"""

from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from core.models import User
from core.web.access import HtmxHttpRequest
from core.web.forms import CHOICES_MEMO
from core.web.list_filters import kept_filterset, query_key
from incidents.filtersets import IncidentFilterSet
from incidents.selectors import incident_list_for_user

FORMS_KEPT = 256
_MEMO_KEY = "incidents-queue-filter-forms"


def queue_filterset(request: HtmxHttpRequest, user: User) -> IncidentFilterSet:
    """The queue's filters for this request, over what `user` may see, their validated form
    kept per query string and time zone (core.web.list_filters.kept_filterset)."""
    return kept_filterset(IncidentFilterSet, request, incident_list_for_user(user))


# What the queue's form holds that narrows nothing beyond the open incidents.
_NOT_FILTERS = frozenset({"open", "ordering"})


def only_open(filterset: IncidentFilterSet) -> bool:
    """Whether the queue shows every open incident the viewer may see, nothing else filtering
    it (the order aside): its tab counts come from the tally (incidents.open_tally)."""
    form = filterset.form
    if not form.is_valid():
        return False
    data = form.cleaned_data
    return data.get("open") is True and all(
        value in (None, "", [], ()) for name, value in data.items() if name not in _NOT_FILTERS
    )


def queue_filter_form(request: HtmxHttpRequest, filterset: Any, tab: str) -> SafeString:
    """The filter form's HTML for this request's query string (the page number aside)."""
    key = tuple((name, values) for name, values in query_key(request) if name != "page")
    # One dict per memo generation: a new generation (changed options) starts empty.
    forms: dict[tuple[tuple[str, tuple[str, ...]], ...], str] = CHOICES_MEMO.get(_MEMO_KEY, dict)
    html = forms.get(key)
    if html is None:
        html = render_to_string(
            "incidents/agent/_filters.html", {"filterset": filterset, "tab": tab}
        )
        if len(forms) < FORMS_KEPT:
            forms[key] = html
    return mark_safe(html)  # noqa: S308 (rendered by the template engine, autoescaped)
