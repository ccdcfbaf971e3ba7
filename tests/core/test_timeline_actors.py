"""The people timeline entries name are kept per process (core.selectors.with_actors): the
ticket pages read their entries without joining the users' table, name the same people as
before, read no person twice, and show a renamed person's new name on the next page."""

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.choices import EventKind, Source
from core.models import TimelineEvent, User
from core.selectors import timeline_for_user, with_actors
from tests.factories import IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agents(agent_l1: User, agent_l2: User) -> list[User]:
    return [agent_l1, agent_l2]


def _said(ticket: Any, person: User | None, message: str) -> TimelineEvent:
    return TimelineEvent.objects.create(
        ticket_type=ContentType.objects.get_for_model(ticket),
        ticket_id=ticket.pk,
        actor=person,
        kind=EventKind.FIELDS_CHANGED,
        source=Source.WEB,
        message=message,
        is_public=True,
        created_at=timezone.now(),
    )


def _events(ticket: Any, viewer: User) -> list[TimelineEvent]:
    return list(timeline_for_user(ticket=ticket, user=viewer, actors=False))


def test_each_entry_has_its_actor_as_select_related_gave_it(agents: list[User]) -> None:
    incident = IncidentFactory()
    _said(incident, agents[0], "first")
    _said(incident, None, "by the system")
    _said(incident, agents[1], "second")
    joined = list(timeline_for_user(ticket=incident, user=agents[0]))
    kept = with_actors(_events(incident, agents[0]))
    assert [e.actor for e in kept] == [e.actor for e in joined]
    assert [e.actor.display_name if e.actor else None for e in kept] == [
        e.actor.display_name if e.actor else None for e in joined
    ]


def test_people_are_read_once_then_kept(agents: list[User]) -> None:
    incident = IncidentFactory()
    for person in (*agents, *agents):
        _said(incident, person, "note")
    events, again_events = _events(incident, agents[0]), _events(incident, agents[0])
    with CaptureQueriesContext(connection) as first:
        with_actors(events)
        assert all(e.actor is not None for e in events)  # set, not read per entry
    with CaptureQueriesContext(connection) as again:
        with_actors(again_events)
        assert [e.actor for e in again_events] == [e.actor for e in events]
    assert len(first.captured_queries) == 1  # their people, in one query
    assert len(again.captured_queries) == 0


def test_a_renamed_person_is_named_anew_on_the_next_page(client_for, agents: list[User]) -> None:
    incident = IncidentFactory()
    author = UserFactory(first_name="Ada", last_name="Lovelace")
    _said(incident, author, "looked at it")
    client = client_for(agents[0])
    page = reverse("incidents:agent_detail", args=[incident.number])
    assert "Ada Lovelace" in client.get(page).content.decode()
    author.last_name = "King"
    author.save()
    body = client.get(page).content.decode()
    assert "Ada King" in body and "Ada Lovelace" not in body
    portal = client_for(incident.requester).get(
        reverse("incidents:portal_detail", args=[incident.number])
    )
    assert "Ada King" in portal.content.decode()


def test_a_sign_in_keeps_the_people(client, agents: list[User]) -> None:
    incident = IncidentFactory()
    _said(incident, agents[1], "note")
    with_actors(_events(incident, agents[0]))
    client.force_login(agents[1])  # saves last_login only
    events = _events(incident, agents[0])
    with CaptureQueriesContext(connection) as again:
        with_actors(events)
    assert len(again.captured_queries) == 0
