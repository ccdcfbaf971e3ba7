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

from core.choices import Role, Tier
from core.models import ConfigurationItem, Service, SupportGroup, User
from core.roles import ROLE_GROUP_NAMES, ensure_role_groups
from core.tickets.escalation import next_tier_group
from demo.organisation import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    FIRST_LINE_GROUP,
    FIRST_NAMES,
    GROUPS,
    LAST_NAMES,
    PEOPLE,
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
    # (service name, tier) -> the group the SLA sweeper escalates a ticket of that service to
    # (core.tickets.escalation.next_tier_group); tiers without an active group are missing.
    escalation_group: dict[tuple[str, int], int]
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
        return f"{self.username}@example.com"


def extra_people() -> tuple[dict[str, list[Person]], list[Person]]:
    """The extra agents per support group and the extra end users, always the same ones:
    PEOPLE in all with the demo logins."""
    rng = random.Random(PEOPLE_SEED)  # noqa: S311 — reproducible demo names, not secrets
    taken = {(login.first_name, login.last_name) for login in DEMO_LOGINS}
    pairs = [(f, last) for f in FIRST_NAMES for last in LAST_NAMES if (f, last) not in taken]
    rng.shuffle(pairs)
    wanted = max(PEOPLE - len(DEMO_LOGINS), sum(spec.extra_agents for spec in GROUPS))
    seen = {login.username for login in DEMO_LOGINS}
    pool: list[Person] = []
    round_ = 1
    while len(pool) < wanted:
        for first, last in pairs:
            login = _ascii_login(first, last)
            username = login if round_ == 1 else f"{login}{round_}"
            if username not in seen:
                seen.add(username)
                pool.append(Person(username, first, last))
                if len(pool) == wanted:
                    break
        round_ += 1
    agents: dict[str, list[Person]] = {}
    for spec in GROUPS:
        agents[spec.name], pool = pool[: spec.extra_agents], pool[spec.extra_agents :]
    return agents, pool


def _ascii_login(first: str, last: str) -> str:
    """'Chloé', 'de Vries' -> 'chloe.devries': email validators and most mail systems want
    ASCII local parts."""
    folded = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode()
    return folded.lower().replace(" ", "")


def _ensure_login(
    login: DemoLogin, *, role_groups: dict[str, Group], counts: CreatedCounts, hashed: "_Hash"
) -> User:
    """A documented login (its password set when it is created, never reset)."""
    person = Person(login.username, login.first_name, login.last_name)
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
        user.password = hashed.demo_password()
        user.save(update_fields=["password"])
    user.groups.add(role_groups[login.role])
    if login.is_superuser and not (user.is_staff and user.is_superuser):
        user.is_staff = True
        user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    return user


class _Hash:
    """One PBKDF2 hash of the demo password for everyone created in a run, made when first
    needed: hashing costs ~0.5 s at Django's work factor, per user otherwise."""

    def __init__(self) -> None:
        self._value: str | None = None

    def demo_password(self) -> str:
        if self._value is None:
            self._value = make_password(DEMO_PASSWORD)
        return self._value


def _ensure_crowd(
    members: list[tuple[Person, Group, SupportGroup | None]],
    *,
    counts: CreatedCounts,
    hashed: _Hash,
) -> None:
    """Create the people who are missing, set by set (two thousand get_or_create calls took
    seconds), and put everyone back in their role group and support group."""
    have = set(User.objects.values_list("username", flat=True))
    missing = [person for person, _, _ in members if person.username not in have]
    if missing:
        shared = hashed.demo_password()
        User.objects.bulk_create(
            [
                User(
                    username=person.username,
                    first_name=person.first_name,
                    last_name=person.last_name,
                    email=person.email,
                    password=shared,
                )
                for person in missing
            ],
            batch_size=500,
            ignore_conflicts=True,
        )
        counts.users += len(missing)
    wanted = {person.username for person, _, _ in members}
    ids = {
        username: pk
        for username, pk in User.objects.values_list("username", "pk")
        if username in wanted
    }
    roles = User.groups.through
    roles.objects.bulk_create(
        [roles(user_id=ids[person.username], group_id=role.pk) for person, role, _ in members],
        batch_size=500,
        ignore_conflicts=True,
    )
    teams = SupportGroup.members.through
    teams.objects.bulk_create(
        [
            teams(user_id=ids[person.username], supportgroup_id=team.pk)
            for person, _, team in members
            if team is not None
        ],
        batch_size=500,
        ignore_conflicts=True,
    )


def seed_reference_data() -> DemoWorld:
    """Create (or reuse) the demo people, support groups, services and CIs; return their ids."""
    counts = CreatedCounts()
    hashed = _Hash()
    with transaction.atomic():
        ensure_role_groups()
        role_groups = {
            role: Group.objects.get(name=name) for role, name in ROLE_GROUP_NAMES.items()
        }
        logins = {
            login.username: _ensure_login(
                login, role_groups=role_groups, counts=counts, hashed=hashed
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
        crowd: list[tuple[Person, Group, SupportGroup | None]] = [
            (person, role_groups[Role.AGENT], groups[group_name])
            for group_name, people in extra_agents.items()
            for person in people
        ]
        crowd += [(person, role_groups[Role.END_USER], None) for person in extra_end_users]
        _ensure_crowd(crowd, counts=counts, hashed=hashed)

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
    services = {
        s.name: s
        for s in Service.objects.filter(name__in=service_names).select_related("owner_group")
    }
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
    escalation_group: dict[tuple[str, int], int] = {}
    for name, service in services.items():
        for tier in (Tier.L2, Tier.L3):
            target = next_tier_group(tier, service)
            if target is None:
                continue
            escalation_group[(name, tier)] = target.pk
            # A group the demo did not create (an admin's) is worked by the first line's agents.
            members.setdefault(target.pk, members[first_line.pk])
            groups.setdefault(target.name, target)
    labelled = set(requester_ids) | {uid for ids in members.values() for uid in ids}
    user_label = {user.pk: user.display_name for user in User.objects.filter(pk__in=labelled)}
    return DemoWorld(
        first_line_group_id=first_line.pk,
        third_line_group_id=groups[THIRD_LINE_GROUP].pk,
        group_tier={g.pk: g.tier for g in groups.values()},
        group_label={g.pk: str(g) for g in groups.values()},
        group_members=members,
        service_owner={name: s.owner_group_id for name, s in services.items()},
        escalation_group=escalation_group,
        service_id={name: s.pk for name, s in services.items()},
        ci_id=ci_id,
        ci_label=ci_label,
        cis_of_service=cis_of_service,
        user_label=user_label,
        requester_ids=requester_ids or [demo_requester.pk],
        demo_requester_id=demo_requester.pk,
    )
