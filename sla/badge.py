"""One ticket's SLA in a list row, as HTML made without the template engine (the lists render
50 of them per page and per refresh; core.web.cells says why).

The state in words (colour and glyph are extra cues) and the time left on the clock due first,
labelled with its clock (business hours of its calendar, or calendar time for a 24x7 one). With
`live` (the queue), static/js/queue.js turns the badge "at risk" / "breached" when those instants
pass, and ticks the time left of a 24x7 clock (and of a business-hours one in working hours, as
below); the server's text is right without it.

The browser has no calendar, but while a business-hours clock's calendar works its business
time left runs at the wall clock's rate, to the end of that working time: the badge then gives
the browser a wall-clock due time to count to (now + business time left, the same at every
instant of that working time) and the end, where the browser stops counting. Out of hours the
time left stands still; it moves on only with the server, at `BadgeHtml.moves_at` (the next
working time, or the end of this one).
"""

import io
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from html import escape

from core.web.cells import iso, weekday_time_zone
from sla.calendar import BusinessCalendar, CalendarError, working_stretch
from sla.choices import ClockState
from sla.selectors import ClockStatus, StatusClock, TicketSla
from sla.snapshot import calendar_from_snapshot


@dataclass(frozen=True)
class LiveSla:
    """What static/js/queue.js needs to recolour a badge when a deadline passes (the earliest
    warning and due instants of the running clocks, and whether the time left is wall time),
    and to count its time left: the instant that time left reaches zero, counted at the wall
    clock's rate (a 24x7 clock's due time; now + the business time left of a business-hours
    clock while its calendar works; None out of hours), and for a business-hours clock the end
    of its working time, where the count stops (None: it never does). Out of hours, when its
    calendar works again (`resumes_at`: its time left stands still until then)."""

    due_at: datetime
    warn_at: datetime | None
    always_open: bool
    countdown_due: datetime | None = None
    countdown_until: datetime | None = None
    resumes_at: datetime | None = None


def live_sla(clocks: Sequence[StatusClock], sla: TicketSla, now: datetime) -> LiveSla | None:
    """The live part of the badge of a ticket with these clocks (`sla`: ticket_sla(clocks,
    now))."""
    running = _running(clocks)
    nearest = sla.nearest
    if not running or nearest is None:
        return None
    warns = [c.warn_at for c in running if c.warn_at is not None]
    countdown: tuple[datetime | None, ...] = (nearest.due_at, None, None)
    if not nearest.always_open:
        countdown = _working_countdown(_nearest(running, now), nearest, now)
    return LiveSla(
        due_at=min(c.due_at for c in running if c.due_at is not None),
        warn_at=min(warns) if warns else None,
        always_open=nearest.always_open,
        countdown_due=countdown[0],
        countdown_until=countdown[1],
        resumes_at=countdown[2],
    )


def _working_countdown(
    clock: StatusClock, status: ClockStatus, now: datetime
) -> tuple[datetime | None, ...]:
    """A business-hours clock's wall-clock due time and the end of its working time, while its
    calendar works at `now`; out of hours, when it works again (LiveSla's last three)."""
    stretch = _working_stretch(clock, now)
    if stretch is None or status.business_left is None:
        return None, None, None
    if stretch[0] > now:
        return None, None, stretch[0]
    return now + status.business_left, stretch[1], None


def _running(clocks: Sequence[StatusClock]) -> list[StatusClock]:
    return [c for c in clocks if c.state == ClockState.RUNNING and c.due_at is not None]


def _nearest(running: Sequence[StatusClock], now: datetime) -> StatusClock:
    """The running clock whose time left the badge shows (as sla.selectors.ticket_sla picks)."""
    return min(running, key=lambda c: c.due_at or now)


def _turns(running: Sequence[StatusClock], now: datetime) -> list[datetime]:
    """The warning and due instants still to come, where the badge's state turns."""
    return [t for c in running for t in (c.warn_at, c.due_at) if t is not None and t > now]


def badge_changes_at(
    clocks: Sequence[StatusClock], now: datetime, left: timedelta | None = None
) -> datetime | None:
    """The first instant after `now` at which the server's badge of a ticket with these clocks
    may read differently (None: not while the clocks stay as they are). The state turns when a
    running clock's warning or due time passes; the time left ("3h 20m left", "5m over") moves
    a minute at a time, at whole minutes before or after the due time of the clock due first.
    On a business-hours clock it moves at those same instants while its calendar is working
    (working windows, holidays and time zone offsets are whole minutes), and not at all out of
    hours: then its next move is no earlier than the start of the next working window, so a
    list of such clocks stays the same all evening and weekend. With `left` (the time left the
    badge shows, sla.selectors.ticket_sla), its minutes turn at whole minutes of it: the same
    instants, but for a due time set out of working hours (then the overdue time is counted
    from the start of working time, not from the due time)."""
    running = _running(clocks)
    if not running:
        return None
    turns = _turns(running, now)
    nearest = _nearest(running, now)
    assert nearest.due_at is not None
    stretch = _working_stretch(nearest, now)
    if stretch is not None and stretch[0] > now:
        turns.append(stretch[0])
    else:
        seconds = (nearest.due_at - now if left is None else left).total_seconds()
        # The minutes shown are those of |due - now|, rounded down.
        to_next = seconds % 60 if seconds > 0 else 60 - (-seconds % 60)
        turns.append(now + timedelta(seconds=to_next))
    return min(turns)


def _working_stretch(clock: StatusClock, now: datetime) -> tuple[datetime, datetime] | None:
    """The working time of `clock`'s calendar at `now`, or its next one out of hours
    (sla.calendar.working_stretch); None for a calendar that never stops, or none it can
    give."""
    if not clock.snapshot.get("calendar"):
        return None
    calendar = calendar_from_snapshot(clock.snapshot)
    if calendar.is_endless:
        return None
    return _stretch_of(calendar, now)


