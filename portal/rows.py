"""The lines of the portal's ticket list (templates/portal/_ticket_list.html), formatted in
Python: a line is one string built from escaped values, its dates in the viewer's time zone.
Rendered by the template language, a page of 50 lines ran ~600 nodes and ~250 filter calls,
most of the page's CPU time."""

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from html import escape
from urllib.parse import quote

from django.utils import timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

from core.process_memos import KeptTexts
from core.templatetags.servicedesk import ago
from core.tickets.kinds import TicketKind
from core.tickets.portal_spec import Expectation
from core.web.cells import status_badge_html
from portal.expectations import expectation
from portal.selectors import MyTicket, TicketLine

_LABELS = {"action": "Your turn:", "late": "Running late:"}
_NUMBER = "NUMBER"


# One line of the list (templates/portal/_ticket_list.html places them), kept here so that a
# line is one str.format of escaped values rather than a dozen template nodes and filters.
_ROW = (
    '<li class="ticket-item{action}">'
    '<div class="ticket-item-main">'
    '<p class="ticket-item-meta"><span class="kind-tag kind-{kind}">{kind_label}</span> '
    '<span class="ticket-number">{number}</span></p>'
    '<a class="ticket-item-title" href="{url}">{title}</a>'
    '<p class="expectation expectation-{tone}">{expectation}</p>'
    "</div>"
    '<div class="ticket-item-side">{status} '
    '<span class="ticket-item-updated">Updated <time datetime="{updated_iso}" '
    'title="{updated_title}">'
)
_ROW_END = "</time></span></div></li>"

# A line's HTML but its age ("Updated 5 minutes ago", put in on every request), kept under
# everything it is made from when the ticket is read as values (portal.kept_page): the time
# zone, the shape of its URL (which names the kind, and the script prefix), the ticket's values
# and its expectation (all that the instant decides). At most HEADS_KEPT per process, then all
# are forgotten.
HEADS_KEPT = 4096
_HEADS = KeptTexts(HEADS_KEPT)


@dataclass(frozen=True)
class TicketRow:
    """One line of the ticket list: the ticket, what to expect, and the line's HTML."""

    item: MyTicket
    expectation: Expectation
    html: SafeString

    @property
    def ticket(self) -> TicketLine:
        return self.item.ticket

    @property
    def kind(self) -> TicketKind:
        return self.item.kind


def _day(moment: datetime) -> str:
    """Django's date format "j M Y" (1 Dec 2026), without the template filter's overhead."""
    return f"{moment.day} {str(MONTHS_3[moment.month]).title()} {moment.year}"


def _weekday_time(moment: datetime) -> str:
    """Django's "D j M, H:i" (Tue 1 Dec, 09:30)."""
    month = str(MONTHS_3[moment.month]).title()
    return f"{WEEKDAYS_ABBR[moment.weekday()]} {moment.day} {month}, {moment:%H:%M}"


def _expectation_html(line: Expectation) -> str:
    label = _LABELS.get(line.tone)
    text = f'<span class="expectation-label">{label}</span> ' if label else ""
    text += escape(line.text)
    if line.when is None:
        return text
    when = timezone.localtime(line.when)
    if line.tone == "done":
        return f'{text} <time datetime="{when.isoformat()}">{_day(when)}</time>'
    return f'{text} <time datetime="{when.isoformat()}">{_weekday_time(when)}</time>.'


class _Lines:
    """Formats the lines of one page: what is the same for every line of a kind (the URL's
    shape, a status's badge) is worked out once."""

    def __init__(self) -> None:
        self.now = timezone.now()
        self.zone = timezone.get_current_timezone_name()
        self.paths: dict[str, str] = {}
        self.badges: dict[tuple[type, str], str] = {}

    def shape(self, kind: TicketKind) -> str:
        """The kind's portal URL with _NUMBER for the number."""
        shape = self.paths.get(kind.name)
        if shape is None:
            shape = self.paths[kind.name] = kind.portal_path(_NUMBER)
        return shape

    def path(self, kind: TicketKind, number: str) -> str:
        return self.shape(kind).replace(_NUMBER, quote(number, safe=""))

    def badge(self, kind: TicketKind, ticket: TicketLine) -> str:
        key = (kind.model, getattr(ticket, "status", ""))
        badge = self.badges.get(key)
        if badge is None:
            badge = self.badges[key] = status_badge_html(*key)
        return badge

    def row(self, item: MyTicket) -> TicketRow:
        line = expectation(item, self.now)
        ticket, kind = item.ticket, item.kind
        key: Hashable = None
        if isinstance(ticket, tuple):  # values, not a model instance (equal by its pk alone)
            key = (self.zone, self.shape(kind), ticket, line)
        head = self.head(item, line) if key is None else _HEADS.get(key, self.head, item, line)
        html = f"{head}{escape(ago(ticket.updated_at))}{_ROW_END}"
        return TicketRow(item, line, mark_safe(html))  # noqa: S308 — every value is escaped

    def head(self, item: MyTicket, line: Expectation) -> str:
        ticket, kind = item.ticket, item.kind
        updated = timezone.localtime(ticket.updated_at)
        return _ROW.format(
            action=" ticket-item-action" if line.tone == "action" else "",
            kind=kind.name,
            kind_label=escape(capfirst(kind.noun)),
            number=escape(ticket.number),
            url=escape(self.path(kind, ticket.number)),
            title=escape(ticket.title),
            tone=line.tone,
            expectation=_expectation_html(line),
            status=self.badge(kind, ticket),
            updated_iso=updated.isoformat(),
            updated_title=f"{_day(updated)}, {updated:%H:%M}",
        )


def ticket_rows(items: list[MyTicket]) -> list[TicketRow]:
    lines = _Lines()
    return [lines.row(item) for item in items]
