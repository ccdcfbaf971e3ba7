"""The SLA panel written in Python (core.web.sla_panel) writes exactly what
templates/tickets/agent/_sla_panel.html writes: running clocks (business time and round the
clock), paused, met and breached ones, values that need escaping, no clocks; in a time zone
that is not UTC."""

from datetime import UTC, datetime, timedelta

import pytest
from django.template.loader import get_template
from django.utils import timezone

from core.web.sla_panel import sla_panel_html
from sla.choices import SlaState
from sla.keeper import PanelClock
from sla.selectors import ClockStatus

DUE = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night Paris moves to summer time


def _status(**changes: object) -> ClockStatus:
    fields: dict[str, object] = {
        "metric": "resolution",
        "metric_label": "Resolution",
        "state": SlaState.ON_TRACK,
        "tone": "on_track",
        "label": "On track",
        "policy_name": "P1 <critical> & co",
        "calendar_name": "Office hours",
        "always_open": False,
        "due_at": DUE,
        "moment_label": "Due",
        "moment": DUE,
        "business_left": timedelta(hours=2),
        "wall_left": timedelta(hours=5),
        "detail": "2h left (business time)",
        "stopped_at": None,
    }
    fields.update(changes)
    return ClockStatus(**fields)  # type: ignore[arg-type]


CASES = {
    "running": [PanelClock(_status(), "Fix <it>", DUE - timedelta(hours=1))],
    "running 24x7, no warning": [PanelClock(_status(always_open=True), "Resolve", None)],
    "paused and met": [
        PanelClock(
            _status(
                metric="response",
                tone="paused",
                label="Paused",
                business_left=None,
                wall_left=None,
                moment=None,
            ),
            "Respond",
            None,
        ),
        PanelClock(
            _status(tone="met", label="Met", business_left=None, wall_left=None, detail=""),
            "Resolve",
            DUE,
        ),
    ],
    "breached and stopped": [
        PanelClock(
            _status(
                tone="breached",
                label="Breached",
                business_left=None,
                wall_left=None,
                stopped_at=DUE + timedelta(days=1),
                moment_label="Was due",
            ),
            "Resolve",
            None,
        )
    ],
    "breached, running": [
        PanelClock(_status(tone="breached", label="Breached", detail="overdue"), "Resolve", None)
    ],
    "none": [],
}


class _Kind:
    noun = "incident <x>"


@pytest.mark.parametrize("case", CASES)
def test_the_panel_is_written_as_the_template_writes_it(case):
    clocks = CASES[case]
    with timezone.override("Europe/Paris"):
        template = get_template("tickets/agent/_sla_panel.html").render(
            {"sla_clocks": clocks, "kind": _Kind()}
        )
        assert sla_panel_html(clocks, noun=_Kind.noun) == template
