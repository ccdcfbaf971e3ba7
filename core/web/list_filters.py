"""A list page's filter form, rendered once per query string (as the triage queue's,
incidents/views/queue_filters.py), for the request and problem lists.

What a filter form shows depends only on the request's query string (its values and errors)
and on its select options, which core.web.forms.CHOICES_MEMO keeps; rendering it was 2-3 ms of
a list page (issue 18). The HTML is kept in that memo's
current generation, so a change of a user, group, service or configuration item (the options)
forgets it with the options. A form with options from another table passes a token that changes
with them (`options_token`). At most FORMS_KEPT query strings are kept per generation and form:
the query string comes from the client.

The validated form itself is kept too (`kept_filterset`), for the lists and the triage queue.
"""

from collections.abc import Hashable
from datetime import date, datetime
from typing import Any, TypeVar

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from core.filtering import ListFilterSet
from core.web.forms import CHOICES_MEMO

FORMS_KEPT = 256

FilterSetT = TypeVar("FilterSetT", bound=ListFilterSet)
QueryKey = tuple[tuple[str, tuple[str, ...]], ...]


def query_key(request: HttpRequest) -> QueryKey:
    """The request's query string as a key: every name with its values, in order."""
    return tuple((name, tuple(values)) for name, values in request.GET.lists())


def _pure(value: Any) -> bool:
    """Whether a cleaned value was made from the query string alone (no row read to make it)."""
    if isinstance(value, list | tuple):
        return all(_pure(item) for item in value)
    return value is None or isinstance(value, bool | int | str | datetime | date)


def kept_filterset(
    filterset_class: type[FilterSetT], request: HttpRequest, queryset: QuerySet[Any]
) -> FilterSetT:
    """`filterset_class(request.GET, queryset=queryset, request=request)`, its form kept.

    Making a list's filter form and validating it (every field deep-copied, then cleaned) was a
    tenth of the triage queue's CPU and a sixth of the request list's (issue 18), yet a valid
    form whose cleaned values read no row (no group, assignee, service or item picked: those are
    fetched) is a function of the query string and, for dates, of the time zone they are read
    in. Such a form is kept under both, per FilterSet class, at most FORMS_KEPT per
    CHOICES_MEMO generation, and given to each request's FilterSet already validated; it is only
    read afterwards (its cleaned values, its fields' values), never changed. An invalid form is
    made again each time, so its errors are shown as before."""
    key = (timezone.get_current_timezone_name(), query_key(request))
    kept: dict[tuple[str, QueryKey], forms.Form] = CHOICES_MEMO.get(
        ("valid-filter-forms", filterset_class), dict
    )
    form = kept.get(key)
    filterset = filterset_class(request.GET, queryset=queryset, request=request, form=form)
    if form is None and len(kept) < FORMS_KEPT:
        made = filterset.form
        if made.is_valid() and all(_pure(value) for value in made.cleaned_data.values()):
            kept[key] = made
    return filterset


def filter_form_html(
    request: HttpRequest,
    template_name: str,
    context: dict[str, Any],
    *,
    options_token: Hashable = None,
) -> SafeString:
    """`template_name` rendered with `context` (made from the query string alone), stripped,
    for this request's query string (the page number aside) and `options_token`."""
    query = tuple((name, values) for name, values in query_key(request) if name != "page")
    # One dict per memo generation and form: a new generation (changed options) starts empty.
    forms: dict[Hashable, str] = CHOICES_MEMO.get(("filter-forms", template_name), dict)
    key = (options_token, query)
    html = forms.get(key)
    if html is None:
        html = render_to_string(template_name, context).strip()
        if len(forms) < FORMS_KEPT:
            forms[key] = html
    return mark_safe(html)  # noqa: S308 (rendered by the template engine, autoescaped)
