"""The assignment form's people and groups are read once per process, and follow every change
of users, roles and groups at once (core.web.forms.CHOICES_MEMO)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.choices import Role
from core.models import SupportGroup
from tests.factories import IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db


def _options(client, incident, field: str) -> str:
    body = client.get(reverse("incidents:agent_detail", args=[incident.number])).content.decode()
    select = re.search(rf'<select name="assign-{field}".*?</select>', body, re.DOTALL)
    assert select is not None
    return select.group(0)


def test_people_and_groups_follow_changes(client_for, agent_l1, l1_group):
    incident = IncidentFactory(support_group=l1_group)
    client = client_for(agent_l1)
    assert "Newcomer" not in _options(client, incident, "assignee")
    newcomer = UserFactory(username="newcomer", first_name="Newcomer", role=Role.AGENT)
    assert "Newcomer" in _options(client, incident, "assignee")
    newcomer.is_active = False
    newcomer.save()
    assert "Newcomer" not in _options(client, incident, "assignee")
    group = SupportGroup.objects.create(name="Night shift", tier=1)
    assert "Night shift" in _options(client, incident, "support_group")
    group.name = "Late shift"
    group.save()
    groups = _options(client, incident, "support_group")
    assert "Late shift" in groups and "Night shift" not in groups


def test_the_choices_cost_no_query_once_read(client_for, agent_l1, l1_group):
    incident = IncidentFactory(support_group=l1_group, assignee=agent_l1)
    client = client_for(agent_l1)
    url = reverse("incidents:agent_detail", args=[incident.number])
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(url).content.decode()
    assert not [q for q in ctx.captured_queries if "auth_group" in q["sql"]]
    assert f'<option value="{agent_l1.pk}" selected>' in body
