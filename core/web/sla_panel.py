"""The SLA panel of the agent ticket page (templates/tickets/agent/_sla_panel.html) written in
Python, to the byte what the template writes (tests/core/test_sla_panel.py compares the two).

Why: through the template engine the panel's dozen conditions and date filters per clock cost
half a millisecond of every incident and request page; the template stays the reference (and the
copy to change first), this writes the same text. Instants are shown in the current time zone,
as the `date` filter shows them (core.web.cells).
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from core.web.cells import iso, weekday_time_zone

_ROUND_THE_CLOCK = "24\u00d77"  # with the multiplication sign, as the template writes it
_ANNOUNCE = '<p class="visually-hidden" id="sla-announce" role="status" aria-live="polite"></p>'


def _e(value: Any) -> str:
    return str(conditional_escape(value))


def _iso(moment: datetime | None) -> str:
    return iso(moment) if moment is not None else ""


def _time(moment: datetime) -> str:
    return f'<time datetime="{iso(moment)}">{weekday_time_zone(moment)}</time>'


def _live_attributes(item: Any, clock: Any) -> str:
    """What static/js/queue.js reads to count a running clock down."""
    if not clock.is_running:
        return ""
    warn = f' data-warn="{iso(item.warn_at)}"' if item.warn_at else ""
    return (
        f' data-sla-live data-tone-prefix="sla-clock-" data-metric-label="{_e(item.label)}"'
        f' data-due="{_iso(clock.due_at)}"{warn} data-tone="{_e(clock.tone)}"'
    )


def _when(clock: Any) -> str:
    if not clock.moment:
        return ""
    wall = ""
    if clock.is_running and not clock.always_open:
        wall = (
            f' <span class="muted">(<span data-countdown="relative" data-sla-due='
            f'"{_iso(clock.due_at)}">{_e(clock.wall_text)}</span> on the wall clock)</span>'
        )
    return (
        f'\n      <p class="sla-when">{_e(clock.moment_label)} {_time(clock.moment)}{wall}</p>\n'
        "      "
    )


def _detail(clock: Any) -> str:
    if not clock.detail:
        return ""
    countdown = ""
    if clock.is_running and clock.always_open:
        countdown = f' data-countdown="relative" data-sla-due="{_iso(clock.due_at)}"'
    elif clock.is_running:
        countdown = ' data-countdown="business" data-overdue-text="overdue (business time)"'
    return f'\n      <p class="sla-detail"{countdown}>{_e(clock.detail)}</p>\n      '


def _extra(clock: Any) -> str:
    if clock.tone == "met" and clock.due_at:
        return f'\n      <p class="sla-extra muted">Target was {_time(clock.due_at)}</p>\n      '
    if clock.tone == "breached" and clock.stopped_at:
        return (
            f'\n      <p class="sla-extra muted">Stopped at {_time(clock.stopped_at)}</p>\n      '
        )
    return ""


def _clock(item: Any) -> str:
    clock = item.status
    calendar = _ROUND_THE_CLOCK if clock.always_open else _e(clock.calendar_name)
    return (
        f'\n    <li class="sla-clock sla-clock-{_e(clock.tone)}" id="sla-clock-{_e(clock.metric)}"'
        f"{_live_attributes(item, clock)}>\n"
        f'      <p class="sla-clock-head"><span class="sla-metric">{_e(item.label)}</span> '
        f'<span class="badge badge-sla sla-{_e(clock.tone)}">{_e(clock.label)}</span></p>\n'
        f"      {_when(clock)}\n"
        f"      {_detail(clock)}\n"
        f"      {_extra(clock)}\n"
        f'      <p class="sla-policy muted">{_e(clock.policy_name)} · {calendar} calendar</p>\n'
        "    </li>\n    "
    )


def sla_panel_html(sla_clocks: Sequence[Any], *, noun: str) -> SafeString:
    """The panel for these clocks (sla.keeper.PanelClock: a status, a label, a warning
    instant); `noun` names the kind in the empty panel's sentence."""
    if sla_clocks:
        body = (
            '\n  <ul class="sla-clocks">\n    '
            + "".join(_clock(item) for item in sla_clocks)
            + f"\n  </ul>\n  {_ANNOUNCE}\n  "
        )
    else:
        body = (
            f'\n  <p class="sla-empty muted">No SLA applies to this {_e(noun)}: no target clock '
            "runs on it.</p>\n  "
        )
    return mark_safe(  # noqa: S308 — every value is escaped above
        '\n<section class="sla-panel" aria-labelledby="sla-title" id="sla-panel">\n'
        '  <h2 id="sla-title" class="sla-panel-title">SLA</h2>\n'
        f"  {body}\n</section>\n"
    )
