"""A list page's filter form, rendered once per query string (as the triage queue's,
incidents/views/queue_filters.py), for the request and problem lists.

What a filter form shows depends only on the request's query string (its values and errors)
and on its select options, which core.web.forms.CHOICES_MEMO keeps; rendering it was 2-3 ms of
a list page (issue 18). The HTML is kept in that memo's
current generation, so a change of a user, group, service or configuration item (the options)
forgets it with the options. A form with options from another table passes a token that changes
with them (`options_token`). At most FORMS_KEPT query strings are kept per generation and form:
the query string comes from the client.
"""

from collections.abc import Hashable
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from core.web.forms import CHOICES_MEMO

FORMS_KEPT = 256


def filter_form_html(
    request: HttpRequest,
    template_name: str,
    context: dict[str, Any],
    *,
    options_token: Hashable = None,
) -> SafeString:
    """`template_name` rendered with `context` (made from the query string alone), stripped,
    for this request's query string (the page number aside) and `options_token`."""
    query = tuple((name, tuple(values)) for name, values in request.GET.lists() if name != "page")
    # One dict per memo generation and form: a new generation (changed options) starts empty.
    forms: dict[Hashable, str] = CHOICES_MEMO.get(("filter-forms", template_name), dict)
    key = (options_token, query)
    html = forms.get(key)
    if html is None:
        html = render_to_string(template_name, context).strip()
        if len(forms) < FORMS_KEPT:
            forms[key] = html
    return mark_safe(html)  # noqa: S308 (rendered by the template engine, autoescaped)
