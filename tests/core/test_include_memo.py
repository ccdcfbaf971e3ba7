"""`{% include_memo %}` (core/templatetags/chrome.py) writes exactly what `{% include … only %}`
writes, for every role and section of the main navigation, whether it renders or reuses; the
included template sees only the values it is given, and a new URL prefix renders anew."""

import itertools

import pytest
from django.template import Context, Engine, Template
from django.template.loader import get_template
from django.urls import clear_script_prefix, reverse, set_script_prefix

from core.templatetags import chrome

pytestmark = pytest.mark.django_db

NAV = "includes/main_nav.html"
MEMO = Template(
    '{% load chrome %}{% include_memo "includes/main_nav.html" current=current '
    "namespace=namespace is_agent=is_agent is_manager=is_manager is_staff=is_staff %}"
)
# Sections whose links the navigation marks as current, and some it does not.
SECTIONS = [
    ("incidents", "agent_list"),
    ("incidents", "portal_report"),
    ("problems", "agent_detail"),
    ("problems", "portal_search"),
    ("changes", "portal_detail"),
    ("requests", "agent_detail"),
    ("requests", "catalog_item"),
    ("requests", "approval_detail"),
    ("portal", "home"),
    ("portal", "tickets"),
    ("oncall", "now"),
    ("slo", "list"),
    ("reporting", "dashboard"),
    ("email_intake", "message"),
    ("core", "preferences"),
    ("", ""),
]
ROLES = list(itertools.product([False, True], repeat=3))


def _include(values: dict[str, object]) -> str:
    return get_template(NAV).render(values)


@pytest.mark.parametrize(("namespace", "current"), SECTIONS)
def test_the_memo_is_the_include_to_the_byte_rendered_and_reused(namespace, current) -> None:
    for is_agent, is_manager, is_staff in ROLES:
        values = {
            "current": current,
            "namespace": namespace,
            "is_agent": is_agent,
            "is_manager": is_manager,
            "is_staff": is_staff,
        }
        expected = _include(values)
        assert MEMO.render(Context(values)) == expected  # rendered (or reused)
        assert MEMO.render(Context(values)) == expected  # reused


def test_the_navigation_marks_the_current_section() -> None:
    values = {"namespace": "problems", "current": "agent_list", "is_agent": True}
    html = MEMO.render(Context({**values, "is_manager": False, "is_staff": False}))
    assert f'href="{reverse("problems:agent_list")}" aria-current="page">Problems' in html
    assert html.count('aria-current="page"') == 1
    assert "Dashboard" not in html and "Admin" not in html


def test_the_included_template_sees_only_the_values_it_is_given() -> None:
    page = Template('{% load chrome %}{% include_memo "includes/main_nav.html" is_agent=True %}')
    # is_staff, is_manager in the page's context do not reach the navigation.
    html = page.render(Context({"is_staff": True, "is_manager": True}))
    assert "Admin" not in html and "Dashboard" not in html


def test_a_new_script_prefix_renders_anew() -> None:
    values = {"namespace": "", "current": "", "is_agent": True}
    values |= {"is_manager": False, "is_staff": False}
    plain = MEMO.render(Context(values))
    set_script_prefix("/desk/")
    try:
        prefixed = MEMO.render(Context(values))
    finally:
        clear_script_prefix()
    assert 'href="/desk/agent/incidents/"' in prefixed
    assert prefixed == plain.replace('href="/', 'href="/desk/')


def test_the_memo_stays_bounded(monkeypatch) -> None:
    monkeypatch.setattr(chrome, "MEMO_SIZE", 3)
    for index in range(10):
        MEMO.render(Context({"current": f"page_{index}", "namespace": "x"}))
    memo = chrome._memos[Engine.get_default().get_template(NAV)]
    assert 1 <= len(memo) <= 3
