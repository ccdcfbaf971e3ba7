"""The page chrome every page draws, rendered once per distinct input.

`{% include_memo "includes/main_nav.html" current=… is_agent=… %}` renders the template with
only the values it is given, as `{% include … with … only %}` would, and keeps the result: the
next page with the same values (the same role, the same section) reuses the string instead of
running a dozen `{% url %}` tags and their `{% if %}`s again. That is about a twentieth of an
agent page's CPU, paid by every page (issue 18).

The output is a function of the given values and of what `{% url %}` reads besides them — the
URLconf, the script prefix and the language — so those are part of the key too. The memo belongs
to the compiled template: when the template loaders are reset (a template edited under
`runserver`), the new template starts with an empty memo. It holds at most MEMO_SIZE entries per
template; the values a page passes are few (a role, a URL name), so it never fills in practice.

`{% chrome name=value … %}…{% endchrome %}` does the same for a stretch of a template written in
place (base.html's head links, top bar and footer): its body is rendered with only the given
values (and Django's `True`, `False`, `None`) and kept under them, the same URLconf, script
prefix and language as above, and the autoescaping; the next page with the same values writes
the kept text. What differs from one request to the next goes in a slot, filled on every request
from the page's own context: `{% slot user.display_name %}` writes what `{{ user.display_name }}`
would (so the account name is not part of the key, and the memo does not grow with the number of
people), and a `{% csrf_token %}` in the body writes the page's token. Slots are found in the
body itself, not in a template it includes (which sees the values). A body may not hold a
`{% block %}`: a page's blocks are the page's, never kept. Static URLs (`{% static %}`) are read
from the storage's manifest, loaded once per process, so they are kept for the process; a changed
setting (tests) forgets everything.
"""

import re
from collections.abc import Hashable
from typing import Any
from weakref import WeakKeyDictionary

from django import template
from django.core.signals import setting_changed
from django.template import Context, Engine, Node, NodeList, TemplateSyntaxError
from django.template.base import (
    FilterExpression,
    Parser,
    Token,
    render_value_in_context,
    token_kwargs,
)
from django.template.loader_tags import BlockNode
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from core.process_memos import process_memo

register = template.Library()

MEMO_SIZE = 1024
_memos: "WeakKeyDictionary[Any, dict[tuple[Any, ...], SafeString]]" = process_memo(
    WeakKeyDictionary()
)


@register.simple_tag(takes_context=True)
def include_memo(context: Context, template_name: str, **values: Any) -> SafeString:
    """`template_name` rendered with only `values` (hashable: names, flags), memoised."""
    engine = context.template.engine if context.template is not None else Engine.get_default()
    compiled = engine.get_template(template_name)
    memo = _memos.setdefault(compiled, {})
    key = (
        context.autoescape,
        get_urlconf(),
        get_script_prefix(),
        get_language(),
        *sorted(values.items()),
    )
    html = memo.get(key)
    if html is None:
        # Rendered by the engine, so already escaped where the template says so.
        html = mark_safe(compiled.render(Context(values, autoescape=context.autoescape)))  # noqa: S308
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        memo[key] = html
    return html


# Where a slot's text goes in a kept body: NUL is nothing a name, URL or flag of the chrome holds
# and nothing escaping changes. The page's CSRF token is the slot after the body's own slots.
_SLOT = "\x00{}\x00"
_SLOTS = re.compile("\x00([0-9]+)\x00")
# The context entry that tells a slot in a body being rendered where its text comes from.
_PAGE = "\x00page"
_MARKING = object()


class _Generation:
    """Renewed when a setting changes (tests): every kept body is then made again."""

    number = 0


def _renew(**_: Any) -> None:
    _Generation.number += 1


setting_changed.connect(_renew, dispatch_uid="core.templatetags.chrome")


class SlotNode(Node):
    """`{% slot expression %}`: in a `{% chrome %}` body, the text `{{ expression }}` would write,
    read from the page's context on every request; elsewhere, just that text."""

    child_nodelists = ()

    def __init__(self, expression: FilterExpression) -> None:
        self.expression = expression
        self.marker = ""  # set by the ChromeNode around it

    def text(self, context: Context) -> str:
        return render_value_in_context(self.expression.resolve(context), context)

    def render(self, context: Context) -> str:
        page = context.get(_PAGE)
        if page is _MARKING and self.marker:
            return self.marker
        return self.text(page if isinstance(page, Context) else context)


