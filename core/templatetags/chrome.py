"""The page chrome every page draws (the main navigation), rendered once per distinct input.

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
"""

from typing import Any
from weakref import WeakKeyDictionary

from django import template
from django.template import Context, Engine
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

MEMO_SIZE = 1024
_memos: "WeakKeyDictionary[Any, dict[tuple[Any, ...], SafeString]]" = WeakKeyDictionary()


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
