"""The top bar's structure on phones, checked without a browser (tests/e2e/
test_phone_navigation.py measures it in Chromium): the main links wrap instead of scrolling
out of sight, and the account links sit in one disclosure that needs no script."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from core.models import User

CSS = Path(settings.BASE_DIR) / "static" / "css" / "app.css"


def _phone_rules() -> str:
    css = CSS.read_text()
    start = css.index("/* --- Phones")
    return css[start : css.index("@media (prefers-reduced-motion", start)]


def _rule(css: str, selector: str) -> str:
    match = re.search(rf"(?m)^\s*{re.escape(selector)} \{{([^}}]*)\}}", css)
    assert match, selector
    return match.group(1)


def test_on_a_phone_the_main_links_wrap_instead_of_scrolling_out_of_sight() -> None:
    phone = _phone_rules()
    assert "flex-wrap: wrap" in _rule(phone, ".mainnav ul")
    assert "overflow" not in _rule(phone, ".mainnav")
    assert "nowrap" not in _rule(phone, ".mainnav ul")


@pytest.mark.django_db
def test_the_account_links_are_one_disclosure_without_inline_script(
    client_for, agent_l1: User
) -> None:
    body = client_for(agent_l1).get("/agent/incidents/").content.decode()
    header = body.split('<header class="topbar">', 1)[1].split("</header>", 1)[0]
    assert '<details class="account account-menu">' in header
    assert '<summary class="btn btn-ghost btn-small account-toggle">' in header
    assert "onclick" not in header and "<script" not in header
