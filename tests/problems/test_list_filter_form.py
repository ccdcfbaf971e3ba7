"""The problem list's filter form is rendered once per query string and kept with its select
options (core.web.list_filters): each request sees its own values, and a new service at once."""

import pytest

from core.web import list_filters
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

URL = "/agent/problems/"


def _form(body: str) -> str:
    start = body.index('<form method="get"')
    return body[start : body.index("</form>", start)]


def test_each_query_string_gets_its_own_values(client_for, agent_l1, monkeypatch):
    client = client_for(agent_l1)
    first = _form(client.get(URL, {"q": "disk", "status": "new"}).content.decode())
    second = _form(client.get(URL, {"q": "memory"}).content.decode())
    assert 'value="disk"' in first and 'value="new" id="id_status_0" checked' in first
    assert 'value="memory"' in second and "checked" not in second
    monkeypatch.setattr(list_filters, "render_to_string", None)
    assert _form(client.get(URL, {"q": "disk", "status": "new"}).content.decode()) == first


def test_a_new_service_appears_in_the_kept_form(client_for, agent_l1):
    client = client_for(agent_l1)
    client.get(URL)
    ServiceFactory(name="Zebra printers")
    assert "Zebra printers" in _form(client.get(URL).content.decode())
