"""`{% inbound_links ticket events as mail %}` (and `{% original_messages %}`, the same by event):
the ticket page's links from the timeline events it shows to the stored mail they came from (one
query, reading only those events' messages).

A template library rather than a kernel import: core never imports the email channel, and a
ticket page without this app installed simply shows no links."""

from collections.abc import Iterable
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from typing import Any

from django import template
from django.urls import reverse

from core.models import TicketBase, TimelineEvent
from email_intake.choices import InboundOutcome
from email_intake.selectors import inbound_for_events

register = template.Library()


@register.simple_tag
def inbound_links(ticket: TicketBase, events: Iterable[TimelineEvent]) -> dict[str, Any]:
    """{"comments": {comment id: URL of the message}, "opening": URL of the mail that opened
    the ticket, or ""}."""
    comments: dict[int, str] = {}
    opening = ""
    for inbound in inbound_for_events(ticket, events):
        url = reverse("email_intake:message", args=[inbound.pk])
        if inbound.comment_id is not None:
            comments[inbound.comment_id] = url
        elif inbound.outcome == InboundOutcome.NEW_TICKET and not opening:
            opening = url
    return {"comments": comments, "opening": opening}


@register.filter
def mail_link(links: dict[str, Any] | None, event: Any) -> str:
    """The URL of the message an email-sourced event came from, or ""."""
    if not links or getattr(event, "source", "") != "email":
        return ""
    if event.comment_id is not None:
        return str(links["comments"].get(event.comment_id, ""))
    if event.kind == "created":
        return str(links["opening"])
    return ""


@register.simple_tag
def original_messages(ticket: TicketBase, events: list[TimelineEvent]) -> dict[int, str]:
    """{event id: URL of the message it came from} for the events of `events` whose mail is
    kept: what `mail_link` reads from `inbound_links`, keyed for the timeline written in Python
    (core.web.timeline_html)."""
    links = inbound_links(ticket, events)
    return {event.pk: url for event in events if (url := mail_link(links, event))}


@register.filter
def decoded_header(value: str) -> str:
    """A stored header as people read it: RFC 2047 encoded words decoded ("=?utf-8?q?Caf=C3=A9?="
    → "Café"); left as it is when it does not decode."""
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except (HeaderParseError, LookupError, UnicodeError, ValueError):
        return value
