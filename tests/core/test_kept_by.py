"""A statement kept for every value of one parameter (core.kept_statements.kept_by): compiled
once per key with a stand-in, each call's value filled in. Reads give what the queryset gives
for each value; nothing is compiled again; a value of another type, or a query whose stand-in
the ORM does not pass as a parameter, is read as before. The ticket pages read their ticket this
way, and a viewer still never gets a ticket out of their scope."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from core import kept_objects as kept_objects_module
from core import kept_statements
from core.choices import EventKind, Role, Source
from core.kept_objects import kept_objects_by
from core.kept_statements import kept_rows_by
from core.models import TimelineEvent, User
from incidents.choices import Category
from tests.factories import IncidentFactory, SupportGroupFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_each_value_reads_its_own_rows_from_one_compiled_statement(monkeypatch, agent_l1, end_user):
    compiled = []
    original = kept_objects_module.objects_statement

    def counting(queryset):
        compiled.append(queryset)
        return original(queryset)

    monkeypatch.setattr(kept_objects_module, "objects_statement", counting)
    build = lambda name: User.objects.filter(username=name)  # noqa: E731
    for user in (agent_l1, end_user, agent_l1):
        assert kept_objects_by(("test-users",), build, user.username) == [user]
    assert kept_objects_by(("test-users",), build, "nobody") == []
    assert len(compiled) == 1


def test_rows_by_value(agent_l1, end_user):
    build = lambda pk: User.objects.filter(pk=pk).values_list("username")  # noqa: E731
    for user in (agent_l1, end_user):
        assert kept_rows_by(("test-rows",), build, user.pk) == [(user.username,)]


def test_what_cannot_be_filled_in_is_read_as_before(agent_l1):
    # icontains passes "%value%", not the value: the stand-in is not among the parameters.
    build = lambda text: User.objects.filter(username__icontains=text)  # noqa: E731
    assert kept_objects_by(("test-contains",), build, agent_l1.username[1:]) == [agent_l1]
    # A value of a type with no stand-in.
    by_flag = lambda flag: User.objects.filter(pk=agent_l1.pk, is_active=flag)  # noqa: E731
    assert kept_objects_by(("test-flag",), by_flag, True) == [agent_l1]
    assert kept_objects_by(("test-flag",), by_flag, False) == []


def test_an_outsider_never_gets_a_security_incident_a_member_read(client_for, agent_l1, end_user):
    security = SupportGroupFactory(name="Security", handles_security=True)
    member = UserFactory(username="secagent", role=Role.AGENT)
    security.members.add(member)
    breach = IncidentFactory(requester=end_user, category=Category.SECURITY)
    outage = IncidentFactory(requester=end_user)
    for incident, outsider_sees in ((breach, 404), (outage, 200)):
        url = reverse("incidents:agent_detail", args=[incident.number])
        assert client_for(member).get(url).status_code == 200
        assert client_for(agent_l1).get(url).status_code == outsider_sees


def test_a_value_the_orm_passes_as_a_subtype_is_filled_in_as_that_subtype(agent_l1, end_user):
    """A big integer column's value goes to psycopg as its Int8 (a subtype of int) on
    PostgreSQL: the stand-in is found as that type, and each value filled in as it."""
    incidents = [IncidentFactory(requester=user) for user in (agent_l1, end_user)]
    for incident in incidents:
        TimelineEvent.objects.create(
            ticket_type=ContentType.objects.get_for_model(incident),
            ticket_id=incident.pk,
            source=Source.WEB,
            kind=EventKind.COMMENTED,
            message=f"about {incident.number}",
            created_at=timezone.now(),
        )
    kept_statements._BY.pop(("rows", ("test-big",)), None)
    build = lambda ticket_id: TimelineEvent.objects.filter(ticket_id=ticket_id).values_list(  # noqa: E731
        "message"
    )
    for incident in (*incidents, incidents[0]):
        assert kept_rows_by(("test-big",), build, incident.pk) == [(f"about {incident.number}",)]
    assert kept_statements._BY[("rows", ("test-big",))] is not None
