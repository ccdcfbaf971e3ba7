"""Every registered per-process memo is forgotten between tests (tests/conftest.py), so none
filled by earlier tests reaches its bound in the middle of a later one."""

from core import kept_statements
from core.process_memos import KeptTexts, forget_process_memos, process_memo
from core.web import kept_fragments, timeline_html


def test_a_registered_memo_is_forgotten() -> None:
    memo = process_memo({"kept": 1})
    forget_process_memos()
    assert memo == {}


def test_the_kept_statements_and_page_parts_are_registered() -> None:
    kept_statements._ROWS[("test", "key")] = ("default", None)
    kept_fragments._kept.get(("test", "key"), str, "<p>kept</p>")
    timeline_html._kept.get(("test", "key"), str, "<li>kept</li>")
    assert len(kept_fragments._kept) == len(timeline_html._kept) == 1
    forget_process_memos()
    assert not kept_statements._ROWS and not kept_fragments._kept and not timeline_html._kept


def test_kept_texts_are_made_once_and_start_over_when_full() -> None:
    texts = KeptTexts(2)
    made = []

    def make(text: str) -> str:
        made.append(text)
        return text

    assert texts.get("a", make, "A") == texts.get("a", make, "not made") == "A"
    texts.get("b", make, "B")
    assert made == ["A", "B"] and sorted(texts) == ["a", "b"]
    texts.get("c", make, "C")  # full: forgets a and b
    assert list(texts) == ["c"] and texts.get("a", make, "A2") == "A2"
    forget_process_memos()
    assert len(texts) == 0
