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


# The validated filter form is kept per query string and FilterSet class
# (core.web.list_filters.kept_filterset), when its values read no row.


def _filterset(client, url, params):
    return client.get(url, params).context["filterset"]


def test_the_same_query_string_gets_the_kept_validated_form(client_for, agent_l1):
    client = client_for(agent_l1)
    first = _filterset(client, URL, {"q": "disk", "status": "new"})
    assert _filterset(client, URL, {"q": "disk", "status": "new"}).form is first.form
    other = _filterset(client, URL, {"q": "disk", "status": "known_error"})
    assert other.form is not first.form and other.form.cleaned_data["status"] == ["known_error"]


def test_each_list_keeps_its_own_form(client_for, agent_l1):
    client = client_for(agent_l1)
    problems = _filterset(client, URL, {"q": "disk"})
    requests = _filterset(client, "/agent/requests/", {"q": "disk"})
    assert type(requests).__name__ == "RequestFilterSet"
    assert requests.form is not problems.form
    assert _filterset(client, URL, {"q": "disk"}).form is problems.form


def test_a_picked_service_is_validated_again(client_for, agent_l1, service):
    client = client_for(agent_l1)
    first = _filterset(client, URL, {"service": service.pk})
    assert first.form.cleaned_data["service"] == service
    type(service).objects.filter(pk=service.pk).update(is_active=False)
    assert not _filterset(client, URL, {"service": service.pk}).form.is_valid()


def test_an_invalid_form_is_not_kept_and_shows_its_errors(client_for, agent_l1):
    client = client_for(agent_l1)
    first = client.get(URL, {"status": "nonsense"})
    again = client.get(URL, {"status": "nonsense"})
    assert again.context["filterset"].form is not first.context["filterset"].form
    assert 'aria-invalid="true"' in _form(again.content.decode())
