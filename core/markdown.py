"""User text as Markdown, sanitised with nh3 (stored XSS is the classic ticketing bug)."""

import threading
from functools import lru_cache

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


# Timeline entries never change and pages show them again and again: the HTML of a short text
# is kept per process (a pure function of the text), at most _MEMO_SIZE texts of at most
# _MEMO_CHARS characters each, a few megabytes at worst.
_MEMO_CHARS = 1_000
_MEMO_SIZE = 2_048


def render_markdown(text: str) -> SafeString:
    text = text or ""
    if len(text) <= _MEMO_CHARS:
        return mark_safe(_render_remembered(text))  # noqa: S308 — sanitised by _render
    return mark_safe(_render(text))  # noqa: S308 — sanitised by _render


@lru_cache(maxsize=_MEMO_SIZE)
def _render_remembered(text: str) -> str:
    return _render(text)


def _render(text: str) -> str:
    html = _converter().reset().convert(text)
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return str(clean)