# A page's badges share a few calendars and one `now`: each is walked once per page.
@lru_cache(maxsize=64)
def _stretch_of(calendar: BusinessCalendar, now: datetime) -> tuple[datetime, datetime] | None:
    try:
        return working_stretch(calendar, now)
    except CalendarError:
        return None


def clocks_key(clocks: Sequence[StatusClock]) -> str:
    """What a badge the browser moves on is made from, as text for its row's fingerprint:
    every field of its clocks that the badge reads, the snapshot (policy and calendar)
    included. Pickled rather than repr'd: the repr of a page's clocks with their calendars was
    a twentieth of the queue's CPU (issue 18). Pickled without its memo, so that equal clocks
    give equal text whichever objects they share, in every process."""
    fields = [
        (
            c.metric,
            c.state,
            c.due_at,
            c.warn_at,
            c.breached_at,
            c.paused_at,
            c.stopped_at,
            c.policy_id,
            c.snapshot,
        )
        for c in clocks
    ]
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=5)
    pickler.fast = True  # no memo: shared objects are written out again, not referred back to
    pickler.dump(fields)
    return out.getvalue().hex()


@dataclass(frozen=True)
class BadgeHtml:
    """A live badge as a refreshing list needs it: the HTML; what its row's fingerprint takes
    for it (the badge itself, or for one the browser moves on, what it is made from: its
    clocks, and the end of the working time it is counted to); and when its text moves on
    where the browser cannot follow (None: never)."""

    html: str
    digest_key: str
    moves_at: datetime | None


def live_badge(
    clocks: Sequence[StatusClock], sla: TicketSla, now: datetime, zone: tzinfo | None = None
) -> BadgeHtml:
    """The badge of a ticket with these clocks (`sla`: ticket_sla(clocks, now)), live; its
    instants in `zone` (default: the current time zone, core.web.cells)."""
    live = live_sla(clocks, sla, now)
    html = sla_badge_html(sla, live, zone)
    if live is None:
        return BadgeHtml(html, html, None)
    if live.always_open:
        return BadgeHtml(html, clocks_key(clocks), None)
    # Counted in the browser to the end of the working time, or standing still out of hours:
    # the server takes over at that end (or the next working time), or where the state turns.
    until = live.countdown_until
    if until is not None:
        moves_at = min([until, *_turns(_running(clocks), now)])
        return BadgeHtml(html, f"{clocks_key(clocks)}{until.isoformat()}", moves_at)
    if live.resumes_at is not None:
        return BadgeHtml(html, html, min([live.resumes_at, *_turns(_running(clocks), now)]))
    return BadgeHtml(html, html, badge_changes_at(clocks, now))


def badge_holds_until(
    clocks: Sequence[StatusClock], sla: TicketSla, badge: BadgeHtml, now: datetime
) -> datetime | None:
    """The first instant after `now` at which the server may write this badge (live_badge of
    these clocks and `sla` at `now`) differently, whether or not the browser follows (None:
    never while the clocks stay as they are): where its state or the minutes of the time left
    it shows turn (badge_changes_at; a time left never runs faster than the wall clock), or
    where its live part does (`moves_at`: the end of the working time a business-hours badge
    is counted to). A list that keeps the badge's HTML (the queue's rows,
    incidents.views.queue_row_memo) keeps it until then."""
    left = sla.nearest.business_left if sla.nearest is not None else None
    turns = [
        moment
        for moment in (badge.moves_at, badge_changes_at(clocks, now, left))
        if moment is not None
    ]
    return min(turns) if turns else None


def sla_badge_html(sla: TicketSla, live: LiveSla | None = None, zone: tzinfo | None = None) -> str:
    tone = escape(sla.tone)
    head = '<span class="sla-cell"'
    if live is not None:
        head += f' data-sla-live data-due="{iso(live.due_at, zone)}"'
        if live.warn_at is not None:
            head += f' data-warn="{iso(live.warn_at, zone)}"'
        head += f' data-tone="{tone}"'
    parts = [f'{head}>\n  <span class="badge badge-sla sla-{tone}">{escape(sla.label)}</span>\n']
    nearest = sla.nearest
    if nearest is not None and nearest.due_at is not None:
        metric = escape(nearest.metric_label)
        due = weekday_time_zone(nearest.due_at, zone)
        due_iso = iso(nearest.due_at, zone)
        title = f"{metric} due {due}"
        if not nearest.always_open:
            title += f" ({escape(nearest.calendar_name)}: business time)"
        countdown = ""
        if live is not None:
            countdown = f' data-countdown="left" data-prefix="{metric}: "'
            if live.countdown_due is not None:
                countdown += f' data-due="{iso(live.countdown_due, zone)}"'
            if live.countdown_until is not None:
                countdown += f' data-until="{iso(live.countdown_until, zone)}"'
        parts.append(
            f'  <time class="sla-left" datetime="{due_iso}" title="{title}"'
            f"{countdown}>{escape(sla.detail)}</time>\n  "
        )
        if nearest.always_open:
            parts.append(
                '<span class="time-basis" title="Counted around the clock (a 24×7 SLA): '  # noqa: RUF001
                'calendar time, nights and weekends included.">calendar time</span>\n'
            )
        else:
            parts.append(
                '<span class="time-basis" title="Counted in the working hours of the '
                f"{escape(nearest.calendar_name)} calendar only: nights, weekends and holidays "
                f'do not count. Due {due}.">business hours</span>\n'
            )
    elif sla.detail:
        parts.append(f'  <span class="sla-left">{escape(sla.detail)}</span>\n')
    parts.append("</span>")
    return "".join(parts)
