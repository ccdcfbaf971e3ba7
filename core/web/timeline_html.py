"""Timeline entries (an agent's ticket page, the "Updates" of a portal ticket page) formatted in
Python.

The same markup templates/tickets/_timeline.html writes (tests/core/test_timeline_html.py
compares the two, for agents and requesters), built as one string per entry from escaped values:
through the template language a page of 50 entries ran ~1,000 nodes and ~150 filter calls, most
of a ticket page's CPU after the Markdown itself. For agents (`agent_view`) an entry also says
where it came from, with a link to the original message of what came by mail, and the fields it
changed.

Each entry's markup is kept per process (`ENTRIES_KEPT`) under everything it is made of: the
event's values as the entry shows them (kind, visibility, actor's name, source, instant,
statuses, message, changed fields, comment, file, the link to its original message) and the
page's (the ticket's model, agent or requester, whether "internal" is marked, the reader's zone,
the download URL). Any of them changed is another key, never a stale entry; a page still reads
its events on every request."""

import re
from collections.abc import Hashable, Mapping
from datetime import tzinfo
from html import escape as html_escape
from typing import Any

from django.core.signals import setting_changed
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from core.choices import Source
from core.markdown import render_markdown
from core.models import TicketBase, TimelineEvent
from core.process_memos import KeptTexts
from core.templatetags.servicedesk import local_instants
from core.tickets.describe import EventView, describe
from core.tickets.kinds import find_kind
from core.web.cells import day_time, iso, status_badge_html

# The download URL is reversed once per page with this stand-in token, then each file's token is
# put in its place (one reverse() instead of one per file).
_FILE_SLOT = "ATTACHMENT"

_ENTRY = (
    '<li class="event event-{kind}{internal_class}">\n'
    '    <div class="event-head">\n'
    '      <span class="event-actor">{actor}</span>\n'
    '      <span class="event-verb">{verb}</span>\n'
    "      {internal}\n"
    "      {source}\n"
    '      <time class="event-time" datetime="{iso}" title="{when}">{when}</time>\n'
    "    </div>\n"
    "    {status}\n"
    "    {changes}\n"
    "    {body}\n"
    "    {note}\n"
    "  </li>"
)
_STATUS = '<p class="event-status">\n        {moved}{to}\n      </p>'
_MOVED = '{from_} <span aria-hidden="true">→</span><span class="visually-hidden">to</span> '
_INTERNAL = '<span class="badge badge-internal">Internal</span>'
_CHANGES = '<dl class="event-changes">\n        {rows}\n      </dl>'
# `event.get_source_display()` without the dict Django builds for each call.
_SOURCE_LABELS = dict(Source.choices)


# Entries kept per process; when full, the memo starts over. An event whose texts are longer than
# ENTRY_TEXT_CHARS is written every time (memory: the key holds its texts, the entry their HTML).
ENTRIES_KEPT = 4096
ENTRY_TEXT_CHARS = 4000
_kept = KeptTexts(ENTRIES_KEPT)
# Drop every kept entry when a setting changes (tests).
forget_entries = _kept.clear
setting_changed.connect(forget_entries, dispatch_uid="core.web.timeline_html")


_SPECIAL = re.compile("[&<>\"']")


def escape(value: Any) -> str:
    """Django's `escape` (the same text), without its wrapper for lazy strings and without
    copying a text that has nothing to escape, as most names and titles: a page of entries and
    linked incidents calls it some 500 times, and Django's cost ~1 µs a call, this ~0.2."""
    text = str(value)
    return html_escape(text) if _SPECIAL.search(text) else text


def timeline_entries(
    events: list[TimelineEvent],
    ticket: TicketBase,
    *,
    agent_view: bool = False,
    original_messages: Mapping[int, str] | None = None,
) -> list[SafeString]:
    """One string of markup per entry, in the order given. `original_messages`: for agents,
    the URL of the stored mail an event came from, by event id (email_intake's
    `{% original_messages %}`)."""
    download = reverse("core:attachment_download", args=[_FILE_SLOT])
    kind = find_kind(ticket)
    page = _Page(
        ticket=ticket,
        download=download,
        agent_view=agent_view,
        # "Internal" means something on the timeline only where requesters follow the kind.
        marks_internal=kind is not None and kind.has_portal,
        original_messages=original_messages or {},
        zone=timezone.get_current_timezone(),
    )
    return [page.entry(event) for event in events]


