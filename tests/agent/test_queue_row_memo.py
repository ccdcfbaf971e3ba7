"""The queue's kept rows (incidents.views.queue_row_memo): a row is made again when anything it
is made from changes (the incident's values, its clocks, the viewer, their time zone, the URLs)
and when the server would write any of its texts differently; otherwise the kept row is the
row made now, byte for byte."""

import json
from datetime import UTC, datetime, timedelta
from itertools import product
from zoneinfo import ZoneInfo

import pytest

from incidents.selectors import QueueItem
from incidents.views import queue_row_memo
from incidents.views.queue_row_memo import made_row
from incidents.views.queue_rows import RowViewer, queue_row_html, shown_row
from sla.badge import live_badge
from sla.choices import ClockState
from sla.row_clocks import row_clocks
from sla.selectors import ticket_sla
from tests.factories import IncidentFactory
from tests.sla.calendars import OFFICE

AROUND_THE_CLOCK = {
    "name": "24x7",
    "timezone": "UTC",
    "always_open": True,
    "windows": [],
    "holidays": [],
}
WITH_HOLIDAYS = {**AROUND_THE_CLOCK, "name": "24x7 but Tuesday", "holidays": ["2026-03-10"]}
# Monday 9 March 2026, 10:00:20.5 in Berlin: the office works until 16:00 UTC.
MONDAY = datetime(2026, 3, 9, 9, 0, 20, 500000, tzinfo=UTC)

VIEWER = RowViewer(
    7,
    "/agent/incidents/?tab=all",
    "/agent/incidents/number-slot/",
    "/agent/incidents/number-slot/claim/",
    UTC,
)


def _item(**changes) -> QueueItem:
    values = {
        "pk": 1,
        "assignee_id": None,
        "number": "INC-000001",
        "title": "Mail is down",
        "status": "logged",
        "priority": 3,
        "tier": 1,
        "is_major": False,
        "created_at": MONDAY - timedelta(hours=2),
        "version": 1,
        "assignee_first_name": None,
        "assignee_last_name": None,
        "assignee_username": None,
        "support_group_name": "Service desk",
        "service_name": "Mail",
        "paged_tier_index": None,
        "alert_firing_since": None,
        "alert_last_recovered_at": None,
    }
    return QueueItem(**{**values, **changes})


def _clock(
    due_at, calendar=AROUND_THE_CLOCK, warn_at=None, state=ClockState.RUNNING, metric="resolution"
):
    return (1, metric, state, due_at, warn_at, None, None, None, 1, "P3", json.dumps(calendar))


def _fresh(item, clock_rows, viewer, now):
    """The row as made without anything kept: (html, digest, moves_at)."""
    clocks = row_clocks(clock_rows, {})
    badge = live_badge(clocks, ticket_sla(clocks, now), now, viewer.zone)
    return (*queue_row_html(item, badge, viewer), badge.moves_at)


def _made(item, clock_rows, viewer, now):
    made = made_row(item, clock_rows, viewer, now, {})
    return made.html, made.digest, made.moves_at


def test_a_row_made_from_the_same_values_within_the_minute_is_the_kept_one():
    clocks = (_clock(MONDAY + timedelta(hours=3, seconds=40)),)
    first = made_row(_item(), clocks, VIEWER, MONDAY, {})
    assert made_row(_item(), clocks, VIEWER, MONDAY + timedelta(seconds=15), {}) is first


@pytest.mark.parametrize(
    "changed",
    [
        {"item": _item(title="Mail is down again", version=2)},
        {"item": _item(status="resolved", version=2)},
        {"item": _item(assignee_id=7, assignee_username="ann", version=2)},
        {"item": _item(paged_tier_index=1)},
        {"item": _item(alert_firing_since=MONDAY - timedelta(minutes=5))},
        {"clocks": (_clock(MONDAY + timedelta(hours=5)),)},
        {"clocks": (_clock(MONDAY + timedelta(hours=3, seconds=40), calendar=OFFICE),)},
        {
            "base": _item(assignee_id=7, assignee_username="ann"),
            "viewer": RowViewer(8, *list(VIEWER.__dict__.values())[1:]),
        },
        {"viewer": RowViewer(7, "/agent/incidents/?tab=mine", *list(VIEWER.__dict__.values())[2:])},
        {
            "viewer": RowViewer(
                7, VIEWER.refresh_url, "/desk/incidents/number-slot/", VIEWER.claim_url, UTC
            )
        },
        {
            "viewer": RowViewer(
                7, VIEWER.refresh_url, VIEWER.detail_url, "/desk/number-slot/claim/", UTC
            )
        },
        {"viewer": RowViewer(7, *list(VIEWER.__dict__.values())[1:4], ZoneInfo("Europe/Berlin"))},
    ],
    ids=[
        "title",
        "status",
        "assignee",
        "paged",
        "alert",
        "clock due time",
        "clock calendar",
        "viewer",
        "refresh url",
        "detail url",
        "claim url",
        "time zone",
    ],
)
def test_every_part_of_what_a_row_is_made_from_makes_it_again(changed):
    item, clocks = changed.get("base", _item()), (_clock(MONDAY + timedelta(hours=3, seconds=40)),)
    before = _made(item, clocks, VIEWER, MONDAY)
    item = changed.get("item", item)
    clocks = changed.get("clocks", clocks)
    viewer = changed.get("viewer", VIEWER)
    after = _made(item, clocks, viewer, MONDAY)
    assert after == _fresh(item, clocks, viewer, MONDAY)
    assert after[0] != before[0]


