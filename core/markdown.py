"""User text as Markdown, sanitised with nh3 (stored XSS is the classic ticketing bug)."""

import threading

import markdown as md
import nh3
from django.utils.safestring import SafeString, mark_safe

_ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "del",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


_converters = threading.local()


def _converter() -> md.Markdown:
    """This thread's converter: building one loads its extensions and costs more than
    converting a timeline entry, and `reset()` makes a used one as good as new (one per thread:
    a converter holds state while it converts)."""
    converter: md.Markdown | None = getattr(_converters, "markdown", None)
    if converter is None:
        converter = md.Markdown(extensions=["fenced_code", "tables", "sane_lists"])
        _converters.markdown = converter
    return converter


def render_markdown(text: str) -> SafeString:
    html = _converter().reset().convert(text or "")
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 — sanitised by nh3 just above
