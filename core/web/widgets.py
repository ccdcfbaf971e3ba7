"""A select that renders its options without the template engine.

Django renders each <option> through a template include: a list page's filter selects (up to
MAX_SELECT_OPTIONS agents, the groups, the services) cost milliseconds per page in template
nodes alone (issue 18). The markup is Django's own; grouped choices fall back to Django.
"""

from html import escape
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import SafeString, mark_safe


class FastSelect(forms.Select):
    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        # A comprehension, not list(): list() asks the iterator's __len__, which may count rows.
        choices = [choice for choice in self.choices]  # noqa: C416
        if any(isinstance(label, list | tuple) for _, label in choices):
            return super().render(name, value, attrs, renderer)
        chosen = set(self.format_value(value))
        options = []
        for option_value, label in choices:
            text = "" if option_value is None else str(option_value)
            selected = " selected" if text in chosen else ""
            chosen.discard(text)  # like Django: one selected option
            options.append(
                f'<option value="{escape(text)}"{selected}>{escape(str(label))}</option>'
            )
        head = f'<select name="{escape(name)}"{flatatt(self.build_attrs(self.attrs, attrs))}>'
        return mark_safe("\n".join([head, *options, "</select>"]))  # noqa: S308 (escaped above)
