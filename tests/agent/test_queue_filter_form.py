"""The queue's filter form is rendered once per query string and kept with the select options
(incidents.views.queue_filters): it still shows each request's own values, and a new option
appears at once."""

from datetime import timedelta

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


# The validated filter form is kept per query string and time zone, when its values read no row.


def _filterset(client, params):
    return client.get(URL, params).context["filterset"]


def test_the_same_query_string_gets_the_kept_validated_form(client_for, agent_l1):
    client = client_for(agent_l1)
    first = _filterset(client, {"q": "printer", "priority": "1"})
    again = _filterset(client, {"q": "printer", "priority": "1"})
    other = _filterset(client, {"q": "printer", "priority": "2"})
    assert again.form is first.form
    assert other.form is not first.form
    assert other.form.cleaned_data["priority"] == "2"


def test_a_form_that_read_a_row_is_not_kept(client_for, agent_l1, l1_group):
    client = client_for(agent_l1)
    first = _filterset(client, {"support_group": l1_group.pk})
    assert first.form.cleaned_data["support_group"] == l1_group
    # A group made inactive since is no longer a valid choice: the form is validated again,
    # even before the select options are forgotten (an update without signals, as another
    # process's change looks here until CONFIG_MEMO_RECHECK_SECONDS).
    type(l1_group).objects.filter(pk=l1_group.pk).update(is_active=False)
    again = _filterset(client, {"support_group": l1_group.pk})
    assert again.form is not first.form
    assert not again.form.is_valid()


def test_dates_are_read_in_each_time_zone(rf, agent_l1):
    from django.utils import timezone

    request = rf.get(URL, {"created_after": "2026-03-09T10:00"})
    with timezone.override("UTC"):
        in_utc = queue_filters.queue_filterset(request, agent_l1).form.cleaned_data
    with timezone.override("Europe/Berlin"):
        in_berlin = queue_filters.queue_filterset(request, agent_l1).form.cleaned_data
    assert in_utc["created_after"] - in_berlin["created_after"] == timedelta(hours=1)


def test_an_invalid_form_is_not_kept(client_for, agent_l1):
    client = client_for(agent_l1)
    first = _filterset(client, {"priority": "9"})
    assert not first.form.is_valid()
    assert _filterset(client, {"priority": "9"}).form is not first.form
