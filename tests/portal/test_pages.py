"""Every portal page renders for its user, anonymous visitors are sent to sign in, and what we
render respects the strict CSP (no inline script, style or event handler) and the shell's
accessibility basics (skip link, one main landmark, labelled navigation)."""

import re

import pytest
from django.urls import reverse

from incidents.choices import IncidentStatus
from service_requests.choices import RequestStatus
from tests.problems.factories import KnownErrorFactory

pytestmark = pytest.mark.django_db

INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    re.compile(r"\sstyle\s*=", re.I),
    re.compile(r"\son[a-z]+\s*=", re.I),
    re.compile(r"<style", re.I),
]


@pytest.fixture
def pages(make_incident, make_request, catalog_item, service):
    incident = make_incident(IncidentStatus.RESOLVED)
    sr = make_request(RequestStatus.FULFILLED)
    KnownErrorFactory(
        title="Outlook asks for the password", workaround="Sign in once.", service=service
    )
    return [
        reverse("portal:home"),
        reverse("portal:tickets"),
        reverse("portal:tickets") + "?show=waiting&kind=requests",
        reverse("incidents:portal_report"),
        reverse("incidents:portal_list"),
        reverse("incidents:portal_detail", args=[incident.number]),
        reverse("requests:catalog"),
        reverse("requests:catalog_item", args=[catalog_item.slug]),
        reverse("requests:portal_list"),
        reverse("requests:portal_detail", args=[sr.number]),
        reverse("problems:portal_search"),
        reverse("problems:portal_search") + "?q=outlook",
        reverse("problems:portal_suggest") + "?title=outlook",
    ]


def _check_csp_safe(url: str, body: str) -> None:
    for pattern in INLINE:
        assert not pattern.search(body), f"{url}: inline {pattern.pattern}"


def test_every_portal_page_renders_and_is_csp_safe(client_for, end_user, pages):
    client = client_for(end_user)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        _check_csp_safe(url, response.content.decode())


def test_anonymous_visitors_are_sent_to_sign_in(client, pages):
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"], url


def test_shell_basics(client_for, end_user):
    body = client_for(end_user).get(reverse("portal:home")).content.decode()
    assert '<a class="skip-link" href="#main">Skip to content</a>' in body
    assert body.count("<main") == 1 and 'id="main"' in body
    assert '<nav class="mainnav" aria-label="Main">' in body
    assert 'href="' + reverse("portal:tickets") + '" aria-current="page"' not in body
    assert '<html lang="en">' in body


def test_nav_marks_my_tickets_on_ticket_pages(client_for, end_user, make_incident):
    incident = make_incident()
    body = (
        client_for(end_user)
        .get(reverse("incidents:portal_detail", args=[incident.number]))
        .content.decode()
    )
    assert 'href="' + reverse("portal:tickets") + '" aria-current="page">My tickets' in body


def _current(body: str) -> list[str]:
    """The main navigation's links marked as the current page, by their text."""
    nav = body.split('<nav class="mainnav" aria-label="Main">', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'aria-current="page">([^<]+)</a>', nav)


@pytest.mark.parametrize(
    ("user", "url", "current"),
    [
        ("end_user", reverse("portal:home"), ["Home"]),
        ("end_user", reverse("portal:tickets"), ["My tickets"]),
        ("end_user", reverse("problems:portal_search"), ["Home"]),
        ("end_user", reverse("requests:portal_list"), ["My tickets"]),
        ("agent_l1", reverse("portal:home"), ["Portal"]),
        ("agent_l1", reverse("portal:tickets"), []),
    ],
)
def test_nav_marks_the_current_portal_page(client_for, request, user, url, current):
    body = client_for(request.getfixturevalue(user)).get(url).content.decode()
    assert _current(body) == current


def test_login_page(client):
    response = client.get(reverse("login"))
    body = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_username">Username</label>' in body
    assert '<label for="id_password">Password</label>' in body
    assert 'id="login-submit"' in body
    _check_csp_safe("login", body)
    failed = client.post(reverse("login"), {"username": "nobody", "password": "wrong"})
    assert "did not match" in failed.content.decode()
    assert 'aria-invalid="true"' in failed.content.decode()
