"""The request list's filter form is rendered once per query string and kept with its select
options (core.web.list_filters): it still shows each request's own values and errors, and a
changed catalog item, group or agent appears at once."""

import pytest

from core.web import list_filters
from service_requests.filtersets import catalog_items_token
from tests.factories import SupportGroupFactory

pytestmark = pytest.mark.django_db

URL = "/agent/requests/"


def _form(body: str) -> str:
    start = body.index('<form method="get"')
    return body[start : body.index("</form>", start)]


def test_each_query_string_gets_its_own_values(client_for, agent_l1, mfa, monkeypatch):
    client = client_for(agent_l1)
    first = _form(client.get(URL, {"q": "printer", "status": "submitted"}).content.decode())
    second = _form(client.get(URL, {"q": "scanner", "open": "false"}).content.decode())
    assert 'value="printer"' in first and 'value="scanner"' not in first
    assert 'value="submitted" id="id_status_0" checked' in first
    assert 'value="scanner"' in second and 'id="id_open" checked' not in second
    # The same query string again comes from the memo, not the template engine.
    monkeypatch.setattr(list_filters, "render_to_string", None)
    again = client.get(URL, {"q": "printer", "status": "submitted", "page": "2"})
    assert _form(again.content.decode()) == first


def test_a_changed_catalog_item_or_group_appears_in_the_kept_form(client_for, agent_l1, mfa):
    client = client_for(agent_l1)
    token = catalog_items_token()
    assert "Reset MFA" in _form(client.get(URL).content.decode())
    mfa.name = "Reset MFA token"
    mfa.save()
    assert catalog_items_token() is not token
    assert "Reset MFA token" in _form(client.get(URL).content.decode())
    SupportGroupFactory(name="Zebra desk")
    assert "Zebra desk" in _form(client.get(URL).content.decode())


def test_the_kept_forms_are_bounded(client_for, agent_l1, monkeypatch):
    monkeypatch.setattr(list_filters, "FORMS_KEPT", 2)
    client = client_for(agent_l1)
    for n in range(4):
        assert f'value="term{n}"' in _form(client.get(URL, {"q": f"term{n}"}).content.decode())
    kept = list_filters.CHOICES_MEMO.get(
        ("filter-forms", "service_requests/agent/_filters.html"), dict
    )
    assert len(kept) == 2
