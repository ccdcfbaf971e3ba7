"""The triage queue's filter form, rendered once per query string.

The form was 2.5 ms of the queue's template time on every page and refresh (issue 18), and
what it shows depends only on the request's query string (values, errors, the tab) and on the
select options, which core.web.forms.CHOICES_MEMO keeps. The rendered form is kept in that
memo's current generation, so a change of a user, group, service or configuration item (the
options) forgets it with the options. At most FORMS_KEPT query strings are kept per generation:
the query string comes from the client.
"""

from datetime import date, datetime
from typing import Any

from django import forms
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from core.models import User
from core.web.access import HtmxHttpRequest
from core.web.forms import CHOICES_MEMO
from incidents.filtersets import IncidentFilterSet
from incidents.selectors import incident_list_for_user

FORMS_KEPT = 256
_MEMO_KEY = "incidents-queue-filter-forms"
_VALID_FORMS_KEY = "incidents-queue-valid-filter-forms"

QueryKey = tuple[tuple[str, tuple[str, ...]], ...]


def _query_key(request: HtmxHttpRequest) -> QueryKey:
    return tuple((name, tuple(values)) for name, values in request.GET.lists())


def _pure(value: Any) -> bool:
    """Whether a cleaned value was made from the query string alone (no row read to make it)."""
    if isinstance(value, list | tuple):
        return all(_pure(item) for item in value)
    return value is None or isinstance(value, bool | int | str | datetime | date)


def queue_filterset(request: HtmxHttpRequest, user: User) -> IncidentFilterSet:
    """The queue's filters for this request, over what `user` may see.

    Making the filter form and validating it was a tenth of the queue's CPU (issue 18), yet a
    valid form whose cleaned values read no row (no group, assignee or service picked: those
    are fetched) is a function of the query string and, for the dates, of the time zone they
    are read in. Such a form is kept under both, at most FORMS_KEPT per CHOICES_MEMO
    generation, and given to each request's FilterSet already validated; it is only read
    afterwards (its cleaned values, its fields' values), never changed."""
    key = (timezone.get_current_timezone_name(), _query_key(request))
    kept: dict[tuple[str, QueryKey], forms.Form] = CHOICES_MEMO.get(_VALID_FORMS_KEY, dict)
    form = kept.get(key)
    filterset = IncidentFilterSet(
        request.GET, queryset=incident_list_for_user(user), request=request, form=form
    )
    if form is None and len(kept) < FORMS_KEPT:
        made = filterset.form
        if made.is_valid() and all(_pure(value) for value in made.cleaned_data.values()):
            kept[key] = made
    return filterset


def queue_filter_form(request: HtmxHttpRequest, filterset: Any, tab: str) -> SafeString:
    """The filter form's HTML for this request's query string (the page number aside)."""
    key = tuple((name, values) for name, values in _query_key(request) if name != "page")
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
