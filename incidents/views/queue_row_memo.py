"""The queue's rows, made once and kept while what they are made from and every text they show
stay the same (issue 18).

Making a page's fifty rows (their SLA state and time left, the badge, the row's HTML and its
fingerprint) was some 40 % of the queue's CPU, yet from one request and refresh to the next
nearly every row is made from the same values and reads the same. A row is kept under
everything it is made from: the incident as the page's query reads it (incidents.selectors.
QueueItem, its version and every value the row shows), its SLA clocks as the clocks' query
reads them (sla.row_clocks, the snapshot's policy name and calendar included), and the viewer
(incidents.views.queue_rows.RowViewer: their id, time zone, the URLs of the incident page and
of the claim, and the refresh URL the claim form returns to). The row's texts also depend on
the instant: the badge's state and time left are kept only from the instant the row was made
until the first instant the server would write its badge differently
(sla.badge.badge_holds_until); the age, which moves every minute, and the claim form's CSRF
input, which Django masks afresh for every request, are put in on every request
(queue_rows.shown_row). At most ROWS_KEPT rows are kept per process (then all are forgotten);
entries are never changed once kept, so threads may share them.
"""

from datetime import datetime
from typing import Any

from incidents.selectors import QueueItem
from incidents.views.queue_rows import RowViewer, queue_row_html
from sla.row_clocks import ClockRow
from sla.row_memo import BadgeRow, BadgeRowMemo

# About 4.5 KB each (the HTML, the key's values and clock rows): some 9 MB per process at most.
ROWS_KEPT = 2048
ROWS = BadgeRowMemo(ROWS_KEPT)


def made_row(
    incident: QueueItem,
    clock_rows: tuple[ClockRow, ...],
    viewer: RowViewer,
    now: datetime,
    calendars: dict[str | None, dict[str, Any]],
) -> BadgeRow:
    """The row of `incident` with these clocks (its rows of sla.row_clocks.row_clock_rows, in
    the order they came) for `viewer` at `now`: kept, or made now (and kept). `calendars`: the
    page's calendars decoded so far (sla.row_clocks.row_clocks)."""
    return ROWS.row(
        (viewer, incident),
        clock_rows,
        now,
        calendars,
        lambda badge: queue_row_html(incident, badge, viewer),
        zone=viewer.zone,
    )


def forget_rows() -> None:
    """Forget every kept row (tests)."""
    ROWS.clear()
