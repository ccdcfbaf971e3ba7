"""Reference resources: services and configuration items for everyone signed in (end users: the
active ones), support groups for agents, users with limited reach for end users (only
themselves)."""

import pytest
from rest_framework.test import APIClient

from tests.factories import ConfigurationItemFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def test_services(agent, reporter, service, l1_group):
    retired = ServiceFactory(name="Fax", owner_group=l1_group, is_active=False)
    assert names(reporter.get("/api/v1/services/")) == ["Email"]
    assert reporter.get(f"/api/v1/services/{retired.pk}/").status_code == 404
    assert names(agent.get("/api/v1/services/")) == ["Email", "Fax"]
    assert names(agent.get("/api/v1/services/?is_active=false")) == ["Fax"]
    assert names(agent.get("/api/v1/services/?q=mai")) == ["Email"]
    detail = agent.get(f"/api/v1/services/{service.pk}/").json()
    assert detail["owner_group"] == {"id": l1_group.pk, "name": l1_group.name, "tier": 1}


def test_configuration_items(agent, reporter, service, l1_group):
    ConfigurationItemFactory(service=service, name="mx1")
    ConfigurationItemFactory(service=service, name="mx2", is_active=False)
    hidden = ServiceFactory(name="Old", owner_group=l1_group, is_active=False)
    ConfigurationItemFactory(service=hidden, name="old-box")
    assert names(reporter.get("/api/v1/configuration-items/")) == ["mx1"]
    assert names(agent.get("/api/v1/configuration-items/")) == ["mx1", "mx2", "old-box"]
    assert names(
        agent.get(f"/api/v1/configuration-items/?service={service.pk}&is_active=true")
    ) == ["mx1"]
    assert agent.get("/api/v1/configuration-items/?service=abc").status_code == 400


def test_support_groups_for_agents(agent, reporter, agent_l1, l1_group, l2_group, manager):
    l1_group.manager = manager
    l1_group.save()
    rows = agent.get("/api/v1/support-groups/").json()["results"]
    assert [(r["name"], r["tier"]) for r in rows] == [(l1_group.name, 1), (l2_group.name, 2)]
    assert rows[0]["manager"]["username"] == "manager"
    assert [m["username"] for m in rows[0]["members"]] == ["agent1"]
    assert names(agent.get("/api/v1/support-groups/?tier=2")) == [l2_group.name]
    assert reporter.get("/api/v1/support-groups/").status_code == 403
    assert reporter.get(f"/api/v1/support-groups/{l1_group.pk}/").status_code == 403


def test_end_users_only_see_themselves(reporter, end_user, other_end_user, manager):
    end_user.manager = manager
    end_user.save()
    rows = reporter.get("/api/v1/users/").json()["results"]
    assert [r["username"] for r in rows] == ["enduser"]
    assert rows[0]["role"] == "end_user"
    assert rows[0]["manager"]["username"] == "manager"
    assert reporter.get(f"/api/v1/users/{other_end_user.pk}/").status_code == 404
    me = reporter.get("/api/v1/users/me/")
    assert (me.status_code, me.json()["email"]) == (200, end_user.email)


def test_agents_see_everyone_with_roles(agent, end_user, agent_l1, manager, admin_user, l1_group):
    rows = {r["username"]: r for r in agent.get("/api/v1/users/?page_size=50").json()["results"]}
    assert {name: row["role"] for name, row in rows.items()} == {
        "enduser": "end_user",
        "agent1": "agent",
        "manager": "manager",
        "admin": "admin",
    }
    assert rows["agent1"]["support_groups"] == [
        {"id": l1_group.pk, "name": l1_group.name, "tier": 1}
    ]

    def usernames(query: str) -> list[str]:
        return [r["username"] for r in agent.get(f"/api/v1/users/?{query}").json()["results"]]

    assert usernames("role=agent") == ["agent1"]
    assert usernames("role=end_user") == ["enduser"]
    assert usernames("role=admin") == ["admin"]
    assert usernames(f"support_group={l1_group.pk}") == ["agent1"]
    assert usernames("q=enduser") == ["enduser"]
    assert agent.get("/api/v1/users/?role=wizard").status_code == 400


def test_anonymous_gets_401():
    assert APIClient().get("/api/v1/users/me/").status_code == 401
