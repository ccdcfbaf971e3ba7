"""Idempotent demo reference data: role groups, people, support groups, services and CIs.

Everything is looked up by its natural key (username, group name, service name, CI name per
service) and created only when missing, so running it again adds nothing. Existing rows are
reused as they are: a second run never resets a password someone changed.
"""

import random
import unicodedata
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction

from core.choices import Role
from core.models import ConfigurationItem, Service, SupportGroup, User
from core.roles import ROLE_GROUP_NAMES, ensure_role_groups
from incidents.demo.catalog import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    EXTRA_END_USERS,
    FIRST_LINE_GROUP,
    FIRST_NAMES,
    GROUPS,
    LAST_NAMES,
    SERVICES,
    THIRD_LINE_GROUP,
    DemoLogin,
)

# The people do not depend on --seed: a second run with another seed must not add a second crowd.
PEOPLE_SEED = 20_240_601


@dataclass
class CreatedCounts:
    users: int = 0
    support_groups: int = 0
    services: int = 0
    configuration_items: int = 0


@dataclass
class DemoWorld:
    """Ids and display names the incident generator needs, read once so it never queries."""

    first_line_group_id: int
    third_line_group_id: int
    group_tier: dict[int, int]
    group_label: dict[int, str]
    group_members: dict[int, list[int]]
    service_owner: dict[str, int]  # service name -> owner group id
    service_id: dict[str, int]
    ci_id: dict[tuple[str, str], int]  # (service name, CI name) -> id
    ci_label: dict[int, str]
    cis_of_service: dict[str, list[str]]
    user_label: dict[int, str]
    requester_ids: list[int]
    demo_requester_id: int
    created: CreatedCounts = field(default_factory=CreatedCounts)


@dataclass(frozen=True)
class Person:
    username: str
    first_name: str
    last_name: str

    @property
    def email(self) -> str:
        return f"{_ascii_login(self.first_name, self.last_name)}@example.com"


def extra_people() -> tuple[dict[str, list[Person]], list[Person]]:
    """The extra agents per support group and the extra end users, always the same ones."""
    rng = random.Random(PEOPLE_SEED)  # noqa: S311 — reproducible demo names, not secrets
    taken = {(login.first_name, login.last_name) for login in DEMO_LOGINS}
    firsts = [name for name in FIRST_NAMES if name not in {f for f, _ in taken}]
    lasts = [name for name in LAST_NAMES if name not in {last for _, last in taken}]
    rng.shuffle(firsts)
    rng.shuffle(lasts)
    # Distinct first names make the usernames (first.last) distinct.
    pool = [Person(_username(f, last), f, last) for f, last in zip(firsts, lasts, strict=False)]
    agents: dict[str, list[Person]] = {}
    for spec in GROUPS:
        agents[spec.name], pool = pool[: spec.extra_agents], pool[spec.extra_agents :]
    return agents, pool[:EXTRA_END_USERS]


def _ascii_login(first: str, last: str) -> str:
    """'Chloé', 'de Vries' -> 'chloe.devries': email validators and most mail systems want
    ASCII local parts."""
    folded = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode()
    return folded.lower().replace(" ", "")


def _username(first: str, last: str) -> str:
    return _ascii_login(first, last)


class _Passwords:
    """One PBKDF2 hash of the demo password shared by the crowd: hashing costs ~0.5 s per user
    at Django's default work factor, which would make seeding 40 people take 20 seconds."""

    def __init__(self) -> None:
        self._shared: str | None = None

    def shared(self) -> str:
        if self._shared is None:
            self._shared = make_password(DEMO_PASSWORD)
        return self._shared


def _ensure_user(
    person: Person,
    *,
    role_group: Group,
    counts: CreatedCounts,
    passwords: _Passwords,
    own_hash: bool = False,
) -> User:
    user, created = User.objects.get_or_create(
        username=person.username,
        defaults={
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": person.email,
        },
    )
    if created:
        counts.users += 1
        if own_hash:
            user.set_password(DEMO_PASSWORD)
        else:
            user.password = passwords.shared()
        user.save(update_fields=["password"])
    user.groups.add(role_group)
    return user


def _ensure_login(
    login: DemoLogin,
    *,
    role_groups: dict[str, Group],
    counts: CreatedCounts,
    passwords: _Passwords,
) -> User:
    person = Person(login.username, login.first_name, login.last_name)
    user = _ensure_user(
        person,
        role_group=role_groups[login.role],
        counts=counts,
        passwords=passwords,
        own_hash=True,
    )
    if login.is_superuser and not (user.is_staff and user.is_superuser):
        user.is_staff = True
        user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    return user


