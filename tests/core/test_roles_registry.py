"""The role groups' permissions on ticket kinds come from the kind registry: each kind's model
view permission for the roles it names (TicketKind.view_roles), each kind's app for admins."""

from collections.abc import Iterator
from dataclasses import replace

import pytest
from django.contrib.auth.models import Group, Permission

from core.choices import Role
from core.roles import ROLE_GROUP_NAMES, admin_app_labels, ensure_role_groups, role_permissions
from core.tickets.kinds import TicketKind, kind_named, register

pytestmark = pytest.mark.django_db

# What the groups carried when core.roles listed the kinds itself.
BEFORE = {
    Role.END_USER: set(),
    Role.AGENT: {
        "incidents.view_incident",
        "requests.view_servicerequest",
        "core.view_service",
        "core.view_configurationitem",
        "core.view_supportgroup",
        "core.view_timelineevent",
    },
    Role.MANAGER: {
        "incidents.view_incident",
        "requests.view_servicerequest",
        "core.view_service",
        "core.view_configurationitem",
        "core.view_supportgroup",
        "core.change_supportgroup",
        "core.view_timelineevent",
        "core.view_user",
    },
}
ADMIN_APPS = {
    "core",
    "incidents",
    "requests",
    "problems",
    "changes",
    "sla",
    "reporting",
    "alerts",
    "webhooks",
}
# The test run registers a kind of its own (tests/kindtest): admins get its app's permissions too.
TEST_KIND_APP = "kindtest"


def granted(role: str) -> set[str]:
    group = Group.objects.get(name=ROLE_GROUP_NAMES[role])
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


def test_the_groups_carry_the_same_permissions_as_before() -> None:
    ensure_role_groups()
    for role, expected in BEFORE.items():
        assert granted(role) == expected, role
    assert set(admin_app_labels()) == ADMIN_APPS | {TEST_KIND_APP}
    everything = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.filter(content_type__app_label__in=ADMIN_APPS)
    }
    test_kind = {
        f"{TEST_KIND_APP}.{action}_chore" for action in ("add", "change", "delete", "view")
    }
    assert granted(Role.ADMIN) == everything | test_kind
    assert "problems.delete_problem" in everything


@pytest.fixture
def problems_viewed_by_agents() -> Iterator[TicketKind]:
    """The problem kind registered for a while as if agents were to view it in the admin."""
    original = kind_named("problem")
    register(replace(original, view_roles=frozenset({Role.AGENT})))
    yield kind_named("problem")
    register(original)


def test_a_kinds_view_roles_give_its_view_permission(problems_viewed_by_agents) -> None:
    assert "problems.view_problem" in role_permissions(Role.AGENT)
    assert "problems.view_problem" not in role_permissions(Role.MANAGER)
    ensure_role_groups()
    assert granted(Role.AGENT) == BEFORE[Role.AGENT] | {"problems.view_problem"}
    assert granted(Role.MANAGER) == BEFORE[Role.MANAGER]
