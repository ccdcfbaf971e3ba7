"""A message's words as the Markdown a ticket stores: the plain-text part when it is real, else
the HTML turned into Markdown; quoted history and signatures cut from replies.

HTML goes through nh3 first (scripts, styles and their content, event handlers, every tag we do
not render are dropped), then markdownify. Images become text: an inline one (`cid:`) is
"[image: name]" (the file itself is attached), a remote one is dropped, since remote images in
mail are mostly tracking pixels and a ticket never loads them. What is stored is Markdown text,
rendered through core.markdown (nh3 again) like everything users write.

Quotes and signatures are cut with mail-parser-reply (`mailparser_reply`): maintained (releases
in 2025), multi-language (the reply headers of Outlook and Gmail in English, German, French,
Spanish, ...), MIT-licensed, no dependencies. talon (Mailgun) is unmaintained since 2017 and
email-reply-parser (GitHub's port) since 2020; hand-written regular expressions are what the
issue rules out. Only replies are cut, as Zammad does: a new ticket keeps the whole text, since a
forwarded conversation is often the very thing being reported.
"""

import re
from typing import Any

import nh3
from mailparser_reply import EmailReplyParser
from markdownify import MarkdownConverter

COMMENT_LIMIT = 50_000
_CUT_NOTE = "\n\n[… the rest of this email was cut; the original message is kept with it.]"
_REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl", "sv", "da", "cs"]
_HTML_TAGS = {
    "p", "br", "div", "span", "strong", "b", "em", "i", "u", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody",
    "tr", "th", "td", "img",
}  # fmt: skip
_HTML_ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt"}}
# Where Outlook's and Gmail's HTML start the history they quote: cut there before conversion,
# since the Markdown of their header blocks ("**From:** ...") no longer looks like a quote.
_QUOTE_START = re.compile(
    r'<(div|hr)[^>]+(id="?(divRplyFwdMsg|appendonsend)|class="?gmail_(quote|attr))',
    re.IGNORECASE,
)
_BLANK_RUNS = re.compile(r"\n{3,}")


class _MailConverter(MarkdownConverter):
    def __init__(self, inline_names: dict[str, str]) -> None:
        super().__init__(heading_style="ATX", bullets="-")
        self.inline_names = inline_names

    def convert_img(self, el: Any, text: str, parent_tags: Any) -> str:
        src = str(el.attrs.get("src", ""))
        if src.lower().startswith("cid:"):
            key = src[4:].strip("<>")
            name = self.inline_names.get(key) or str(el.attrs.get("alt", "")) or key
            return f"[image: {name}]"
        return ""

    def convert_a(self, el: Any, text: str, parent_tags: Any) -> str:
        href = str(el.attrs.get("href", "")).strip()
        if not href.lower().startswith(("http://", "https://", "mailto:")) or not text.strip():
            return text
        if text.strip() == href:
            return f"<{href}>"
        return f"[{text.strip()}]({href.replace(')', '%29').replace(' ', '%20')})"


def html_to_markdown(html: str, inline_names: dict[str, str] | None = None) -> str:
    """Sanitised Markdown of an HTML body; `inline_names` maps Content-IDs to file names."""
    clean = nh3.clean(
        html,
        tags=_HTML_TAGS,
        attributes=_HTML_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel=None,
    )
    markdown = _MailConverter(inline_names or {}).convert(clean)
    return _BLANK_RUNS.sub("\n\n", markdown).strip()


def _is_real_text(text: str) -> bool:
    # Some clients send an empty or placeholder plain part beside the HTML that holds the mail.
    stripped = text.strip()
    return bool(stripped) and "This is an HTML message" not in stripped[:200]


def body_text(
    text: str, html: str, inline_names: dict[str, str] | None = None, *, reply: bool = False
) -> str:
    """The message's words: its plain-text part when it is real, else its HTML as Markdown
    (for a reply, without the history the HTML quotes)."""
    if _is_real_text(text):
        return _BLANK_RUNS.sub("\n\n", text.replace("\r\n", "\n")).strip()
    if html.strip():
        if reply:
            match = _QUOTE_START.search(html)
            html = html[: match.start()] if match else html
        return html_to_markdown(html, inline_names)
    return text.strip()


def reply_text(text: str) -> str:
    """What a reply says, without the history it quotes nor the signature."""
    parsed = EmailReplyParser(languages=_REPLY_LANGUAGES).read(text)
    if parsed.replies:
        body = parsed.replies[0].body.strip()
        if body:
            return body
    return text.strip()


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def within_limit(text: str, limit: int = COMMENT_LIMIT) -> str:
    """`text` cut to fit a comment, with a note saying so (mail is never refused for length)."""
    if len(text) <= limit:
        return text
    return text[: limit - len(_CUT_NOTE)].rstrip() + _CUT_NOTE