def seed_reference_data() -> DemoWorld:
    """Create (or reuse) the demo people, support groups, services and CIs; return their ids."""
    counts = CreatedCounts()
    passwords = _Passwords()
    with transaction.atomic():
        ensure_role_groups()
        role_groups = {
            role: Group.objects.get(name=name) for role, name in ROLE_GROUP_NAMES.items()
        }
        logins = {
            login.username: _ensure_login(
                login, role_groups=role_groups, counts=counts, passwords=passwords
            )
            for login in DEMO_LOGINS
        }
        manager = logins["manager"]

        groups: dict[str, SupportGroup] = {}
        for spec in GROUPS:
            group, created = SupportGroup.objects.get_or_create(
                name=spec.name,
                defaults={"tier": spec.tier, "email": spec.email, "manager": manager},
            )
            counts.support_groups += int(created)
            groups[spec.name] = group

        for login in DEMO_LOGINS:
            if login.support_group:
                groups[login.support_group].members.add(logins[login.username])
        extra_agents, extra_end_users = extra_people()
        for group_name, people in extra_agents.items():
            for person in people:
                agent = _ensure_user(
                    person, role_group=role_groups[Role.AGENT], counts=counts, passwords=passwords
                )
                groups[group_name].members.add(agent)
        for person in extra_end_users:
            _ensure_user(
                person, role_group=role_groups[Role.END_USER], counts=counts, passwords=passwords
            )

        for service_spec in SERVICES:
            service, created = Service.objects.get_or_create(
                name=service_spec.name,
                defaults={
                    "description": service_spec.description,
                    "owner_group": groups[service_spec.owner],
                    "criticality": service_spec.criticality,
                },
            )
            counts.services += int(created)
            for ci_name, kind in service_spec.cis:
                _, created = ConfigurationItem.objects.get_or_create(
                    service=service, name=ci_name, defaults={"kind": kind}
                )
                counts.configuration_items += int(created)

        world = _read_world(demo_requester=logins["user"])
    world.created = counts
    return world


def _read_world(*, demo_requester: User) -> DemoWorld:
    names = [spec.name for spec in GROUPS]
    groups = {g.name: g for g in SupportGroup.objects.filter(name__in=names)}
    members: dict[int, list[int]] = {g.pk: [] for g in groups.values()}
    agent_group = ROLE_GROUP_NAMES[Role.AGENT]
    for group_id, user_id in (
        SupportGroup.members.through.objects.filter(
            supportgroup__in=groups.values(), user__is_active=True, user__groups__name=agent_group
        )
        .order_by("supportgroup_id", "user_id")
        .values_list("supportgroup_id", "user_id")
    ):
        members[group_id].append(user_id)
    first_line = groups[FIRST_LINE_GROUP]
    for group_id, ids in members.items():
        # A group someone emptied still gets its work: the first line takes it.
        if not ids:
            members[group_id] = members[first_line.pk]
    if not members[first_line.pk]:
        raise RuntimeError(f"The '{FIRST_LINE_GROUP}' group has no active agents.")

    service_names = [spec.name for spec in SERVICES]
    services = {s.name: s for s in Service.objects.filter(name__in=service_names)}
    ci_id: dict[tuple[str, str], int] = {}
    ci_label: dict[int, str] = {}
    cis_of_service: dict[str, list[str]] = {name: [] for name in services}
    for ci in ConfigurationItem.objects.filter(service__in=services.values()).select_related(
        "service"
    ):
        ci_id[(ci.service.name, ci.name)] = ci.pk
        ci_label[ci.pk] = str(ci)
        cis_of_service[ci.service.name].append(ci.name)

    end_users = ROLE_GROUP_NAMES[Role.END_USER]
    requester_ids = list(
        User.objects.filter(groups__name=end_users, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    labelled = set(requester_ids) | {uid for ids in members.values() for uid in ids}
    user_label = {user.pk: user.display_name for user in User.objects.filter(pk__in=labelled)}
    return DemoWorld(
        first_line_group_id=first_line.pk,
        third_line_group_id=groups[THIRD_LINE_GROUP].pk,
        group_tier={g.pk: g.tier for g in groups.values()},
        group_label={g.pk: str(g) for g in groups.values()},
        group_members=members,
        service_owner={name: s.owner_group_id for name, s in services.items()},
        service_id={name: s.pk for name, s in services.items()},
        ci_id=ci_id,
        ci_label=ci_label,
        cis_of_service=cis_of_service,
        user_label=user_label,
        requester_ids=requester_ids or [demo_requester.pk],
        demo_requester_id=demo_requester.pk,
    )
