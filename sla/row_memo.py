"""A list's rows that show an SLA badge, made once and kept while what they are made from and
every text they show stay the same (issue 18): the triage queue's (incidents.views.
queue_row_memo) and the request list's.

Making a row's SLA state, its badge and its HTML was some 40 % of the request list's CPU, yet
from one request and refresh to the next nearly every row is made from the same values and
reads the same. A row is kept under the caller's key (everything the row's HTML is made from
but its clocks: the ticket's values as the page's query reads them, the URLs it links to), its
clock rows as sla.row_clocks reads them (the snapshot's policy name and calendar included) and
the time zone its instants are written in. Its badge's state and time left are kept only from
the instant the row was made until the first instant the server would write the badge
differently (sla.badge.badge_holds_until); what moves every minute (an age) is the caller's to
put in on every request. At most `size` rows are kept per memo and process (then all are
forgotten); a row is never changed once kept, so threads may share them.
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from django.utils import timezone

from core.process_memos import process_memo
from sla.badge import BadgeHtml, badge_holds_until, live_badge
from sla.row_clocks import ClockRow, row_clocks
from sla.selectors import ticket_sla


@dataclass(frozen=True, slots=True)
class BadgeRow:
    """A row as its writer made it (its HTML, and its fingerprint for a list whose refresh
    sends only changed rows, else ""), when its badge's text moves on where the browser cannot
    follow (sla.badge.BadgeHtml.moves_at, the refresh's `until`), and the instants between
    which it reads as made (`holds_until` None: for as long as its values stay the same)."""

    html: str
    digest: str
    moves_at: datetime | None
    made_at: datetime
    holds_until: datetime | None

    def holds_at(self, now: datetime) -> bool:
        return self.made_at <= now and (self.holds_until is None or now < self.holds_until)


class BadgeRowMemo:
    """Kept rows of one list (module docstring)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._rows: dict[Hashable, BadgeRow] = process_memo({})

    def row(
        self,
        key: Hashable,
        clock_rows: tuple[ClockRow, ...],
        now: datetime,
        calendars: dict[str | None, dict[str, Any]],
        write: Callable[[BadgeHtml], tuple[str, str]],
        *,
        zone: tzinfo | None = None,
    ) -> BadgeRow:
        """The row under `key` with these clocks (its rows of sla.row_clocks.row_clock_rows, in
        the order they came) at `now`: kept, or made now by `write(the badge)` (its HTML and
        fingerprint; kept). `calendars`: the page's calendars decoded so far
        (sla.row_clocks.row_clocks); `zone`: the badge's instants' (default: the current)."""
        shown_in = timezone.get_current_timezone_name() if zone is None else zone
        full_key = (shown_in, key, clock_rows)
        kept = self._rows.get(full_key)
        if kept is not None and kept.holds_at(now):
            return kept
        clocks = row_clocks(clock_rows, calendars)
        sla = ticket_sla(clocks, now)
        badge = live_badge(clocks, sla, now, zone)
        html, digest = write(badge)
        holds_until = badge_holds_until(clocks, sla, badge, now)
        made = BadgeRow(html, digest, badge.moves_at, now, holds_until)
        if len(self._rows) >= self.size:
            self._rows.clear()
        self._rows[full_key] = made
        return made

    def clear(self) -> None:
        """Forget every kept row (tests)."""
        self._rows.clear()
