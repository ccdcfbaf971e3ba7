"""`manage.py seed_demo`: demo logins, reference data, incidents consistent with the lifecycle."""

from functools import reduce
from operator import or_

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import CommandError
from django.core.validators import validate_email
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.test import RequestFactory

from core.choices import EventKind
from core.models import (
    Comment,
    ConfigurationItem,
    OutboxMessage,
    Service,
    SupportGroup,
    TimelineEvent,
    User,
)
from core.roles import role_of
from demo.management.commands.seed_demo import DEFAULT_INCIDENTS
from demo.organisation import DEMO_LOGINS, DEMO_PASSWORD, PEOPLE
from incidents.choices import CancelReason, Category, HoldReason, Impact, IncidentStatus, Urgency
from incidents.models import Incident
from incidents.priority import priority_for
from incidents.services import incident_create
from tests.demo.seeding import number_value, seed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _without_the_email_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests check the incident generator's numbers; the few incidents that the demo
    mailbox opens through the email pipeline are tested in test_email_demo.py."""
    monkeypatch.setattr(
        "demo.management.commands.seed_demo.seed_email_demo", lambda: {"messages": 0}
    )


S = IncidentStatus
MILESTONES = [
    "identified_at",
    "logged_at",
    "classified_at",
    "contained_at",
    "diagnosed_at",
    "resolved_at",
    "closed_at",
]
MILESTONE_OF = {
    S.LOGGED: "logged_at",
    S.CLASSIFIED: "classified_at",
    S.CONTAINED: "contained_at",
    S.DIAGNOSED: "diagnosed_at",
    S.RESOLVED: "resolved_at",
    S.CLOSED: "closed_at",
    S.CANCELLED: "cancelled_at",
}


def test_every_role_has_its_demo_login(seeded: str) -> None:
    request = RequestFactory().post("/accounts/login/")
    for login in DEMO_LOGINS:
        user = authenticate(request, username=login.username, password=DEMO_PASSWORD)
        assert user is not None, login.username
        assert role_of(user) == login.role
        assert user.email.endswith("@example.com")
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert set(
        SupportGroup.objects.filter(
            members__username__in=["agent1", "agent2", "agent3"]
        ).values_list("members__username", "name")
    ) == {
        ("agent1", "Service Desk"),
        ("agent2", "Application Support"),
        ("agent3", "Engineering"),
    }
    assert set(SupportGroup.objects.values_list("manager__username", flat=True)) == {"manager"}
    assert "password 'demo'" in seeded


def test_reference_data_is_realistic(seeded: str) -> None:
    assert User.objects.count() == PEOPLE
    assert User.objects.filter(groups__name="End users").count() >= PEOPLE - 100
    assert 50 <= User.objects.filter(groups__name="Agents").count() <= 200
    names = set(SupportGroup.objects.values_list("name", "tier"))
    assert {
        ("Service Desk", 1),
        ("Application Support", 2),
        ("Infrastructure", 2),
        ("Engineering", 3),
    } <= names
    for group in SupportGroup.objects.annotate(n=Count("members")):
        assert group.n >= 2, group.name
    assert set(
        ConfigurationItem.objects.filter(service__name="Email").values_list("name", flat=True)
    ) >= {"mail-01", "mail-02", "exchange-db"}
    assert not Service.objects.annotate(n=Count("configuration_items")).filter(n=0).exists()
    emails = list(User.objects.values_list("email", flat=True))
    assert len(emails) == len(set(emails))
    for email in emails:
        validate_email(email)
    # Field validation per user is slow; the crowd is made the same way throughout.
    for user in User.objects.order_by("pk")[::97]:
        user.full_clean()


def test_incidents_cover_every_status_and_reason(seeded: str) -> None:
    assert Incident.objects.count() == DEFAULT_INCIDENTS
    assert set(Incident.objects.values_list("status", flat=True)) == set(S.values)
    assert set(
        Incident.objects.filter(status=S.ON_HOLD).values_list("on_hold_reason", flat=True)
    ) == set(HoldReason.values)
    assert set(
        Incident.objects.filter(status=S.CANCELLED).values_list("cancel_reason", flat=True)
    ) == set(CancelReason.values)
    assert Incident.objects.filter(category=Category.SECURITY).exists()
    assert Incident.objects.filter(is_major=True).exists()
    assert Incident.objects.filter(requester__username="user").count() >= len(S.values)
    assert "Incidents by status:" in seeded


def test_milestones_respect_the_lifecycle_order(seeded: str) -> None:
    later_before_earlier = [
        Q(**{f"{later}__lt": F(earlier)})
        for i, earlier in enumerate(MILESTONES)
        for later in MILESTONES[i + 1 :]
    ]
    # A cancellation ends the incident: it comes after every milestone reached.
    later_before_earlier += [Q(cancelled_at__lt=F(milestone)) for milestone in MILESTONES]
    assert not Incident.objects.filter(reduce(or_, later_before_earlier)).exists()
    assert not Incident.objects.exclude(created_at=F("identified_at")).exists()
    assert not Incident.objects.filter(
        reduce(or_, [Q(updated_at__lt=F(m)) for m in [*MILESTONES, "cancelled_at"]])
    ).exists()


def test_only_the_milestones_a_status_reached_are_set(seeded: str) -> None:
    chain = [S.LOGGED, S.CLASSIFIED, S.CONTAINED, S.DIAGNOSED, S.RESOLVED, S.CLOSED]
    # The sweeper's escalation leaves a ticket unassigned in the next tier's queue.
    escalated = Exists(
        TimelineEvent.objects.filter(ticket_id=OuterRef("pk"), kind=EventKind.ESCALATED)
    )
    for position, status in enumerate([S.IDENTIFIED, *chain]):
        unreached = [MILESTONE_OF[s] for s in chain[position:]] + ["cancelled_at"]
        wrong = reduce(or_, [Q(**{f"{field}__isnull": False}) for field in unreached])
        if status != S.IDENTIFIED:
            wrong |= Q(**{f"{MILESTONE_OF[status]}__isnull": True}) | (
                Q(assignee__isnull=True) & ~Q(escalated)
            )
        assert not Incident.objects.filter(wrong, status=status).exists(), status
    assert not Incident.objects.filter(status=S.IDENTIFIED, assignee__isnull=False).exists()
    assert not Incident.objects.filter(
        Q(status=S.ON_HOLD),
        Q(on_hold_reason="")
        | ~Q(status_before_hold__in=[S.LOGGED, S.CLASSIFIED, S.CONTAINED, S.DIAGNOSED])
        | Q(resolved_at__isnull=False)
        | Q(cancelled_at__isnull=False),
    ).exists()
    assert not Incident.objects.filter(
        Q(status=S.CANCELLED),
        Q(cancel_reason="") | Q(cancelled_at__isnull=True) | Q(resolved_at__isnull=False),
    ).exists()
    # Classification sets the category; security and major incidents are contained first.
    assert not Incident.objects.filter(
        Q(classified_at__isnull=False, category="") | Q(classified_at__isnull=True, is_major=True)
    ).exists()
    assert not Incident.objects.filter(
        Q(is_major=True) | Q(category=Category.SECURITY),
        Q(diagnosed_at__isnull=False) | Q(resolved_at__isnull=False),
        contained_at__isnull=True,
    ).exists()
    assert not Incident.objects.filter(
        reduce(
            or_,
            [
                Q(impact=impact, urgency=urgency) & ~Q(priority=priority_for(impact, urgency))
                for impact in Impact.values
                for urgency in Urgency.values
            ],
        )
    ).exists()
    assert not Incident.objects.exclude(tier=F("support_group__tier")).exists()


def test_every_incident_has_a_timeline_matching_its_milestones(seeded: str) -> None:
    ticket_type = ContentType.objects.get_for_model(Incident)
    events = TimelineEvent.objects.filter(ticket_type=ticket_type, ticket_id=OuterRef("pk"))

    def count_of(kind: str) -> Coalesce:
        counted = (
            events.filter(kind=kind)
            .order_by()
            .values("ticket_id")
            .annotate(n=Count("id"))
            .values("n")
        )
        return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))

    def one_if(condition: Q) -> Case:
        return Case(When(condition, then=Value(1)), default=Value(0))

    # A hold is a status change without a milestone timestamp of its own.
    reached = sum(
        (one_if(Q(**{f"{field}__isnull": False})) for field in MILESTONE_OF.values()),
        start=one_if(Q(status=S.ON_HOLD)),
    )
    # Later demo steps (problem links, a completed post-incident review, past pages) act on some
    # incidents through their services or add their own events; the invariants below are about
    # the generated lifecycle history.
    later = (EventKind.FIELDS_CHANGED, EventKind.LINKED, EventKind.REVIEW, EventKind.PAGE)
    incidents = Incident.objects.exclude(Exists(events.filter(kind__in=later))).annotate(
        created=count_of(EventKind.CREATED),
        transitions=count_of(EventKind.STATUS_CHANGED),
        # Escalations, claims and ratings bump the version too (SLA notes do not).
        moves=count_of(EventKind.ESCALATED)
        + count_of(EventKind.ASSIGNED)
        + count_of(EventKind.RATED),
        reached=reached,
        last_event=Subquery(
            events.order_by().values("ticket_id").annotate(at=Max("created_at")).values("at")
        ),
    )
    assert not incidents.exclude(created=1).exists()
    # A reopen passes resolved twice: the reopen and the resolution again.
    assert not incidents.exclude(transitions=F("reached") + 2 * F("reopen_count")).exists()
    assert incidents.filter(reopen_count__gt=0).exists()
    assert not incidents.exclude(last_event=F("updated_at")).exists()
    assert not incidents.exclude(version=F("transitions") + F("moves") + 1).exists()
    for status, field in MILESTONE_OF.items():
        at_that_moment = events.filter(
            kind=EventKind.STATUS_CHANGED, to_status=status, created_at=OuterRef(field)
        )
        missing = Incident.objects.filter(**{f"{field}__isnull": False}).exclude(
            Exists(at_that_moment)
        )
        assert not missing.exists(), status
    commented = TimelineEvent.objects.filter(kind=EventKind.COMMENTED)
    assert commented.exists()
    assert commented.count() == Comment.objects.count()
    assert not commented.filter(comment__isnull=True).exists()
    assert not commented.filter(is_public=F("comment__is_internal")).exists()


def test_seeded_incidents_send_nothing(seeded: str) -> None:
    assert not OutboxMessage.objects.exists()


def test_a_second_run_adds_nothing() -> None:
    seed()
    models = [User, Group, SupportGroup, Service, ConfigurationItem, Incident, TimelineEvent]
    before = {model: model.objects.count() for model in models}

    out = seed()

    assert {model: model.objects.count() for model in models} == before
    assert "none added" in out


def test_incidents_option_adds_numbered_incidents_and_live_numbering_continues() -> None:
    seed(incidents=20)
    events_before = TimelineEvent.objects.count()

    seed(incidents=500)

    numbers = [number_value(n) for n in Incident.objects.values_list("number", flat=True)]
    assert len(numbers) == len(set(numbers)) == 520
    assert TimelineEvent.objects.count() >= events_before + 500
    requester = User.objects.get(username="user")
    live = incident_create(requester=requester, title="Printer on fire")
    assert number_value(live.number) > max(numbers)


def test_the_same_seed_gives_the_same_incidents() -> None:
    fields = ("title", "status", "priority", "requester__username", "assignee__username")
    seed(incidents=30, seed=7)
    first_ids = set(Incident.objects.values_list("pk", flat=True))
    first = list(Incident.objects.order_by("number").values_list(*fields))

    seed(incidents=30, seed=7)

    second = Incident.objects.exclude(pk__in=first_ids).order_by("number")
    assert list(second.values_list(*fields)) == first


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"incidents": -1}, "--incidents must be 0 or more"),
        ({"batch_size": 0}, "--batch-size must be at least 1"),
    ],
)
def test_bad_arguments_are_refused(options: dict[str, int], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        seed(**options)
    assert not Incident.objects.exists()


def test_status_mix_and_history_look_like_two_years_of_a_desk() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from incidents.transitions import OPEN_STATUSES

    seed(incidents=3000)

    open_share = Incident.objects.filter(status__in=OPEN_STATUSES).count() / 3000
    assert 0.07 <= open_share <= 0.13
    now = timezone.now()
    oldest = Incident.objects.order_by("created_at").first()
    newest = Incident.objects.order_by("-created_at").first()
    assert oldest is not None and newest is not None
    assert now - oldest.created_at > timedelta(days=600)
    assert now - newest.created_at < timedelta(days=3)
    assert Incident.objects.values("requester").distinct().count() > 1000


def test_live_writes_continue_after_the_seeded_ids(seeded: str) -> None:
    from core.services import comment_add

    agent = User.objects.get(username="agent1")
    seeded_incident = Incident.objects.order_by("-pk").first()
    assert seeded_incident is not None
    top_comment = Comment.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    comment = comment_add(
        ticket=seeded_incident, author=agent, body="Still there?", is_internal=False
    )
    live = incident_create(requester=agent, title="Keyboard missing keys")

    assert comment.pk > top_comment
    assert live.pk > seeded_incident.pk
