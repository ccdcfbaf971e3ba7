"""People: never deleted out from under tickets, deactivated instead; roles from groups."""

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser, Group
from django.contrib.messages.storage.fallback import FallbackStorage
from django.db.models import ProtectedError
from django.test import RequestFactory

from core.choices import Role
from core.models import User
from core.roles import (
    ROLE_GROUP_NAMES,
    ensure_role_groups,
    is_admin,
    is_agent,
    is_manager,
    role_of,
)
from incidents import services
from incidents.models import Incident
from tests.factories import UserFactory

# --- never hard-deleted ---------------------------------------------------------------------


def test_deleting_a_requester_is_refused(end_user: User) -> None:
    incident = services.incident_create(requester=end_user, title="Broken")
    with pytest.raises(ProtectedError):
        end_user.delete()
    assert User.objects.filter(pk=end_user.pk).exists()
    assert Incident.objects.get(pk=incident.pk).requester_id == end_user.pk


def test_deleting_an_agent_who_acted_is_refused(end_user: User, agent_l1: User) -> None:
    incident = services.incident_create(requester=end_user, title="Broken")
    services.incident_claim(incident, actor=agent_l1)
    with pytest.raises(ProtectedError):
        agent_l1.delete()
    with pytest.raises(ProtectedError):
        User.objects.filter(pk=agent_l1.pk).delete()
    assert Incident.objects.get(pk=incident.pk).assignee_id == agent_l1.pk


def _admin_request(user: User) -> Any:
    request = RequestFactory().post("/admin/core/user/")
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_user_admin_cannot_delete_and_offers_deactivate(admin_user: User) -> None:
    user_admin = admin.site._registry[User]
    request = _admin_request(admin_user)
    assert user_admin.has_delete_permission(request) is False
    assert user_admin.has_delete_permission(request, admin_user) is False
    actions = user_admin.get_actions(request)
    assert "deactivate" in actions
    assert "delete_selected" not in actions


def test_deactivate_action_deactivates_others_but_not_yourself(
    admin_user: User, end_user: User, agent_l1: User
) -> None:
    user_admin = admin.site._registry[User]
    request = _admin_request(admin_user)
    selected = User.objects.filter(pk__in=[admin_user.pk, end_user.pk, agent_l1.pk])
    user_admin.deactivate(request, selected)
    states = dict(User.objects.filter(pk__in=selected).values_list("username", "is_active"))
    assert states == {admin_user.username: True, end_user.username: False, agent_l1.username: False}
    deactivated = User.objects.get(pk=agent_l1.pk)
    assert is_agent(deactivated) is False


# --- roles ------------------------------------------------------------------------------------

ROLE_TABLE = [
    # role,           is_agent, is_manager, is_admin
    (Role.END_USER, False, False, False),
    (Role.AGENT, True, False, False),
    (Role.MANAGER, True, True, False),
    (Role.ADMIN, True, True, True),
]


@pytest.mark.parametrize(("role", "agent", "manager", "admin_"), ROLE_TABLE)
def test_role_predicates(role: str, agent: bool, manager: bool, admin_: bool, db: None) -> None:
    user = UserFactory(username=f"person-{role}", role=role)
    fresh = User.objects.get(pk=user.pk)
    assert (is_agent(fresh), is_manager(fresh), is_admin(fresh)) == (agent, manager, admin_)
    assert role_of(fresh) == role


@pytest.mark.parametrize("role", [Role.AGENT, Role.MANAGER, Role.ADMIN])
def test_inactive_staff_have_no_role(role: str, db: None) -> None:
    user = UserFactory(username=f"gone-{role}", role=role)
    user.is_active = False
    user.save()
    fresh = User.objects.get(pk=user.pk)
    assert (is_agent(fresh), is_manager(fresh), is_admin(fresh)) == (False, False, False)
    assert role_of(fresh) == Role.END_USER


def test_superuser_is_admin(db: None) -> None:
    root = User.objects.create_superuser("root", "root@example.com", "x")
    assert role_of(root) == Role.ADMIN
    assert is_agent(root) is True


def test_user_without_any_group_is_an_end_user(db: None) -> None:
    plain = User.objects.create_user("plain", "plain@example.com", "x")
    assert role_of(plain) == Role.END_USER
    assert is_agent(plain) is False


def test_anonymous_is_an_end_user() -> None:
    anonymous = AnonymousUser()
    assert (is_agent(anonymous), is_manager(anonymous), is_admin(anonymous)) == (
        False,
        False,
        False,
    )
    assert role_of(anonymous) == Role.END_USER


# --- role groups ------------------------------------------------------------------------------


def _groups_snapshot() -> dict[str, set[str]]:
    return {
        group.name: {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        for group in Group.objects.filter(name__in=ROLE_GROUP_NAMES.values())
    }


def test_ensure_role_groups_is_idempotent(db: None) -> None:
    ensure_role_groups()
    first = _groups_snapshot()
    group_ids = set(Group.objects.values_list("pk", flat=True))
    ensure_role_groups()
    ensure_role_groups()
    assert _groups_snapshot() == first
    assert set(Group.objects.values_list("pk", flat=True)) == group_ids
    assert set(first) == set(ROLE_GROUP_NAMES.values())
    assert first[ROLE_GROUP_NAMES[Role.END_USER]] == set()
    assert "incidents.view_incident" in first[ROLE_GROUP_NAMES[Role.AGENT]]
    assert "incidents.delete_incident" not in first[ROLE_GROUP_NAMES[Role.AGENT]]
    assert "core.change_supportgroup" in first[ROLE_GROUP_NAMES[Role.MANAGER]]
    assert "incidents.delete_incident" in first[ROLE_GROUP_NAMES[Role.ADMIN]]


def test_ensure_role_groups_repairs_a_tampered_group(db: None) -> None:
    ensure_role_groups()
    expected = _groups_snapshot()
    agents = Group.objects.get(name=ROLE_GROUP_NAMES[Role.AGENT])
    agents.permissions.clear()
    Group.objects.filter(name=ROLE_GROUP_NAMES[Role.MANAGER]).delete()
    ensure_role_groups()
    assert _groups_snapshot() == expected


@pytest.mark.django_db
def test_migrate_creates_every_role_group_with_permissions():
    """The groups come from a post_migrate hook; it must fire for a real migrate run."""
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from core.roles import ROLE_GROUP_NAMES

    Group.objects.all().delete()
    call_command("migrate", verbosity=0)
    assert set(Group.objects.values_list("name", flat=True)) == set(ROLE_GROUP_NAMES.values())
    assert (
        Group.objects.get(name=ROLE_GROUP_NAMES["agent"])
        .permissions.filter(codename="view_incident")
        .exists()
    )