# A kept body: its text, or its texts between slots and the slots' numbers.
Kept = str | tuple[tuple[str, ...], tuple[int, ...]]


class ChromeNode(Node):
    """`{% chrome name=value … %}…{% endchrome %}`: the body rendered with only the values,
    kept per distinct values (see the module's docstring)."""

    # No block can be inside (refused when parsed): `{% extends %}`, which looks for the blocks of
    # each template it renders, need not walk the body on every request.
    child_nodelists = ()

    def __init__(self, nodelist: NodeList, values: dict[str, FilterExpression]) -> None:
        self.nodelist = nodelist
        self.values = sorted(values.items())
        self.slots = [
            node for node in nodelist.get_nodes_by_type(SlotNode) if isinstance(node, SlotNode)
        ]
        for number, slot in enumerate(self.slots):
            slot.marker = _SLOT.format(number)
        self.csrf_slot = len(self.slots)
        self.memo: dict[Hashable, Kept] = {}
        self.generation = _Generation.number

    def render(self, context: Context) -> str:
        values = {name: value.resolve(context) for name, value in self.values}
        key = (
            context.autoescape,
            get_urlconf(),
            get_script_prefix(),
            get_language(),
            *((name, type(value), value) for name, value in values.items()),
        )
        if self.generation != _Generation.number:
            self.memo = {}
            self.generation = _Generation.number
        try:
            kept = self.memo.get(key)
        except TypeError:  # a value that cannot be a key (a list): rendered, not kept
            return self._direct(context, values)
        if kept is None:
            if any(isinstance(value, str) and "\x00" in value for value in values.values()):
                # A value that could pass for a slot's place: rendered for the request alone.
                return self._direct(context, values)
            kept = self._made(context, values)
            if len(self.memo) >= MEMO_SIZE:
                self.memo.clear()
            self.memo[key] = kept
        if isinstance(kept, str):
            return kept
        texts, slots = kept
        filled = [texts[0]]
        for slot, text in zip(slots, texts[1:], strict=True):
            if slot == self.csrf_slot:
                # Read only where the body writes it: asking for the token sets the CSRF cookie.
                token = context.get("csrf_token")
                if not token or token == "NOTPROVIDED":  # noqa: S105 — Django's word for none
                    return self._direct(context, values)  # no input, not the kept shape
                filled.append(conditional_escape(token))
            else:
                filled.append(self.slots[slot].text(context))
            filled.append(text)
        return mark_safe("".join(filled))  # noqa: S308 — each part escaped as the template says

    def _made(self, context: Context, values: dict[str, Any]) -> Kept:
        """The body for `values`, its slots' places marked."""
        marking = {**values, _PAGE: _MARKING, "csrf_token": _SLOT.format(self.csrf_slot)}
        parts = _SLOTS.split(self.nodelist.render(context.new(marking)))
        if len(parts) == 1:
            return parts[0]
        return tuple(parts[::2]), tuple(map(int, parts[1::2]))

    def _direct(self, context: Context, values: dict[str, Any]) -> str:
        """The body for `values` and this request, kept nowhere."""
        direct = {**values, _PAGE: context, "csrf_token": context.get("csrf_token")}
        return self.nodelist.render(context.new(direct))


@register.tag("chrome")
def do_chrome(parser: Parser, token: Token) -> ChromeNode:
    bits = token.split_contents()
    values = token_kwargs(bits[1:], parser)
    if len(values) != len(bits) - 1:
        raise TemplateSyntaxError(f"{bits[0]} takes name=value pairs only")
    nodelist = parser.parse(("endchrome",))
    parser.delete_first_token()
    if nodelist.get_nodes_by_type(BlockNode):
        raise TemplateSyntaxError(f"{bits[0]}: a block inside would be kept for every page")
    return ChromeNode(nodelist, values)


@register.tag("slot")
def do_slot(parser: Parser, token: Token) -> SlotNode:
    bits = token.split_contents()
    if len(bits) != 2:
        raise TemplateSyntaxError(f"{bits[0]} takes one expression")
    return SlotNode(parser.compile_filter(bits[1]))
