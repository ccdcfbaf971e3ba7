"""The queue's filter form is rendered once per query string and kept with the select options
(incidents.views.queue_filters): it still shows each request's own values, and a new option
appears at once."""

import pytest

from incidents.views import queue_filters
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

URL = "/agent/incidents/"


def _form(body: str) -> str:
    start = body.index('<form method="get"')
    return body[start : body.index("</form>", start)]


def test_each_query_string_gets_its_own_values(client_for, agent_l1, monkeypatch):
    client = client_for(agent_l1)
    first = _form(client.get(URL, {"q": "printer"}).content.decode())
    second = _form(client.get(URL, {"q": "scanner", "tab": "mine"}).content.decode())
    assert 'value="printer"' in first and 'value="scanner"' not in first
    assert 'value="scanner"' in second and 'name="tab" value="mine"' in second
    # The same query string again comes from the memo, not the template engine.
    monkeypatch.setattr(queue_filters, "render_to_string", None)
    assert _form(client.get(URL, {"q": "printer", "page": "1"}).content.decode()) == first


def test_a_new_service_appears_in_the_kept_form(client_for, agent_l1):
    client = client_for(agent_l1)
    client.get(URL)
    ServiceFactory(name="Zebra printers")
    assert "Zebra printers" in _form(client.get(URL).content.decode())


def test_the_kept_forms_are_bounded(client_for, agent_l1, monkeypatch):
    monkeypatch.setattr(queue_filters, "FORMS_KEPT", 2)
    client = client_for(agent_l1)
    for n in range(4):
        assert f'value="term{n}"' in _form(client.get(URL, {"q": f"term{n}"}).content.decode())
    kept = queue_filters.CHOICES_MEMO.get(queue_filters._MEMO_KEY, dict)
    assert len(kept) == 2
