"""A <select> whose rendered HTML is kept per process, keyed by everything it is made of.

A ticket page renders the same selects on every request: the assignee list of some sixty
people, groups, services, configuration items (their options memoised in
core.web.forms.CHOICES_MEMO). Django builds a dict per option (`Select.optgroups`) and the form
renderer writes each one again, ~1 ms per select of sixty options. `MemoSelect` keeps the HTML
under a key made of the widget's class, name, final attributes, selected values, renderer and
the options themselves, so it is correct whatever changes: different options (a new agent, a
renamed service) are a different key, never a stale hit. Its options are read as the widget
reads them, so only choices that are cheap to read again are kept: a list, or a memoised choice
iterator (one that says so with `is_memoised`); anything else (a query per read) renders as
Django does. At most KEPT selects are kept; when full, the memo starts over.
"""

from collections.abc import Hashable
from typing import Any

from django import forms
from django.forms.renderers import BaseRenderer
from django.utils.safestring import SafeString

from core.process_memos import KeptTexts

KEPT = 512

_rendered = KeptTexts(KEPT)


def _options(choices: Any) -> tuple[Any, ...] | None:
    """The options as a hashable value, or None when reading them again is not cheap."""
    if not isinstance(choices, list | tuple) and not getattr(choices, "is_memoised", False):
        return None
    try:
        return tuple(_frozen(choice) for choice in choices)
    except TypeError:  # an unhashable value or label: render without the memo
        return None


def _frozen(choice: Any) -> Hashable:
    value, label = choice
    if isinstance(label, list | tuple):  # an optgroup: (group name, [(value, label), ...])
        label = tuple(_frozen(option) for option in label)
    hash((value, label))
    return (str(value), label)


class MemoSelect(forms.Select):
    """`forms.Select`, its HTML kept per process (see the module)."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        key = self._memo_key(name, value, attrs, renderer)
        if key is None:
            return super().render(name, value, attrs, renderer)
        return _rendered.get(key, super().render, name, value, attrs, renderer)

    def _memo_key(
        self, name: str, value: Any, attrs: dict[str, Any] | None, renderer: Any
    ) -> Hashable | None:
        options = _options(self.choices)
        if options is None:
            return None
        final = self.build_attrs(self.attrs, attrs)
        try:
            shown = tuple(sorted(final.items()))
            hash(shown)
        except TypeError:
            return None
        return (
            type(self),
            self.is_required,
            name,
            shown,
            tuple(self.format_value(value)),
            type(renderer),
            options,
        )


def forget() -> None:
    """Drop every kept select (tests)."""
    _rendered.clear()
