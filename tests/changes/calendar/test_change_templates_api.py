"""/api/v1/change-templates/: agents read the templates, managers create, change, retire and
reactivate them; bad input is a 400 naming the field, and nothing is stored."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from changes.calendar.change_templates import change_template_save
from changes.models import ChangeTemplate
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/change-templates/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _body(**overrides):
    return {
        "name": "Monthly OS patch rollout",
        "description": "Security updates on every server.",
        "risk": "low",
        "impact": "degraded",
        "implementation_plan": "Patch one rack at a time.",
        "test_plan": "Health checks green.",
        "backout_plan": "Roll back the package set.",
        "is_patch": True,
        **overrides,
    }


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def test_managers_write_and_agents_read(manager, agent_l1, service):
    created = api(manager).post(API, _body(service=service.pk), format="json")
    assert created.status_code == 201, created.content
    row = created.json()
    assert row["name"] == "Monthly OS patch rollout" and row["is_active"] is True
    assert row["service"]["id"] == service.pk and row["is_patch"] is True
    pk = row["id"]
    changed = api(manager).patch(f"{API}{pk}/", {"risk": "medium"}, format="json")
    assert changed.status_code == 200 and changed.json()["risk"] == "medium"
    stored = ChangeTemplate.objects.get(pk=pk)
    assert (stored.risk, stored.test_plan, stored.service) == (
        "medium",
        "Health checks green.",
        service,
    )

    retired = api(manager).post(f"{API}{pk}/retire/")
    assert retired.status_code == 200 and retired.json()["is_active"] is False
    assert api(manager).post(f"{API}{pk}/retire/").status_code == 200  # twice: no change
    assert _names(api(agent_l1).get(API)) == []
    assert _names(api(agent_l1).get(API, {"state": "retired"})) == ["Monthly OS patch rollout"]
    assert api(agent_l1).get(f"{API}{pk}/").json()["is_active"] is False
    reactivated = api(manager).post(f"{API}{pk}/reactivate/")
    assert reactivated.status_code == 200 and reactivated.json()["is_active"] is True
    assert _names(api(agent_l1).get(API)) == ["Monthly OS patch rollout"]


def test_the_list_filters_by_state_and_service(manager, agent_l1, service):
    other = ServiceFactory(name="Payroll")
    for name, on in (("A restart", service), ("B patch", other), ("C retired", service)):
        change_template_save(
            template=None, data={**_body(name=name, is_patch=False), "service": on}, actor=manager
        )
    ChangeTemplate.objects.filter(name="C retired").update(is_active=False)
    reader = api(agent_l1)
    assert _names(reader.get(API)) == ["A restart", "B patch"]
    assert _names(reader.get(API, {"state": "all"})) == ["A restart", "B patch", "C retired"]
    assert _names(reader.get(API, {"state": "all", "service": service.pk})) == [
        "A restart",
        "C retired",
    ]
    refused = reader.get(API, {"state": "gone"})
    assert refused.status_code == 400 and "state" in refused.json()["error"]["fields"]


def test_agents_cannot_write(agent_l1, manager):
    assert api(agent_l1).post(API, _body(), format="json").status_code == 403
    assert not ChangeTemplate.objects.exists()
    template = change_template_save(template=None, data={**_body(), "service": None}, actor=manager)
    url = f"{API}{template.pk}/"
    assert api(agent_l1).patch(url, {"name": "Mine"}, format="json").status_code == 403
    assert api(agent_l1).post(f"{url}retire/").status_code == 403
    template.refresh_from_db()
    assert (template.name, template.is_active) == ("Monthly OS patch rollout", True)


def test_end_users_are_refused(end_user):
    assert api(end_user).get(API).status_code == 403


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": "Two\nlines"}, "name"),
        ({"test_plan": ""}, "test_plan"),
        ({"backout_plan": None}, "backout_plan"),
        ({"risk": "extreme"}, "risk"),
        ({"impact": "total"}, "impact"),
        ({"service": 987654}, "service"),
        ({"is_patch": "maybe"}, "is_patch"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(manager, overrides, field):
    response = api(manager).post(API, _body(**overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not ChangeTemplate.objects.exists()


def test_a_retired_service_and_a_taken_name_are_refused(manager):
    change_template_save(template=None, data={**_body(), "service": None}, actor=manager)
    retired = ServiceFactory(name="Old fax", is_active=False)
    response = api(manager).post(API, _body(name="Fax restart", service=retired.pk), format="json")
    assert response.status_code == 400 and "service" in response.json()["error"]["fields"]
    taken = api(manager).post(API, _body(name="monthly os PATCH rollout"), format="json")
    assert (
        taken.status_code == 400 and "exists already" in taken.json()["error"]["fields"]["name"][0]
    )
    assert ChangeTemplate.objects.count() == 1


def test_a_bad_patch_changes_nothing(manager):
    template = change_template_save(template=None, data={**_body(), "service": None}, actor=manager)
    response = api(manager).patch(
        f"{API}{template.pk}/", {"name": "Renamed", "implementation_plan": "  "}, format="json"
    )
    assert response.status_code == 400
    assert "implementation_plan" in response.json()["error"]["fields"]
    template.refresh_from_db()
    assert template.name == "Monthly OS patch rollout"


def test_an_unknown_template_is_a_404(manager):
    assert api(manager).get(f"{API}424242/").status_code == 404
    assert api(manager).post(f"{API}424242/retire/").status_code == 404


def test_the_list_takes_constant_queries(agent_l1, manager, service):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api(agent_l1).get(API).status_code == 200
        return len(captured.captured_queries)

    change_template_save(template=None, data={**_body(), "service": service}, actor=manager)
    count()  # the first request reads the agent's roles (then memoised)
    one = count()
    for n in range(20):
        change_template_save(
            template=None, data={**_body(name=f"T{n}"), "service": service}, actor=manager
        )
    assert count() == one
