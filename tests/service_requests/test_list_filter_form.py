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


# The validated filter form is kept per query string (core.web.list_filters.kept_filterset),
# when its values read no row.


def _filterset(client, params):
    return client.get(URL, params).context["filterset"]


def test_the_same_query_string_gets_the_kept_validated_form(client_for, agent_l1):
    client = client_for(agent_l1)
    first = _filterset(client, {"q": "printer", "status": "submitted"})
    again = _filterset(client, {"q": "printer", "status": "submitted"})
    other = _filterset(client, {"q": "printer", "status": "fulfilled"})
    assert again.form is first.form
    assert other.form is not first.form
    assert other.form.cleaned_data["status"] == ["fulfilled"]


def test_a_form_that_read_a_row_is_not_kept(client_for, agent_l1, mfa, l1_group):
    client = client_for(agent_l1)
    first = _filterset(client, {"catalog_item": mfa.pk})
    assert first.form.cleaned_data["catalog_item"] == mfa
    assert _filterset(client, {"catalog_item": mfa.pk}).form is not first.form
    # A group made inactive since (an update without signals, as another process's change
    # looks here until CONFIG_MEMO_RECHECK_SECONDS) is refused at once.
    assert _filterset(client, {"support_group": l1_group.pk}).form.is_valid()
    type(l1_group).objects.filter(pk=l1_group.pk).update(is_active=False)
    assert not _filterset(client, {"support_group": l1_group.pk}).form.is_valid()


def test_an_invalid_form_is_not_kept_and_shows_its_errors(client_for, agent_l1):
    client = client_for(agent_l1)
    first = client.get(URL, {"status": "nonsense"})
    again = client.get(URL, {"status": "nonsense"})
    assert not first.context["filterset"].form.is_valid()
    assert again.context["filterset"].form is not first.context["filterset"].form
    assert 'aria-invalid="true"' in _form(again.content.decode())


def test_a_new_memo_generation_makes_the_form_again(client_for, agent_l1):
    client = client_for(agent_l1)
    first = _filterset(client, {"q": "printer"})
    SupportGroupFactory(name="Zebra desk")  # the select options change: CHOICES_MEMO starts over
    assert _filterset(client, {"q": "printer"}).form is not first.form
