"""A list page's digest of its rows and their SLA clocks (core.web.list_marker.rows_digest), the
part of the refresh's marker read from the database: the same for the same rows and clocks in
whatever order the clocks come and in every process, different for any change, and kept per
row so that a page read again pickles nothing."""

from datetime import UTC, datetime

import pytest

from core.process_memos import forget_process_memos
from core.web import list_marker
from core.web.list_marker import rows_digest

AT = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
ROWS = [(1, "INC-1", "Printer offline", 3), (2, "INC-2", "Mail down", 1), (3, "INC-3", "VPN", 2)]
CLOCKS = [
    (1, "response", "running", AT, None, "24x7", "{}"),
    (2, "resolution", "paused", AT, AT, "24x7", "{}"),
    (1, "resolution", "running", AT, None, "24x7", "{}"),
    (2, "response", "met", None, None, "24x7", "{}"),
]


def test_the_clocks_order_does_not_matter_the_rows_order_does():
    digest = rows_digest(ROWS, CLOCKS)
    assert rows_digest(ROWS, list(reversed(CLOCKS))) == digest
    assert rows_digest(list(reversed(ROWS)), CLOCKS) != digest


@pytest.mark.parametrize(
    ("rows", "clocks"),
    [
        ([*ROWS[:2], (3, "INC-3", "VPN", 1)], CLOCKS),  # a row's value
        (ROWS, [*CLOCKS[:3], (2, "response", "breached", None, None, "24x7", "{}")]),  # a clock
        (ROWS, CLOCKS[:3]),  # a clock fewer
        (ROWS[:2], CLOCKS),  # a row fewer
    ],
)
def test_any_change_is_another_digest(rows, clocks):
    assert rows_digest(rows, clocks) != rows_digest(ROWS, CLOCKS)


def test_a_row_read_again_is_not_pickled_again(monkeypatch):
    digest = rows_digest(ROWS, CLOCKS)

    def refuse(*args, **kwargs):
        raise AssertionError("a kept row was pickled again")

    monkeypatch.setattr(list_marker.pickle, "dumps", refuse)
    # Equal rows read anew (other objects, as the next request reads them) hit the memo.
    again = [(*row,) for row in ROWS]
    assert rows_digest(again, [(*clock,) for clock in CLOCKS]) == digest


def test_another_process_digests_the_same_rows_alike():
    digest = rows_digest(ROWS, CLOCKS)
    forget_process_memos()
    assert rows_digest(ROWS, CLOCKS) == digest
