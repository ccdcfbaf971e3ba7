"""The visible fields of the problem page's edit and analysis panels (`{% field_row %}` of each),
kept per process: for an unbound form they are a function of the form's class, prefix and
initial values (the problem's fields as the form shows them) and of the select options, and
making them was about a tenth of the page's CPU (issue 18: 12 fields, four of them selects).

Kept in CHOICES_MEMO (core.web.forms) under the form's class, prefix, ids and initial values: a
change of a user, group, service or configuration item (the options) forgets them with the
options, as the rendered selects (core.web.select_memo). A bound form (re-shown with its
errors) is made each time; so is one whose initial values cannot be a key or whose texts are
long (PANELS_KEPT at most PANEL_TEXT_CHARS characters each bound the memory).
"""

from collections.abc import Hashable

from django.forms import Form
from django.utils.safestring import SafeString, mark_safe

from core.web.field_row import field_row
from core.web.forms import CHOICES_MEMO
from problems.models import Problem

# A form's fields with four selects of up to 200 options are some 40 KB: ~5 MB at most.
PANELS_KEPT = 128
PANEL_TEXT_CHARS = 4_000


def _field_rows(form: Form) -> str:
    return "".join(field_row(field) for field in form.visible_fields())


def _key(form: Form) -> Hashable | None:
    """What the rows of unbound `form` are made from besides the options; None: not kept."""
    if form.is_bound:
        return None
    initial = tuple(sorted(form.initial.items()))
    if sum(len(value) for _, value in initial if isinstance(value, str)) > PANEL_TEXT_CHARS:
        return None
    key = (type(form), form.prefix, form.auto_id, initial)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def panel_field_rows(form: Form) -> SafeString:
    """The `{% field_row %}`s of `form`'s visible fields, as the template's loop wrote them."""
    key = _key(form)
    if key is None:
        return mark_safe(_field_rows(form))  # noqa: S308 (field_row escapes every value)
    kept: dict[Hashable, str] = CHOICES_MEMO.get(("problem-panel-fields",), dict)
    rows = kept.get(key)
    if rows is None:
        if len(kept) >= PANELS_KEPT:
            kept.clear()
        rows = kept[key] = _field_rows(form)
    return mark_safe(rows)  # noqa: S308 (field_row escapes every value)


# The problem's texts its page's forms show (the details and analysis panels, the known error
# and resolve forms): the page keeps those forms only while they are short (analysis_chars).
PAGE_TEXTS = ("title", "description", "symptoms", "root_cause", "workaround", "permanent_fix")


def analysis_chars(problem: Problem) -> int:
    """How many characters of the problem's texts its page's forms show, together."""
    return sum(len(getattr(problem, name) or "") for name in PAGE_TEXTS)
