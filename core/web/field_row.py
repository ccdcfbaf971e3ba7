"""A form field with its label, help and errors, written in Python: to the byte what
templates/includes/field.html writes (tests/core/test_field_row.py compares the two), for the
`{% field_row %}` tag.

Why: a ticket page lays out some twenty fields (every lifecycle action's form, the assignment
form, the composer); through the include each is a dozen template nodes around its widget, about
a fifth of the page's CPU. Choice groups (radio buttons, checkbox lists) are written here too:
a list's filters carry them, each choice otherwise a template (core.web.form_renderer writes its
tag).
"""

from typing import Any, cast

from django.forms import BoundField
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

_CHOICE_GROUPS = frozenset({"radioselect", "checkboxselectmultiple"})


def aria_widget(field: BoundField, **attrs: Any) -> SafeString:
    """A field's widget with the ARIA links to its help text and errors (`{% widget %}`)."""
    described_by = []
    if field.help_text:
        described_by.append(f"{field.auto_id}_help")
    if field.errors:
        described_by.append(f"{field.auto_id}_error")
        attrs["aria-invalid"] = "true"
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    return field.as_widget(attrs={k.replace("_", "-"): v for k, v in attrs.items()})


def _optional(field: BoundField, needed_for: str) -> str:
    if needed_for:
        return f' <span class="optional">({conditional_escape(needed_for)})</span>'
    return "" if field.field.required else ' <span class="optional">(optional)</span>'


def _help(field: BoundField) -> str:
    if not field.help_text:
        return ""
    help_id = conditional_escape(field.auto_id)
    return f'<p class="help" id="{help_id}_help">{conditional_escape(field.help_text)}</p>'


def _errors(field: BoundField) -> str:
    if not field.errors:
        return ""
    # An ErrorList iterates its messages (text, possibly marked safe), as `join` sees them.
    messages = cast("list[str]", list(field.errors))
    text = " ".join(str(conditional_escape(message)) for message in messages)
    return f'<p class="error-text" id="{conditional_escape(field.auto_id)}_error">{text}</p>'


def _choices(field: BoundField, needed_for: str, has_error: str) -> str:
    """A radio or checkbox group as a fieldset, its help and errors linked to the fieldset."""
    auto_id = conditional_escape(field.auto_id)
    described_by = ""
    if field.help_text or field.errors:
        help_id = f"{auto_id}_help" if field.help_text else ""
        error_id = f" {auto_id}_error" if field.errors else ""
        described_by = f' aria-describedby="{help_id}{error_id}"'
    choices = "".join(
        f'\n      <label class="choice" for="{conditional_escape(choice.id_for_label)}">'
        f"{choice.tag()} <span>{conditional_escape(choice.choice_label)}</span></label>\n    "
        for choice in field
    )
    return (
        f'\n<fieldset class="field field-choices{has_error}"{described_by}>\n'
        f"  <legend>{conditional_escape(field.label)}{_optional(field, needed_for)}</legend>\n"
        f'  {_help(field)}\n  {_errors(field)}\n  <div class="choices">\n    {choices}\n'
        "  </div>\n</fieldset>\n"
    )


def field_row(field: BoundField, needed_for: str = "") -> SafeString:
    kind = field.widget_type
    has_error = " has-error" if field.errors else ""
    if kind in _CHOICE_GROUPS:
        body = _choices(field, needed_for, has_error)
    elif kind == "checkbox":
        body = (
            f'\n<div class="field field-checkbox{has_error}">\n  {_errors(field)}\n'
            f'  <label for="{conditional_escape(field.id_for_label)}">{aria_widget(field)} '
            f"<span>{conditional_escape(field.label)}</span></label>\n  {_help(field)}\n</div>\n"
        )
    elif field.is_hidden:
        body = f"{field}\n"
    else:
        body = (
            f'\n<div class="field{has_error}">\n'
            f'  <label for="{conditional_escape(field.id_for_label)}">'
            f"{conditional_escape(field.label)}{_optional(field, needed_for)}</label>\n"
            f"  {_help(field)}\n  {_errors(field)}\n  {aria_widget(field)}\n</div>\n"
        )
    return mark_safe(f"\n{body}\n\n")  # noqa: S308 (every value escaped above)
