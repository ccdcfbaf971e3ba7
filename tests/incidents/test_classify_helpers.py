"""The agent's forms help while they are filled in: classify previews the priority with the
server's own matrix and offers only the chosen service's configuration items; the assignee
list can be searched. Each helper is an HTMX partial for agents only; the forms work without."""

import json

import pytest
from django.urls import reverse

from core.choices import Priority
from core.models import User
from incidents import services
from incidents.choices import Impact, Urgency
from incidents.forms import ClassifyForm
from incidents.priority import priority_for
from tests.factories import ConfigurationItemFactory, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db

PREVIEW = "incidents:agent_priority_preview"


def _preview(client, impact: str, urgency: str) -> str:
    query = {"classify-impact": impact, "classify-urgency": urgency}
    return client.get(reverse(PREVIEW), query).content.decode()


@pytest.mark.parametrize(
    "matrix", ["", json.dumps({i: dict.fromkeys(Urgency.values, 5) for i in Impact.values})]
)
def test_the_preview_gives_the_matrixs_priority_for_every_pair(
    client_for, agent_l1, settings, matrix
) -> None:
    settings.PRIORITY_MATRIX_JSON = matrix
    client = client_for(agent_l1)
    for impact in Impact.values:
        for urgency in Urgency.values:
            expected = Priority(priority_for(impact, urgency))
            body = _preview(client, impact, urgency)
            assert f'prio-{expected.value}">{expected.label}</span>' in body, (impact, urgency)
    assert "choose an impact and an urgency" in _preview(client, "huge", Urgency.HIGH)


def test_the_helpers_are_for_agents_only(client_for, end_user) -> None:
    client = client_for(end_user)
    for url in (
        reverse(PREVIEW),
        reverse("core:assignee_options"),
        reverse("core:configuration_item_options"),
    ):
        assert client.get(url).status_code == 404


@pytest.fixture
def two_services(service):
    other = ServiceFactory(name="Payroll")
    mine = [ConfigurationItemFactory(service=service, name=f"mail-{n}") for n in (1, 2)]
    theirs = ConfigurationItemFactory(service=other, name="payroll-db")
    return other, mine, theirs


def test_classify_offers_only_the_chosen_services_items_and_refuses_another(
    client_for, agent_l1, end_user, service, two_services
) -> None:
    other, _mine, theirs = two_services
    incident = services.incident_create(requester=end_user, title="Mail down", service=service)
    incident = services.incident_accept(incident, actor=agent_l1)
    body = client_for(agent_l1).get(reverse("incidents:agent_detail", args=[incident.number]))
    html = body.content.decode()
    form = html.split('id="transition-classify-form"', 1)[1].split("</form>", 1)[0]
    assert "mail-1" in form and "mail-2" in form and "payroll-db" not in form
    assert f'hx-get="{reverse("core:configuration_item_options")}"' in form
    assert f'hx-get="{reverse(PREVIEW)}"' in form
    assert 'class="priority-preview"' in form and "<script" not in form
    # The server holds the same line: another service's item is not a valid choice.
    bound = ClassifyForm(
        {
            "version": incident.version,
            "category": "software",
            "impact": Impact.LOW,
            "urgency": Urgency.LOW,
            "service": service.pk,
            "configuration_item": theirs.pk,
        }
    )
    assert "configuration_item" in bound.errors
    # Choosing the other service swaps the list for its items.
    options = client_for(agent_l1).get(
        reverse("core:configuration_item_options"), {"classify-service": other.pk}
    )
    assert "payroll-db" in options.content.decode() and "mail-1" not in options.content.decode()


def test_the_assignee_search_shortens_the_list_and_keeps_the_chosen_person(
    client_for, agent_l1: User, agent_l2: User, end_user: User
) -> None:
    zoe = UserFactory(first_name="Zoe", last_name="Quinn")
    zoe.groups.set(agent_l1.groups.all())
    url = reverse("core:assignee_options")
    client = client_for(agent_l1)
    found = client.get(url, {"q": "zoe qui"}).content.decode()
    assert ">Zoe Quinn</option>" in found
    assert agent_l2.display_name not in found and end_user.display_name not in found
    assert found.startswith('<option value="">Unassigned</option>')
    kept = client.get(url, {"q": "zoe", "assign-assignee": agent_l2.pk}).content.decode()
    assert f'<option value="{agent_l2.pk}" selected>{agent_l2.display_name}</option>' in kept
    # Only people the assignee select offers: a requester is never found.
    assert end_user.display_name not in client.get(url, {"q": end_user.username}).content.decode()


def test_the_assignment_panel_has_the_search_for_script_users(
    client_for, agent_l1, end_user
) -> None:
    incident = services.incident_create(requester=end_user, title="Mail down")
    html = client_for(agent_l1).get(reverse("incidents:agent_detail", args=[incident.number]))
    panel = html.content.decode().split('id="assign-form"', 1)[1].split("</form>", 1)[0]
    assert '<div class="field field-search" data-needs-script hidden>' in panel
    assert '<label for="assign-find">Find a person</label>' in panel
    assert 'hx-target="#id_assign-assignee"' in panel
