"""Every registered per-process memo is forgotten between tests (tests/conftest.py), so none
filled by earlier tests reaches its bound in the middle of a later one."""

from core import kept_statements
from core.process_memos import forget_process_memos, process_memo
from core.web import kept_fragments, timeline_html


def test_a_registered_memo_is_forgotten() -> None:
    memo = process_memo({"kept": 1})
    forget_process_memos()
    assert memo == {}


def test_the_kept_statements_and_page_parts_are_registered() -> None:
    kept_statements._ROWS[("test", "key")] = ("default", None)
    kept_fragments._kept[("test", "key")] = "<p>kept</p>"
    timeline_html._kept[("test", "key")] = "<li>kept</li>"
    forget_process_memos()
    assert not kept_statements._ROWS and not kept_fragments._kept and not timeline_html._kept
