"""Roles are Django groups; these predicates are the single place that reads them.

Used by the HTML decorators, the API permission classes (later) and the selectors.
"""

from typing import Any

from django.contrib.auth import get_permission_codename
from django.contrib.auth.models import AnonymousUser
from django.db.models.signals import m2m_changed

from core.choices import Role
from core.config_memo import ConfigMemo
from core.models import User
from core.tickets.kinds import kinds

ROLE_GROUP_NAMES: dict[str, str] = {
    Role.END_USER: "End users",
    Role.AGENT: "Agents",
    Role.MANAGER: "Managers",
    Role.ADMIN: "Admins",
}


# Each user's role groups, per process: every API request and page asks, and the answer changes
# only when someone's groups do. A change in this process applies at once (a renamed or deleted
# group forgets everyone, a membership change only its people); other processes follow within
# CONFIG_MEMO_RECHECK_SECONDS (core.config_memo). Connected in CoreConfig.ready().
ROLE_MEMO = ConfigMemo("user-roles", ["auth.Group"])


def connect_role_memo() -> None:
    ROLE_MEMO.connect()
    m2m_changed.connect(
        _memberships_changed, sender=User.groups.through, dispatch_uid="core.roles.memberships"
    )


def _memberships_changed(
    *, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **_: Any
) -> None:
    if not action.startswith("post_"):
        return
    if not reverse:  # user.groups.add/remove/clear(): that user
        ROLE_MEMO.forget([instance.pk])
    elif pk_set:  # group.user_set.add/remove(...): those users
        ROLE_MEMO.forget(pk_set)
    else:  # group.user_set.clear(): whoever was in it
        ROLE_MEMO.clear()


def _group_names(user: User | AnonymousUser) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    cached: frozenset[str] | None = getattr(user, "_role_group_names", None)
    if cached is None:
        cached = ROLE_MEMO.get(
            user.pk, lambda: frozenset(user.groups.values_list("name", flat=True))
        )
        setattr(user, "_role_group_names", cached)  # noqa: B010 — a per-request memo on the object
    return cached


# The groups whose members hold each role or one above it: one look at the user's groups per
# question (a page asks a dozen times), the same answers as asking role by role.
_ADMIN_GROUPS = frozenset({ROLE_GROUP_NAMES[Role.ADMIN]})
_MANAGER_GROUPS = _ADMIN_GROUPS | {ROLE_GROUP_NAMES[Role.MANAGER]}
_AGENT_GROUPS = _MANAGER_GROUPS | {ROLE_GROUP_NAMES[Role.AGENT]}


def _holds(user: User | AnonymousUser, groups: frozenset[str]) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return bool(user.is_superuser) or not groups.isdisjoint(_group_names(user))


def is_admin(user: User | AnonymousUser) -> bool:
    return _holds(user, _ADMIN_GROUPS)


def is_manager(user: User | AnonymousUser) -> bool:
    return _holds(user, _MANAGER_GROUPS)


def is_agent(user: User | AnonymousUser) -> bool:
    """Agents, managers and admins all work tickets."""
    return _holds(user, _AGENT_GROUPS)


def role_of(user: User | AnonymousUser) -> Role:
    if is_admin(user):
        return Role.ADMIN
    if is_manager(user):
        return Role.MANAGER
    if is_agent(user):
        return Role.AGENT
    return Role.END_USER


# Model permissions each role's group carries besides the ticket kinds' (the Django admin reads
# them; staff flag needed). The kinds' view permissions come from the kind registry.
_ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.END_USER: [],
    Role.AGENT: [
        "core.view_service",
        "core.view_configurationitem",
        "core.view_supportgroup",
        "core.view_timelineevent",
    ],
    Role.MANAGER: [
        "core.view_service",
        "core.view_configurationitem",
        "core.view_supportgroup",
        "core.change_supportgroup",
        "core.view_timelineevent",
        "core.view_user",
    ],
    Role.ADMIN: ["*"],
}
# The apps besides the ticket kinds' whose every permission admins carry.
_ADMIN_APPS = ("core", "sla", "reporting", "alerts", "webhooks")


def role_permissions(role: str) -> list[str]:
    """The "app_label.codename" permissions of a role's group: the view permission of every
    registered kind that names the role in its `view_roles`, then the role's own ("*" for
    admins: every permission of admin_app_labels())."""
    if _ROLE_PERMISSIONS[role] == ["*"]:
        return ["*"]
    viewed = [
        f"{kind.model._meta.app_label}.{get_permission_codename('view', kind.model._meta)}"
        for kind in kinds()
        if role in kind.view_roles
    ]
    return [*viewed, *_ROLE_PERMISSIONS[role]]


def admin_app_labels() -> list[str]:
    """Every registered ticket kind's app, then the other apps admins manage."""
    labels = [kind.model._meta.app_label for kind in kinds()]
    return list(dict.fromkeys([*labels, *_ADMIN_APPS]))


def ensure_role_groups() -> None:
    """Create the role groups with their permissions; idempotent (runs after every migrate)."""
    from django.contrib.auth.models import Group, Permission

    for role, group_name in ROLE_GROUP_NAMES.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        wanted = role_permissions(role)
        if wanted == ["*"]:
            perms = Permission.objects.filter(content_type__app_label__in=admin_app_labels())
        else:
            pairs = [name.split(".", 1) for name in wanted]
            perms = Permission.objects.filter(
                content_type__app_label__in={app for app, _ in pairs},
                codename__in={code for _, code in pairs},
            )
        group.permissions.set(perms)
