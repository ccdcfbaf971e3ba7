"""The README tells the truth about what exists: every address it documents resolves in the URL
configuration, every page the navigation leads to is in its address table, and no feature is
called missing or unfinished (it once said the API and reporting were "not there yet" while
both were)."""

import re
from pathlib import Path

import pytest
from django.urls import Resolver404, resolve, reverse

README = Path(__file__).resolve().parents[2] / "README.md"

# Wordings that call a feature missing or unfinished. A feature that really is missing is left
# out of the README, not announced.
NOT_THERE_PHRASES = (
    "not there yet",
    "being built",
    "coming soon",
    "not yet available",
    "not implemented",
    "not built yet",
    "under construction",
    "work in progress",
)

_ADDRESS = re.compile(r"`(/[^`\s]*)`")


def _readme() -> str:
    return README.read_text(encoding="utf-8")


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n{heading}\n")
    following = re.search(r"\n#{1,3} ", text[start + len(heading) + 2 :])
    end = start + len(heading) + 2 + following.start() if following else len(text)
    return text[start:end]


def _table_addresses() -> set[str]:
    """The addresses of the "Where things are" table: each row's own and those its text names."""
    table = _section(_readme(), "### Where things are")
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    return {address for row in rows for address in _ADDRESS.findall(row)}


def _documented_paths() -> set[str]:
    """Every absolute path written in backticks anywhere in the README, without its query; those
    with a placeholder (`{number}`, `<name>`, `…`) are not addresses one can open."""
    paths = set()
    for address in _ADDRESS.findall(_readme()):
        path = address.split("?")[0]
        if not re.search(r"[{}<>…*]", path):
            paths.add(path)
    return paths


def test_the_readme_calls_nothing_missing() -> None:
    text = " ".join(_readme().lower().split())
    found = [phrase for phrase in NOT_THERE_PHRASES if phrase in text]
    assert found == []


def test_the_address_table_is_read() -> None:
    # The parsing itself: a table that stopped being found would make the tests below vacuous.
    addresses = _table_addresses()
    assert {"/", "/portal/", "/agent/incidents/", "/manager/dashboard/", "/api/docs/"} <= addresses
    assert len(_documented_paths()) > 30


@pytest.mark.parametrize("path", sorted(_documented_paths()))
def test_every_documented_address_exists(path: str) -> None:
    try:
        resolve(path)
    except Resolver404:
        pytest.fail(f"README documents {path}, which no URL pattern serves.")


def _navigation_links(page: str) -> set[str]:
    navs = re.findall(r"<nav\b.*?</nav>", page, re.S)
    header = re.search(r"<header\b.*?</header>", page, re.S)
    chrome = " ".join([*navs, header.group(0) if header else ""])
    links = set(re.findall(r'href="(/[^"#?]*)"', chrome))
    return {link for link in links if not link.startswith("/static/")}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin_user", "end_user"])
def test_every_page_the_navigation_leads_to_is_in_the_address_table(
    role: str, request: pytest.FixtureRequest, client_for
) -> None:
    user = request.getfixturevalue(role)
    page = client_for(user).get(reverse("portal:home")).content.decode()
    links = _navigation_links(page)
    assert links, "no navigation found on the portal page"
    missing = sorted(links - _table_addresses() - {reverse("logout")})
    assert missing == [], f"in the navigation, not in the README's address table: {missing}"
