"""Parts of a ticket page written once per key of everything they are made of.

Every agent ticket page renders the same forms again and again: the "Next steps" card (each
legal action's form), the reply and note forms, the file upload, the assignment and the kind's
side forms. Through the template engine they were about a third of the page's CPU (issue 18),
for HTML that changes only when what it is made of does. `kept_html` renders such a part with
*only* the values it is given (as `{% include … only %}`: nothing else of the page's context is
there to be read) and keeps the result under a key its caller builds from exactly those inputs,
so the same inputs give the same bytes and any other input is another key, never a stale hit.

Besides the caller's key, the HTML depends on, and is keyed by: the template, the time zone the
request activated (dates in forms), the URLconf and script prefix (`{% url %}`), and the
generation of core.web.forms.CHOICES_MEMO (a select's options: a new agent or a renamed service
is a new generation). Settings changes (tests) forget everything.

The CSRF input differs on every request: the part is rendered with CSRF_SLOT as its token and
each request puts its own token there (the page's, so every form of the page carries the same
one). A form shown again with its errors is never kept: its callers render it as before.

At most KEPT parts per process; when full, the memo starts over. Safe across threads: a part is
made outside the lock, and two threads making the same part make the same bytes.
"""

from collections.abc import Callable, Hashable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.signals import setting_changed
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from core.process_memos import KeptTexts
from core.web.forms import CHOICES_MEMO

KEPT = 512
# Rendered where `{% csrf_token %}` puts the token: letters only, so escaping leaves it as it is.
CSRF_SLOT = "keptcsrftokenslot"

_kept = KeptTexts(KEPT)


def kept_html(
    template_name: str, key: Hashable, values: Callable[[], dict[str, Any]], csrf_token: str
) -> SafeString:
    """`template_name` rendered with only `values()`, kept under `key` (which must name every
    input `values` reads), its CSRF inputs carrying `csrf_token`."""
    full_key = (
        template_name,
        key,
        timezone.get_current_timezone_name(),
        get_urlconf(),
        get_script_prefix(),
        CHOICES_MEMO.generation(),
    )
    html = _kept.get(full_key, _render, template_name, values)
    # The token is letters and digits (Django masks it so): nothing to escape.
    return mark_safe(html.replace(CSRF_SLOT, csrf_token))  # noqa: S308


def _render(template_name: str, values: Callable[[], dict[str, Any]]) -> str:
    return render_to_string(template_name, {**values(), "csrf_token": CSRF_SLOT})


def frozen(value: Any) -> Hashable | None:
    """A form's initial value as part of a key, or None when it is not a plain value (a model
    instance, say, whose other fields the form might show): such a part is not kept. Instants
    are keyed with their offset (two zones' same instant compare equal but print differently)."""
    if value is None or isinstance(value, str | bool | int | Decimal):
        return (type(value), value)
    if isinstance(value, datetime | date):
        return (type(value), value.isoformat())
    return None


def frozen_initial(initial: dict[str, Any]) -> tuple[Hashable, ...] | None:
    """A form's initial values as part of a key, or None when one is not a plain value."""
    items = []
    for name, value in sorted(initial.items()):
        shown = frozen(value)
        if shown is None:
            return None
        items.append((name, shown))
    return tuple(items)


# Drop every kept part when a setting changes (tests).
forget = _kept.clear
setting_changed.connect(forget, dispatch_uid="core.web.kept_fragments")
