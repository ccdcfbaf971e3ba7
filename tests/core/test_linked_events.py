"""The kernel's link events, shared by every kind that links tickets (problems and their
incidents, changes and their problems): one constructor each, one description each."""

import pytest
from django.contrib.contenttypes.models import ContentType

from core.choices import EventKind, Source
from core.models import TimelineEvent
from core.tickets.describe import describe
from core.tickets.events import linked_events, linked_resolved_event
from tests.factories import IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db


def _events(ticket) -> list[TimelineEvent]:
    return list(
        TimelineEvent.objects.filter(
            ticket_type=ContentType.objects.get_for_model(ticket), ticket_id=ticket.pk
        )
        .exclude(kind=EventKind.CREATED)
        .order_by("id")
    )


def test_a_link_writes_an_internal_event_on_each_side_naming_the_other():
    first, second = IncidentFactory(), IncidentFactory()
    actor = UserFactory()
    linked_events(
        first, second, actor=actor, source=Source.WEB, messages=("Caused it.", "Caused by it.")
    )
    linked_events(
        first, second, actor=actor, source=Source.API, messages=("Gone.", "Gone too."), linked=False
    )
    mine, theirs = _events(first), _events(second)
    assert [(e.kind, e.message, e.changes) for e in mine] == [
        (EventKind.LINKED, "Caused it.", {"other": second.number}),
        (EventKind.UNLINKED, "Gone.", {"other": second.number}),
    ]
    assert [(e.kind, e.message, e.changes) for e in theirs] == [
        (EventKind.LINKED, "Caused by it.", {"other": first.number}),
        (EventKind.UNLINKED, "Gone too.", {"other": first.number}),
    ]
    assert not any(e.is_public for e in mine + theirs)
    assert {describe(e, first).verb for e in mine} == {"changed the linked tickets"}
    assert describe(mine[1], first).body == "Gone."


@pytest.mark.parametrize("noun", ["incidents", "problems"])
def test_closing_the_loop_counts_and_names_what_the_fix_resolved(noun):
    ticket = IncidentFactory()
    event = linked_resolved_event(
        ticket,
        actor=UserFactory(),
        source=Source.WEB,
        noun=noun,
        resolved_with="Resolved with the fix",
        resolved=["A-1", "A-2"],
        refused=["A-3 (it is closed)"],
    )
    assert event.kind == EventKind.LINKED_RESOLVED and not event.is_public
    assert event.changes == {f"resolved_{noun}": 2, "not_resolved": 1}
    assert event.message == "Resolved with the fix: A-1, A-2.\n\nNot resolved: A-3 (it is closed)"
    view = describe(event, ticket)
    assert view.verb == f"resolved the linked {noun}"
    assert (view.body, view.body_format) == (event.message, "markdown")


def test_closing_the_loop_with_nothing_resolved_says_only_what_was_refused():
    ticket = IncidentFactory()
    event = linked_resolved_event(
        ticket,
        actor=UserFactory(),
        source=Source.WEB,
        noun="problems",
        resolved_with="Resolved with this change",
        resolved=[],
        refused=["PRB-1 (no permanent fix)"],
    )
    assert event.message == "Not resolved: PRB-1 (no permanent fix)"
    assert event.changes == {"resolved_problems": 0, "not_resolved": 1}
