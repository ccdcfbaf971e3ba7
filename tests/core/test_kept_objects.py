"""Model instances read by a kept statement (core.kept_objects) are what the queryset gives:
the same rows with the same field values (dates converted), their select_related rows attached
(None where the foreign key is empty), their annotations set, no extra query to reach them; a
queryset it cannot reproduce is refused; one that can have no rows reads nothing. The agent
ticket page's timeline and the problem page's problem are read that way, and still show what
was added since."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count, F, Value

from core.kept_objects import fetch_objects, kept_objects, objects_statement
from core.models import TimelineEvent
from core.services import attachment_add, comment_add
from problems.selectors import problem_get_for_user
from tests.factories import incident_with_events
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db

RELATED = ("actor", "comment", "attachment")


def _values(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def _timeline(incident):
    return (
        TimelineEvent.objects.filter(
            ticket_type=ContentType.objects.get_for_model(incident), ticket_id=incident.pk
        )
        .select_related(*RELATED)
        .order_by("-created_at", "-id")
    )


def test_instances_are_the_querysets(agent_l1, django_assert_num_queries):
    incident = incident_with_events(3)
    comment_add(ticket=incident, author=agent_l1, body="Looking", is_internal=True)
    upload = SimpleUploadedFile("log.txt", b"x" * 10, content_type="text/plain")
    attachment_add(ticket=incident, uploaded_by=agent_l1, upload=upload)
    expected = list(_timeline(incident))
    kept = objects_statement(_timeline(incident))
    assert kept is not None
    with django_assert_num_queries(1):
        found = fetch_objects(kept)
        related = [[getattr(event, name) for name in RELATED] for event in found]
    assert [_values(event) for event in found] == [_values(event) for event in expected]
    assert [[_values(obj) if obj else None for obj in row] for row in related] == [
        [_values(obj) if obj else None for obj in (getattr(event, n) for n in RELATED)]
        for event in expected
    ]
    assert any(row[0] is None for row in related)  # entries without an actor
    assert all(event._state.db == expected[0]._state.db for event in found)


def test_annotations_are_set_as_the_queryset_sets_them():
    incident = incident_with_events(2)
    annotated = (
        _timeline(incident).annotate(words=Count("id"), later=Value(1) + F("id")).order_by("id")
    )
    found = fetch_objects(objects_statement(annotated))
    assert [(e.pk, e.words, e.later) for e in found] == [
        (e.pk, e.words, e.later) for e in annotated
    ]


def test_what_it_cannot_reproduce_is_refused():
    for queryset in (
        TimelineEvent.objects.extra(select={"n": "1"}),
        TimelineEvent.objects.values_list("id"),
        TimelineEvent.objects.only("id"),
    ):
        with pytest.raises(ValueError, match="cannot make"):
            objects_statement(queryset)


def test_an_empty_queryset_reads_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert kept_objects(("test-none",), TimelineEvent.objects.none) == []


def test_kept_reads_see_rows_added_since(agent_l1, end_user):
    problem = ProblemFactory(requester=agent_l1, title="Before")
    assert problem_get_for_user(agent_l1, problem.number, counted=False).title == "Before"
    type(problem).objects.filter(pk=problem.pk).update(title="After")
    again = problem_get_for_user(agent_l1, problem.number, counted=False)
    assert again.title == "After" and again.requester == agent_l1
    with pytest.raises(Exception, match="No problem"):
        problem_get_for_user(end_user, problem.number, counted=False)
