"""Standard-change templates: the service's rules and the manager's pages."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from changes.calendar.change_templates import change_template_save, change_template_set_active
from changes.models import ChangeTemplate
from core.exceptions import ValidationFailed
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

LIST = "/agent/changes/templates/"


def _data(**overrides):
    return {
        "name": "Monthly OS patch rollout",
        "description": "Security updates on every server.",
        "service": None,
        "risk": "low",
        "impact": "degraded",
        "implementation_plan": "Patch one rack at a time.",
        "test_plan": "Health checks green.",
        "backout_plan": "Roll back the package set.",
        "is_patch": True,
        **overrides,
    }


def test_a_manager_saves_and_edits_a_template(manager, service):
    template = change_template_save(template=None, data=_data(), actor=manager)
    assert (template.name, template.is_patch, template.is_active) == (
        "Monthly OS patch rollout",
        True,
        True,
    )
    change_template_save(
        template=template, data=_data(service=service, risk="medium"), actor=manager
    )
    template.refresh_from_db()
    assert (template.service, template.risk) == (service, "medium")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "Two\nlines"}, "name"),
        ({"risk": "extreme"}, "risk"),
        ({"impact": ""}, "impact"),
        ({"implementation_plan": "  "}, "implementation_plan"),
        ({"test_plan": ""}, "test_plan"),
        ({"backout_plan": ""}, "backout_plan"),
        ({"is_patch": "yes"}, "is_patch"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(manager, overrides, field):
    with pytest.raises(ValidationFailed) as caught:
        change_template_save(template=None, data=_data(**overrides), actor=manager)
    assert field in caught.value.errors
    assert not ChangeTemplate.objects.exists()


def test_names_are_unique_whatever_their_case(manager):
    change_template_save(template=None, data=_data(), actor=manager)
    with pytest.raises(ValidationFailed) as caught:
        change_template_save(
            template=None, data=_data(name="monthly os patch rollout"), actor=manager
        )
    assert "exists already" in caught.value.errors["name"]


def test_a_retired_service_is_refused(manager):
    retired = ServiceFactory(name="Fax", is_active=False)
    with pytest.raises(ValidationFailed) as caught:
        change_template_save(template=None, data=_data(service=retired), actor=manager)
    assert "service" in caught.value.errors


def test_agents_cannot_keep_templates(agent_l1, manager):
    with pytest.raises(PermissionDenied):
        change_template_save(template=None, data=_data(), actor=agent_l1)
    template = change_template_save(template=None, data=_data(), actor=manager)
    with pytest.raises(PermissionDenied):
        change_template_set_active(template=template, active=False, actor=agent_l1)
    assert ChangeTemplate.objects.get().is_active


def test_the_manager_creates_edits_retires_and_reactivates_through_the_pages(
    client_for, manager, service
):
    client = client_for(manager)
    form = {**_data(service=service.pk), "is_patch": "on"}
    assert client.get(f"{LIST}new/").status_code == 200
    assert client.post(f"{LIST}new/", form).status_code == 302
    template = ChangeTemplate.objects.get()
    assert template.is_patch and template.service == service

    page = client.get(f"{LIST}{template.pk}/edit/").content.decode()
    assert "Patch one rack at a time." in page
    del form["is_patch"]
    client.post(f"{LIST}{template.pk}/edit/", {**form, "name": "OS patches"})
    template.refresh_from_db()
    assert (template.name, template.is_patch) == ("OS patches", False)

    assert client.post(f"{LIST}{template.pk}/retire/").status_code == 302
    template.refresh_from_db()
    assert not template.is_active
    assert "Reactivate" in client.get(LIST).content.decode()
    client.post(f"{LIST}{template.pk}/activate/")
    template.refresh_from_db()
    assert template.is_active


def test_a_missing_plan_is_shown_and_nothing_is_stored(client_for, manager):
    response = client_for(manager).post(f"{LIST}new/", _data(service="", backout_plan=""))
    assert response.status_code == 400
    assert 'class="error-text"' in response.content.decode()
    assert not ChangeTemplate.objects.exists()


def test_a_duplicate_name_is_shown_on_the_field(client_for, manager):
    change_template_save(template=None, data=_data(), actor=manager)
    response = client_for(manager).post(f"{LIST}new/", _data(service=""))
    assert response.status_code == 400
    assert "exists already" in response.content.decode()
    assert ChangeTemplate.objects.count() == 1


def test_agents_do_not_reach_the_template_pages(client_for, agent_l1, manager):
    template = change_template_save(template=None, data=_data(), actor=manager)
    client = client_for(agent_l1)
    assert client.get(LIST).status_code == 403
    assert client.post(f"{LIST}{template.pk}/retire/").status_code == 403
    assert client.get(f"{LIST}{template.pk}/retire/").status_code == 405
    assert ChangeTemplate.objects.get().is_active


def test_the_list_takes_constant_queries(client_for, manager, service):
    client = client_for(manager)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST).status_code == 200
        return len(captured.captured_queries)

    change_template_save(template=None, data=_data(service=service), actor=manager)
    client.get(LIST)
    one = count()
    for n in range(20):
        change_template_save(
            template=None, data=_data(name=f"T{n}", service=service), actor=manager
        )
    assert count() == one
