"""The queue page's body is written once per query string and page and kept
(incidents.views.queue_body): a kept body filled in is the page written afresh, whatever
changed in the data (counts, rows, the ETag), each request's CSRF token included; another query
string or page is another body; nothing a query string carries can fill a slot."""

import re
from unittest import mock

import pytest
from django.middleware import csrf

from core.process_memos import forget_process_memos
from incidents.views import queue_body

pytestmark = pytest.mark.django_db

URL = "/agent/incidents/"
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _page(client, url: str = URL) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _masked(html: str) -> str:
    return _TOKEN.sub('name="csrfmiddlewaretoken" value="-"', html)


@pytest.fixture
def renders(monkeypatch):
    """How many times a body was written through the template engine."""
    written = []
    render = queue_body.render_to_string

    def counted(*args, **kwargs):
        written.append(args[0])
        return render(*args, **kwargs)

    monkeypatch.setattr(queue_body, "render_to_string", counted)
    return written


def test_a_kept_body_is_the_page_written_afresh(client_for, agent_l1, make_incident):
    for n in range(3):
        make_incident(f"Printer {n} offline")
    client = client_for(agent_l1)
    _page(client)
    kept = _page(client)
    forget_process_memos()
    assert _masked(kept) == _masked(_page(client))


def test_the_body_is_written_once_per_query_string_and_page(
    client_for, agent_l1, make_incident, renders
):
    make_incident("Printer offline")
    client = client_for(agent_l1)
    _page(client)
    _page(client)
    assert len(renders) == 1
    _page(client, f"{URL}?tab=mine")
    _page(client, f"{URL}?page=2")
    assert len(renders) == 3


def test_new_counts_rows_and_etag_fill_a_kept_body(client_for, agent_l1, make_incident, renders):
    make_incident("Printer offline")
    client = client_for(agent_l1)
    _page(client)
    make_incident("Scanner offline")
    response = client.get(URL)
    html = response.content.decode()
    assert len(renders) == 1
    assert "Incidents, 2 in this view, page 1" in html
    assert "Scanner offline" in html and "Printer offline" in html
    # The ETag as the template escaped it, quotes and all.
    etag = response.headers["ETag"].replace('"', "&quot;")
    assert f'data-etag="{etag}"' in html
    forget_process_memos()
    assert _masked(html) == _masked(_page(client))


def test_every_form_carries_one_token_masked_once_per_page(client_for, agent_l1, make_incident):
    for n in range(2):
        make_incident(f"Printer {n} offline")  # unassigned: each row has a claim form
    client = client_for(agent_l1)
    _page(client)
    with mock.patch.object(csrf, "_mask_cipher_secret", wraps=csrf._mask_cipher_secret) as mask:
        html = _page(client)
    tokens = set(_TOKEN.findall(html))
    assert len(_TOKEN.findall(html)) >= 3  # the bulk form and two claim forms
    assert len(tokens) == 1 and mask.call_count == 1


def test_a_query_string_cannot_fill_a_slot(client_for, agent_l1, make_incident):
    make_incident("Printer offline")
    client = client_for(agent_l1)
    html = _page(client, f"{URL}?q=%3C!--rows--%3E%3C!--count--%3E&tab=all")
    assert "<!--" not in html.split("<main", 1)[1]
    assert "&lt;!--rows--&gt;&lt;!--count--&gt;" in html  # the search box shows it, escaped
    assert "Incidents, 0 in this view" in html