def test_the_time_left_moves_on_a_minute_later():
    clocks = (_clock(MONDAY + timedelta(hours=3, seconds=40)),)
    early = _made(_item(), clocks, VIEWER, MONDAY)
    assert "Resolution: 3h 00m left" in early[0]
    later = MONDAY + timedelta(seconds=41)
    assert "Resolution: 2h 59m left" in _made(_item(), clocks, VIEWER, later)[0]


def test_a_row_is_not_served_before_the_instant_it_was_made_at():
    clocks = (_clock(MONDAY + timedelta(hours=3, seconds=40)),)
    _made(_item(), clocks, VIEWER, MONDAY)
    earlier = MONDAY - timedelta(minutes=2)
    assert _made(_item(), clocks, VIEWER, earlier) == _fresh(_item(), clocks, VIEWER, earlier)


def test_a_kept_row_reads_as_a_row_made_now_at_every_instant():
    """Rows of 24x7, business-hours (in and out of working hours) and holiday clocks, with
    warnings and due times near, made at one instant and asked for at many later ones: a kept
    row is served only while it is the row made then."""
    instants = [
        MONDAY + timedelta(seconds=s)
        for s in (0, 19, 20, 39.5, 40, 59, 60, 61, 119, 3600, 6 * 3600 + 39, 6 * 3600 + 40)
    ] + [datetime(2026, 3, 9, 16, 0, tzinfo=UTC), datetime(2026, 3, 10, 7, 59, 59, tzinfo=UTC)]
    dues = [MONDAY + timedelta(minutes=m, seconds=40) for m in (-90, 1, 30, 400, 1500)]
    calendars = [AROUND_THE_CLOCK, OFFICE, WITH_HOLIDAYS]
    served = 0
    for due, calendar, warns in product(dues, calendars, (None, timedelta(minutes=20))):
        warn = due - warns if warns else None
        clocks = (
            _clock(
                MONDAY + timedelta(minutes=5), calendar, metric="response", state=ClockState.MET
            ),
            _clock(due, calendar, warn_at=warn),
        )
        for made_at, asked_at in product(instants, instants):
            if asked_at < made_at:
                continue
            queue_row_memo.forget_rows()
            kept = made_row(_item(), clocks, VIEWER, made_at, {})
            got = made_row(_item(), clocks, VIEWER, asked_at, {})
            served += asked_at > made_at and got is kept
            fresh = _fresh(_item(), clocks, VIEWER, asked_at)
            assert (got.html, got.digest, got.moves_at) == fresh
    # Kept rows are served (300 of the 2,730 later asks), not only made again.
    assert served > 200


def test_the_age_and_the_csrf_input_are_put_in_on_each_request():
    item = _item(created_at=MONDAY - timedelta(minutes=5))
    made = made_row(item, (), VIEWER, MONDAY, {})
    shown = shown_row(made.html, item.created_at, '<input name="csrf">')
    assert '<input name="csrf">' in shown
    assert "<!--" not in shown


@pytest.mark.django_db
def test_the_page_shows_a_changed_incident_at_once(client_for, agent_l1, l1_group):
    incident = IncidentFactory(support_group=l1_group, title="Printer jammed")
    client = client_for(agent_l1)
    assert "Printer jammed" in client.get("/agent/incidents/", {"tab": "all"}).content.decode()
    incident.title = "Printer on fire"
    incident.version += 1
    incident.save(update_fields=["title", "version"])
    page = client.get("/agent/incidents/", {"tab": "all"}).content.decode()
    assert "Printer on fire" in page
    assert "Printer jammed" not in page
