"""factory_boy factories. Tickets in a given state are built directly (fixtures); the lifecycle
itself is exercised through the services."""

from datetime import timedelta

import factory
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from core.choices import EventKind, Role, Source, Tier
from core.models import ConfigurationItem, Service, SupportGroup, TimelineEvent, User
from core.roles import ROLE_GROUP_NAMES
from incidents.choices import Impact, IncidentStatus, Urgency
from incidents.models import Incident
from incidents.priority import priority_for


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw-for-tests-1")

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        if not create:
            return
        role = extracted or Role.END_USER
        group, _ = Group.objects.get_or_create(name=ROLE_GROUP_NAMES[role])
        self.groups.add(group)


class SupportGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportGroup
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Group {n}")
    tier = Tier.L1


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Service {n}")
    owner_group = factory.SubFactory(SupportGroupFactory)


class ConfigurationItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConfigurationItem

    service = factory.SubFactory(ServiceFactory)
    name = factory.Sequence(lambda n: f"ci-{n}")
    kind = "server"


class IncidentFactory(factory.django.DjangoModelFactory):
    """An incident stored directly in a given status (use services to exercise the lifecycle)."""

    class Meta:
        model = Incident

    number = factory.Sequence(lambda n: f"INC-9{n:05d}")
    title = factory.Faker("sentence", nb_words=6)
    description = factory.Faker("paragraph")
    requester = factory.SubFactory(UserFactory)
    impact = Impact.MEDIUM
    urgency = Urgency.MEDIUM
    priority = factory.LazyAttribute(lambda o: priority_for(o.impact, o.urgency))
    status = IncidentStatus.IDENTIFIED
    identified_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    created_at = factory.LazyAttribute(lambda o: o.identified_at)
    updated_at = factory.LazyAttribute(lambda o: o.identified_at)


def incident_with_events(count: int, *, same_instant: bool = False, **fields: object) -> Incident:
    """A classified incident whose timeline holds `count` status entries, "entry 0" (oldest, a
    minute apart unless `same_instant`) to "entry <count - 1>", stored directly."""
    incident = IncidentFactory(status=IncidentStatus.CLASSIFIED, **fields)
    start = timezone.now() - timedelta(days=30)
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            ticket_type=ContentType.objects.get_for_model(incident),
            ticket_id=incident.pk,
            source=Source.WEB,
            kind=EventKind.STATUS_CHANGED,
            from_status=IncidentStatus.LOGGED,
            to_status=IncidentStatus.CLASSIFIED,
            message=f"entry {n}",
            created_at=start if same_instant else start + timedelta(minutes=n),
        )
        for n in range(count)
    )
    return incident


def security_group_member(username: str = "secagent") -> User:
    """An agent in an active L2 group that handles security: they see every restricted ticket
    (core.tickets.visibility)."""
    group = SupportGroupFactory(name="Security", tier=Tier.L2, handles_security=True)
    member = UserFactory(username=username, role=Role.AGENT)
    group.members.add(member)
    return member
