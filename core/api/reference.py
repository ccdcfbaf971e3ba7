"""Reference resources: /api/v1/services/, /api/v1/configuration-items/, /api/v1/support-groups/
and /api/v1/users/ (read-only; they are maintained in the Django admin).

Who sees what, decided here and documented in the schema:

- services and configuration items: everyone signed in (requesters pick them when reporting an
  incident, as in the portal); end users see the active ones only, agents all of them
  (`?is_active=` narrows).
- support groups: agents, managers and admins (403 for end users: the team structure is the
  service desk's internal business; requesters only see the group name on their own tickets).
- users: agents, managers and admins list and read everyone, with email, role, manager and
  support groups (they assign, approve and contact people). End users see exactly one user,
  themselves (`/users/me/`, or their own id); anyone else is a 404, the list holds only them.
"""

from typing import Any, ClassVar

import django_filters
from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.permissions import HasTokenScope, IsAgent
from core.api.serializers import (
    OutputModelSerializer,
    ServiceRefSerializer,
    SupportGroupRefSerializer,
    UserRefSerializer,
)
from core.api.views import ApiViewSet
from core.choices import Criticality, Role
from core.models import ConfigurationItem, Service, SupportGroup, User
from core.roles import ROLE_GROUP_NAMES, is_agent

# --- selectors -----------------------------------------------------------------------------------


def service_list_for_user(user: User) -> QuerySet[Service]:
    services = Service.objects.select_related("owner_group").order_by("name", "id")
    return services if is_agent(user) else services.filter(is_active=True)


def configuration_item_list_for_user(user: User) -> QuerySet[ConfigurationItem]:
    items = ConfigurationItem.objects.select_related("service").order_by("name", "id")
    if is_agent(user):
        return items
    return items.filter(is_active=True, service__is_active=True)


def support_group_list_for_user(user: User) -> QuerySet[SupportGroup]:
    if not is_agent(user):
        return SupportGroup.objects.none()
    return (
        SupportGroup.objects.select_related("manager")
        .prefetch_related("members")
        .order_by("tier", "name", "id")
    )


def user_list_for_user(user: User) -> QuerySet[User]:
    people = User.objects.select_related("manager").prefetch_related("groups", "support_groups")
    if is_agent(user):
        return people
    return people.filter(pk=user.pk)


def role_from_prefetched(person: User) -> str:
    """core.roles.role_of from the prefetched groups (role_of itself queries per person)."""
    names = {group.name for group in person.groups.all()}
    if not person.is_active:
        return Role.END_USER
    if person.is_superuser or ROLE_GROUP_NAMES[Role.ADMIN] in names:
        return Role.ADMIN
    if ROLE_GROUP_NAMES[Role.MANAGER] in names:
        return Role.MANAGER
    if ROLE_GROUP_NAMES[Role.AGENT] in names:
        return Role.AGENT
    return Role.END_USER


# --- filters -------------------------------------------------------------------------------------


def _name_search(field_names: tuple[str, ...]) -> Any:
    def search(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        text = value.strip()
        if not text:
            return queryset
        match = Q()
        for field_name in field_names:
            match |= Q(**{f"{field_name}__icontains": text})
        return queryset.filter(match)

    return search


class ServiceFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method=_name_search(("name",)), label="Search by name")
    is_active = django_filters.BooleanFilter(label="Active")
    criticality = django_filters.ChoiceFilter(choices=Criticality.choices, label="Criticality")

    class Meta:
        model = Service
        fields: list[str] = []


class ConfigurationItemFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method=_name_search(("name",)), label="Search by name")
    service = django_filters.ModelChoiceFilter(queryset=Service.objects.all(), label="Service (id)")
    kind = django_filters.CharFilter(label="Kind (server, database, …)")
    is_active = django_filters.BooleanFilter(label="Active")

    class Meta:
        model = ConfigurationItem
        fields: list[str] = []


class SupportGroupFilterSet(django_filters.FilterSet):
    tier = django_filters.TypedChoiceFilter(
        choices=[(1, "L1"), (2, "L2"), (3, "L3")], coerce=int, label="Tier"
    )
    is_active = django_filters.BooleanFilter(label="Active")

    class Meta:
        model = SupportGroup
        fields: list[str] = []


def _members_of(*roles: str) -> Q:
    names = [ROLE_GROUP_NAMES[role] for role in roles]
    memberships = User.groups.through.objects.filter(group__name__in=names)
    return Q(pk__in=memberships.values("user_id"))


# A person's role is the highest they hold (core.roles.role_of); inactive people are end users.
ROLE_CONDITIONS: dict[str, Q] = {
    Role.ADMIN: Q(is_active=True) & (Q(is_superuser=True) | _members_of(Role.ADMIN)),
    Role.MANAGER: Q(is_active=True, is_superuser=False)
    & _members_of(Role.MANAGER)
    & ~_members_of(Role.ADMIN),
    Role.AGENT: Q(is_active=True, is_superuser=False)
    & _members_of(Role.AGENT)
    & ~_members_of(Role.MANAGER, Role.ADMIN),
    Role.END_USER: Q(is_active=False)
    | (Q(is_superuser=False) & ~_members_of(Role.AGENT, Role.MANAGER, Role.ADMIN)),
}


class UserFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method=_name_search(("username", "first_name", "last_name", "email")),
        label="Search username, name and email",
    )
    role = django_filters.ChoiceFilter(choices=Role.choices, method="filter_role", label="Role")
    is_active = django_filters.BooleanFilter(label="Active")
    support_group = django_filters.ModelChoiceFilter(
        queryset=SupportGroup.objects.all(),
        method="filter_support_group",
        label="Member of this support group (id)",
    )

    class Meta:
        model = User
        fields: list[str] = []

    def filter_role(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        return queryset.filter(ROLE_CONDITIONS[value]) if value else queryset

    def filter_support_group(
        self, queryset: QuerySet[User], name: str, value: SupportGroup | None
    ) -> QuerySet[User]:
        if value is None:
            return queryset
        # A subquery, not a join: a join would repeat people in several matching rows.
        members = SupportGroup.members.through.objects.filter(supportgroup_id=value.pk)
        return queryset.filter(pk__in=members.values("user_id"))


# --- output --------------------------------------------------------------------------------------


class ServiceOutputSerializer(OutputModelSerializer):
    owner_group = SupportGroupRefSerializer(read_only=True)

    class Meta:
        model = Service
        fields = ["id", "name", "description", "criticality", "owner_group", "is_active"]
        read_only_fields = fields


class ConfigurationItemOutputSerializer(OutputModelSerializer):
    service = ServiceRefSerializer(read_only=True)

    class Meta:
        model = ConfigurationItem
        fields = ["id", "name", "kind", "description", "service", "is_active"]
        read_only_fields = fields


class SupportGroupOutputSerializer(OutputModelSerializer):
    email = serializers.EmailField(read_only=True, allow_blank=True)
    manager = UserRefSerializer(read_only=True, allow_null=True)
    members = UserRefSerializer(many=True, read_only=True)

    class Meta:
        model = SupportGroup
        fields = ["id", "name", "tier", "email", "manager", "members", "is_active"]
        read_only_fields = fields


class UserOutputSerializer(OutputModelSerializer):
    display_name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True, allow_blank=True)
    role = serializers.SerializerMethodField()
    manager = UserRefSerializer(read_only=True, allow_null=True)
    support_groups = SupportGroupRefSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "first_name",
            "last_name",
            "email",
            "role",
            "is_active",
            "manager",
            "support_groups",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=Role.choices))
    def get_role(self, obj: User) -> str:
        return role_from_prefetched(obj)


# --- viewsets ------------------------------------------------------------------------------------


class _ReadOnly(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """A read-only reference resource by id; `list_for_user` is its scoped selector (what
    is out of scope is a 404)."""

    lookup_value_regex = r"[0-9]{1,12}"
    list_for_user: ClassVar["staticmethod[[User], QuerySet[Any]]"]

    def get_queryset(self) -> QuerySet[Any]:
        return type(self).list_for_user(self.current_user())


def _summaries(many: str, one: str) -> Any:
    """What the list and the retrieve operation say in the schema."""
    return extend_schema_view(list=extend_schema(summary=many), retrieve=extend_schema(summary=one))


@_summaries("List services", "One service")
class ServiceViewSet(_ReadOnly):
    """Business and technical services (end users: the active ones)."""

    queryset = Service.objects.none()  # for the schema only; reads use the selector
    serializer_class = ServiceOutputSerializer
    filterset_class = ServiceFilterSet
    list_for_user = staticmethod(service_list_for_user)


@_summaries("List configuration items", "One configuration item")
class ConfigurationItemViewSet(_ReadOnly):
    """Configuration items, each of one service (end users: active ones of active services)."""

    queryset = ConfigurationItem.objects.none()  # for the schema only
    serializer_class = ConfigurationItemOutputSerializer
    filterset_class = ConfigurationItemFilterSet
    list_for_user = staticmethod(configuration_item_list_for_user)


@_summaries("List support groups (agents)", "One support group (agents)")
class SupportGroupViewSet(_ReadOnly):
    """Support groups by tier with their manager and members (agents)."""

    queryset = SupportGroup.objects.none()  # for the schema only
    serializer_class = SupportGroupOutputSerializer
    filterset_class = SupportGroupFilterSet
    permission_classes = [IsAuthenticated, HasTokenScope, IsAgent]
    list_for_user = staticmethod(support_group_list_for_user)


@_summaries(
    "List people (end users: only themselves)",
    "One person (end users: only themselves, anyone else is a 404)",
)
class UserViewSet(_ReadOnly):
    """People. Agents, managers and admins see everyone; end users only themselves."""

    queryset = User.objects.none()  # for the schema only
    serializer_class = UserOutputSerializer
    filterset_class = UserFilterSet
    list_for_user = staticmethod(user_list_for_user)

    @extend_schema(summary="The signed-in person", responses=UserOutputSerializer)
    @action(detail=False, methods=["get"], url_path="me", url_name="me", filter_backends=[])
    def me(self, request: Request) -> Response:
        person = user_list_for_user(self.current_user()).get(pk=self.current_user().pk)
        return self.render(person)
