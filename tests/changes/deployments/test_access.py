"""Who may report and read deployments: a token with the `deployments` scope reports and can do
nothing else; reading needs `read`; only agents do either; end users see nothing."""

import pytest

from changes.models import Change
from tests.changes.deployments.conftest import URL

pytestmark = pytest.mark.django_db


def test_a_deployments_token_can_do_nothing_else(ci):
    assert ci.get(URL).status_code == 403
    assert ci.get("/api/v1/incidents/").status_code == 403
    response = ci.post("/api/v1/incidents/", {"title": "x"}, format="json")
    assert response.status_code == 403
    assert "'read' scope" in ci.get(URL).json()["error"]["message"]


def test_a_write_token_cannot_report_deployments(ci_user, client_with, payload):
    client = client_with(ci_user, ("read", "write"))
    response = client.post(URL, payload(), format="json")
    assert response.status_code == 403
    assert "deployments" in response.json()["error"]["message"]
    assert not Change.objects.exists()


def test_an_end_user_cannot_report_even_with_the_scope(end_user, client_with, payload):
    client = client_with(end_user, ("deployments", "read"))
    assert client.post(URL, payload(), format="json").status_code == 403
    assert client.get(URL).status_code == 403
    assert not Change.objects.exists()


def test_without_a_token_it_is_a_401(payload):
    from rest_framework.test import APIClient

    assert APIClient().post(URL, payload(), format="json").status_code == 401


def test_agents_read_the_list_and_one_deployment(ci, ci_user, client_with, payload, agent_l1):
    created = ci.post(URL, payload(), format="json").json()
    reader = client_with(agent_l1, ("read",))
    listed = reader.get(URL)
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [created["id"]]
    one = reader.get(f"{URL}{created['id']}/")
    assert one.status_code == 200 and one.json() == created
    assert reader.get(f"{URL}999999/").status_code == 404
