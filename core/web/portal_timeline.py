"""The requester's timeline entries (the "Updates" of a portal ticket page), formatted in Python.

The same markup templates/tickets/_timeline.html writes without `agent_view` for public
entries (tests/portal/test_portal_timeline.py compares the two), built as one string per entry
from escaped values: through the template language a page of 50 entries ran ~1,000 nodes and
~150 filter calls, most of the page's CPU after the Markdown itself."""

from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from core.markdown import render_markdown
from core.models import TicketBase, TimelineEvent
from core.templatetags.servicedesk import local_instants
from core.tickets.describe import describe
from core.web.cells import day_time, iso, status_badge_html

# The download URL is reversed once per page with this stand-in token, then each file's token is
# put in its place (one reverse() instead of one per file).
_FILE_SLOT = "ATTACHMENT"

_ENTRY = (
    '<li class="event event-{kind}">\n'
    '    <div class="event-head">\n'
    '      <span class="event-actor">{actor}</span>\n'
    '      <span class="event-verb">{verb}</span>\n'
    "      {source}\n"
    '      <time class="event-time" datetime="{iso}" title="{when}">{when}</time>\n'
    "    </div>\n"
    "    {status}\n"
    "    {body}\n"
    "    {note}\n"
    "  </li>"
)
_STATUS = '<p class="event-status">\n        {moved}{to}\n      </p>'
_MOVED = '{from_} <span aria-hidden="true">→</span><span class="visually-hidden">to</span> '


def timeline_entries(events: list[TimelineEvent], ticket: TicketBase) -> list[SafeString]:
    """One string of markup per public entry, in the order given."""
    download = reverse("core:attachment_download", args=[_FILE_SLOT])
    return [_entry(event, ticket, download) for event in events]


def _entry(event: TimelineEvent, ticket: TicketBase, download: str) -> SafeString:
    view = describe(event, ticket)
    model = type(ticket)
    status = ""
    if event.from_status or event.to_status:
        moved = ""
        if event.from_status:
            moved = _MOVED.format(from_=status_badge_html(model, event.from_status))
        status = _STATUS.format(moved=moved, to=status_badge_html(model, event.to_status))
    text = _ENTRY.format(
        kind=escape(event.kind),
        actor=escape(event.actor.display_name) if event.actor else "System",
        verb=escape(view.verb),
        source='<span class="event-source">via email</span>' if event.source == "email" else "",
        iso=iso(event.created_at),
        when=day_time(event.created_at),
        status=status,
        body=_body(event, view.body, view.body_format, download),
        note=f'<p class="event-note">{escape(view.note)}</p>' if view.note else "",
    )
    return mark_safe(text)  # noqa: S308 (every value escaped or sanitised above)


def _body(event: TimelineEvent, body: str, body_format: str, download: str) -> str:
    if event.comment:
        return f'<div class="event-body prose">{render_markdown(event.comment.body)}</div>'
    if event.attachment:
        file = event.attachment
        url = escape(download.replace(_FILE_SLOT, file.token))
        return (
            f'<p class="event-file"><a href="{url}" download>{escape(file.original_name)}</a> '
            f'<span class="muted">({filesizeformat(file.size)})</span></p>'
        )
    if body_format == "system" and event.kind == "sla":
        return (
            '<p class="event-body event-sla-text"><strong>SLA:</strong> '
            f"{escape(local_instants(body))}</p>"
        )
    if body:
        return f'<div class="event-body prose">{render_markdown(local_instants(body))}</div>'
    return ""
