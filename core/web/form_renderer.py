"""The form renderer (settings.FORM_RENDERER): Django's, except that the commonest widgets — a
<select> and its options, an <input>, a <textarea>, a group of radio buttons or checkboxes and
each of their choices — are written in Python, to the byte what Django's widget templates write
(tests/core/test_form_renderer.py compares the two).

Why: a ticket page carries some thirty widgets (every action's form, the assignment form,
replies and files); through the template engine each one is a template with an include for
its attributes, and every <option> another, so the assignee list of 60 people alone took
~7 ms. A list's status checkboxes were four nested templates per choice (~1.3 ms for nine).
Any other template (a form's layout, a widget with its own template, a choice group whose
choices have their own) goes to Django's renderer unchanged.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.http import HttpRequest
from django.template.base import render_value_in_context
from django.template.context import Context
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from core.web.file_widget import clearable_file_input

_WIDGETS = "django/forms/widgets/"
_OPTION = _WIDGETS + "select_option.html"
# A choice's templates, with the newlines their includes add (each file ends with one).
_CHOICE_OPTIONS = {
    _WIDGETS + "input_option.html": "",
    _WIDGETS + "checkbox_option.html": "\n",
    _WIDGETS + "radio_option.html": "\n",
}
_CHOICE_GROUPS = frozenset(
    _WIDGETS + name for name in ("multiple_input.html", "checkbox_select.html", "radio.html")
)
_INPUTS = frozenset(
    _WIDGETS + name
    for name in (
        "input.html",
        "text.html",
        "hidden.html",
        "number.html",
        "email.html",
        "url.html",
        "password.html",
        "search.html",
        "tel.html",
        "date.html",
        "datetime.html",
        "time.html",
        "checkbox.html",
        "file.html",
        "color.html",
    )
)
_PLAIN_CONTEXT = Context(autoescape=True)


def _text(value: Any) -> str:
    """`{{ value }}`: localised and escaped as the template engine does it."""
    return render_value_in_context(value, _PLAIN_CONTEXT)


def _formatted(value: Any) -> str:
    """`{{ value|stringformat:'s' }}`."""
    return str(conditional_escape(value if isinstance(value, SafeString) else f"{value}"))


def _attrs(attrs: Mapping[str, Any]) -> str:
    """django/forms/widgets/attrs.html."""
    return "".join(
        f" {_text(name)}" if value is True else f' {_text(name)}="{_formatted(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{_formatted(value)}"'
    return (
        f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


def _textarea(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    shown = _text(value) if value else ""
    return f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{shown}</textarea>'


def _select(widget: Mapping[str, Any]) -> str | None:
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _ in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in options:
            if option["template_name"] != _OPTION:
                return None
            parts.append(
                f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_text(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _choice_option(widget: Mapping[str, Any]) -> str:
    """input_option.html (which checkbox_option.html and radio_option.html include), with the
    newlines its includes leave: the renderer strips them, multiple_input.html keeps them."""
    tag = f"{_input(widget)}\n"
    if not widget.get("wrap_label"):
        return f"{tag}\n"
    option_id = widget["attrs"].get("id")
    label_for = f' for="{_text(option_id)}"' if option_id else ""
    return f"<label{label_for}>{tag} {_text(widget['label'])}</label>\n"


def _choice_group(widget: Mapping[str, Any]) -> str | None:
    """multiple_input.html (which checkbox_select.html and radio.html include)."""
    group_id = widget["attrs"].get("id")
    css_class = widget["attrs"].get("class")
    parts = [
        "<div",
        f' id="{_text(group_id)}"' if group_id else "",
        f' class="{_text(css_class)}"' if css_class else "",
        ">",
    ]
    for group_name, options, _ in widget["optgroups"]:
        if group_name:
            parts.append(f"\n  <div><label>{_text(group_name)}</label>")
        for option in options:
            included_newline = _CHOICE_OPTIONS.get(option["template_name"])
            if included_newline is None:
                return None
            parts.append(f"<div>\n    {_choice_option(option)}{included_newline}</div>")
        if group_name:
            parts.append("\n  </div>")
    parts.append("\n</div>")
    return "".join(parts)


_WRITERS: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    _WIDGETS + "select.html": _select,
    _WIDGETS + "textarea.html": _textarea,
    _WIDGETS + "clearable_file_input.html": clearable_file_input(_input),
    **dict.fromkeys(_INPUTS, _input),
    **dict.fromkeys(_CHOICE_OPTIONS, _choice_option),
    **dict.fromkeys(_CHOICE_GROUPS, _choice_group),
}


class FastWidgetRenderer(DjangoTemplates):
    """Django's template-based form renderer, with the common widgets written directly."""

    def render(
        self, template_name: str, context: dict[str, Any], request: HttpRequest | None = None
    ) -> str:
        writer = _WRITERS.get(template_name)
        widget = context.get("widget")
        if writer is not None and isinstance(widget, Mapping):
            html = writer(widget)
            if html is not None:
                return mark_safe(html.strip())  # noqa: S308 — every value is escaped above
        return super().render(template_name, context, request)