class _Page:
    """What every entry of one page shares."""

    def __init__(
        self,
        *,
        ticket: TicketBase,
        download: str,
        agent_view: bool,
        marks_internal: bool,
        original_messages: Mapping[int, str],
        zone: tzinfo,
    ) -> None:
        self.ticket = ticket
        self.model = type(ticket)
        self.download = download
        self.agent_view = agent_view
        self.marks_internal = marks_internal
        self.original_messages = original_messages
        # The reader's zone, read once per page (each entry shows its instant twice).
        self.zone = zone
        # What every entry of the page is made of besides its event (the kind, and so whether
        # "internal" is marked, is the model's).
        self.shared = (self.model, agent_view, zone, download)

    def entry(self, event: TimelineEvent) -> SafeString:
        key = self.key(event)
        text = self.written(event) if key is None else _kept.get(key, self.written, event)
        return mark_safe(text)  # noqa: S308 (every value escaped or sanitised in written())

    def key(self, event: TimelineEvent) -> Hashable | None:
        """Every value of `event` its entry shows (describe() reads the event and the ticket's
        kind), or None for an event too long to keep."""
        comment = event.comment
        body = comment.body if comment is not None else ""
        message = event.message or ""
        if len(body) + len(message) > ENTRY_TEXT_CHARS:
            return None
        file = event.attachment
        actor = event.actor
        return (
            self.shared,
            event.kind,
            event.is_public,
            event.source,
            event.created_at,
            event.from_status,
            event.to_status,
            message,
            repr(event.changes),
            actor.display_name if actor is not None else None,
            (body, comment.is_internal) if comment is not None else None,
            (file.token, file.original_name, file.size) if file is not None else None,
            self.original_messages.get(event.pk, ""),
        )

    def written(self, event: TimelineEvent) -> str:
        view = describe(event, self.ticket)
        return _ENTRY.format(
            kind=escape(event.kind),
            internal_class="" if event.is_public else " event-internal",
            actor=escape(event.actor.display_name) if event.actor else "System",
            verb=escape(view.verb),
            internal=_INTERNAL if not event.is_public and self.marks_internal else "",
            source=self.source(event),
            iso=iso(event.created_at, self.zone),
            when=day_time(event.created_at, self.zone),
            status=self.status(event),
            changes=self.changes(view),
            body=self.body(event, view),
            note=f'<p class="event-note">{escape(view.note)}</p>' if view.note else "",
        )

    def source(self, event: TimelineEvent) -> str:
        if not self.agent_view:
            return '<span class="event-source">via email</span>' if event.source == "email" else ""
        if event.source != "email":
            label = _SOURCE_LABELS.get(event.source, event.source)
            return f'<span class="event-source">via {escape(label)}</span>'
        url = self.original_messages.get(event.pk, "")
        link = f' · <a href="{escape(url)}">original message</a>' if url else ""
        return f'<span class="event-source">via email{link}</span>'

    def status(self, event: TimelineEvent) -> str:
        if not (event.from_status or event.to_status):
            return ""
        moved = ""
        if event.from_status:
            moved = _MOVED.format(from_=status_badge_html(self.model, event.from_status))
        return _STATUS.format(moved=moved, to=status_badge_html(self.model, event.to_status))

    def changes(self, view: EventView) -> str:
        if not (self.agent_view and view.changes):
            return ""
        rows = "".join(
            f"<div><dt>{escape(label)}</dt><dd>{escape(value)}</dd></div>"
            for label, value in view.changes
        )
        return _CHANGES.format(rows=rows)

    def body(self, event: TimelineEvent, view: EventView) -> str:
        if event.comment:
            return f'<div class="event-body prose">{render_markdown(event.comment.body)}</div>'
        if event.attachment:
            file = event.attachment
            url = escape(self.download.replace(_FILE_SLOT, file.token))
            return (
                f'<p class="event-file"><a href="{url}" download>{escape(file.original_name)}</a> '
                f'<span class="muted">({filesizeformat(file.size)})</span></p>'
            )
        if view.body_format == "system" and event.kind == "sla":
            return (
                '<p class="event-body event-sla-text"><strong>SLA:</strong> '
                f"{escape(local_instants(view.body))}</p>"
            )
        if view.body:
            return (
                f'<div class="event-body prose">{render_markdown(local_instants(view.body))}</div>'
            )
        return ""
