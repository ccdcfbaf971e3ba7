"""End users' known-error search and the suggestions shown while typing a report's title:
only published known errors (status known error, with a workaround), never the root cause."""

import pytest
from django.urls import reverse

from problems.choices import ProblemStatus
from problems.views.portal_search import SUGGESTION_LIMIT, search_words
from tests.problems.factories import KnownErrorFactory, ProblemFactory

pytestmark = pytest.mark.django_db

SUGGEST = reverse("problems:portal_suggest")
SEARCH = reverse("problems:portal_search")


def test_search_words_drop_noise_and_stem():
    assert search_words("Outlook keeps asking for the password!") == [
        "outlook",
        "asking",
        "password",
    ]
    assert search_words("Printers printing") == ["printer", "print"]
    assert search_words("it is not working") == []
    assert len(search_words(" ".join(f"word{i}x" for i in range(20)))) == 8


@pytest.fixture
def outlook(service):
    return KnownErrorFactory(
        title="Outlook asks for the password again",
        workaround="Remove the saved **credentials** and sign in once.",
        root_cause="SECRET-ROOT-CAUSE certificate rotation",
        service=service,
    )


def test_suggestions_match_the_title_words(client_for, end_user, outlook):
    KnownErrorFactory(title="VPN drops every hour", workaround="Reconnect.")
    response = client_for(end_user).get(
        SUGGEST, {"title": "outlook password prompt"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Outlook asks for the password again" in body
    assert "<strong>credentials</strong>" in body
    assert "VPN drops" not in body
    assert "SECRET-ROOT-CAUSE" not in body
    assert "<html" not in body


def test_suggestions_only_show_published_known_errors(client_for, end_user):
    KnownErrorFactory(title="Printer offline published", workaround="Use the other printer.")
    KnownErrorFactory(title="Printer offline without workaround", workaround="")
    for status in (
        ProblemStatus.NEW,
        ProblemStatus.INVESTIGATING,
        ProblemStatus.RESOLVED,
        ProblemStatus.CLOSED,
    ):
        ProblemFactory(title=f"Printer offline {status}", workaround="Hidden", status=status)
    body = client_for(end_user).get(SUGGEST, {"title": "printer offline"}).content.decode()
    assert body.count('class="suggestion"') == 1
    assert "Printer offline published" in body


def test_at_most_five_suggestions_best_first(client_for, end_user):
    for index in range(7):
        KnownErrorFactory(title=f"Scanner issue {index}", workaround="Restart the scanner.")
    best = KnownErrorFactory(title="Scanner jams on duplex pages", workaround="Feed one by one.")
    response = client_for(end_user).get(SUGGEST, {"title": "scanner jams duplex"})
    matches = response.context["known_errors"]
    assert len(matches) == SUGGESTION_LIMIT
    assert matches[0] == best


@pytest.mark.parametrize("title", ["", "   ", "it is not working", "a"])
def test_no_suggestions_for_empty_or_noise(client_for, end_user, outlook, title):
    response = client_for(end_user).get(SUGGEST, {"title": title})
    assert response.status_code == 200
    assert response.content.decode().strip() == ""


def test_suggestions_need_a_login(client, outlook):
    response = client.get(SUGGEST, {"title": "outlook"})
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert client.get(SEARCH).status_code == 302


def test_report_form_asks_for_suggestions_while_typing(client_for, end_user):
    body = client_for(end_user).get(reverse("incidents:portal_report")).content.decode()
    assert f'hx-get="{SUGGEST}"' in body
    assert 'hx-trigger="keyup changed delay:300ms"' in body
    assert 'hx-target="#known-error-suggestions"' in body
    assert 'id="known-error-suggestions"' in body and 'aria-live="polite"' in body


def test_prefilled_title_loads_its_suggestions(client_for, end_user):
    response = client_for(end_user).get(reverse("incidents:portal_report"), {"title": "VPN drops"})
    body = response.content.decode()
    assert 'value="VPN drops"' in body
    assert f'hx-get="{SUGGEST}?title=VPN%20drops" hx-trigger="load"' in body


def test_search_page_finds_and_links_to_reporting(client_for, end_user, outlook):
    client = client_for(end_user)
    found = client.get(SEARCH, {"q": "password"}).content.decode()
    assert "1 known issue matches" in found and "Outlook asks for the password again" in found
    assert "SECRET-ROOT-CAUSE" not in found
    nothing = client.get(SEARCH, {"q": "teleporter"}).content.decode()
    assert "No known issue matches" in nothing
    assert reverse("incidents:portal_report") + "?title=teleporter" in nothing


def test_search_page_without_query_lists_current_known_issues(client_for, end_user, outlook):
    body = client_for(end_user).get(SEARCH).content.decode()
    assert "1 known issue right now." in body and outlook.title in body


def test_search_page_empty_states(client_for, end_user):
    client = client_for(end_user)
    assert "No known issues right now" in client.get(SEARCH).content.decode()
    assert "Tell us a bit more" in client.get(SEARCH, {"q": "the and"}).content.decode()


def test_search_page_paginates(client_for, end_user):
    for index in range(12):
        KnownErrorFactory(title=f"Wi-Fi issue {index}", workaround="Forget the network.")
    client = client_for(end_user)
    assert len(client.get(SEARCH, {"q": "wi-fi"}).context["page"].object_list) == 10
    assert len(client.get(SEARCH, {"q": "wi-fi", "page": 2}).context["page"].object_list) == 2
