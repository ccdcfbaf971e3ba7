"""The kernel's link events, shared by every kind that links tickets (problems and their
incidents, changes and their problems): one constructor each, one description each."""

import pytest

from core.choices import EventKind, Source
from core.tickets.describe import describe
from core.tickets.events import linked_event, linked_resolved_event
from tests.factories import IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_linking_and_unlinking_are_internal_events_naming_the_other_ticket():
    first, second = IncidentFactory(), IncidentFactory()
    actor = UserFactory()
    linked = linked_event(
        first, other=second, actor=actor, source=Source.WEB, message=f"Linked {second.number}."
    )
    unlinked = linked_event(
        first, other=second, actor=actor, source=Source.API, message="Unlinked.", linked=False
    )
    assert (linked.kind, unlinked.kind) == (EventKind.LINKED, EventKind.UNLINKED)
    assert linked.changes == {"other": second.number} and not linked.is_public
    assert describe(linked, first).verb == "changed the linked tickets"
    assert describe(unlinked, first).body == "Unlinked."


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
