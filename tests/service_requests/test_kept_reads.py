"""The request page's own reads through kept statements (core.kept_objects.kept_related): a
request's tasks and its item's questions are compiled once and each request's or item's id filled
in. Each read gives what the related manager gives, for two requests in turn from one compiled
statement; without a stand-in for the id it is read as before."""

import pytest

from core import kept_objects as kept_objects_module
from core import kept_statements
from service_requests import services
from service_requests.models import ServiceRequest
from service_requests.selectors import fields_of, tasks_of
from tests.kept import compiled_by, read

pytestmark = pytest.mark.django_db

LAPTOP = {"model": "Standard", "needed_by": "2030-01-15", "justification": "Old one died"}


@pytest.fixture
def two_requests(requester, agent_l1, laptop, mfa) -> tuple[ServiceRequest, ServiceRequest]:
    """A laptop (three questions, two tasks, the first done) and an MFA reset (no question,
    one task)."""
    first = services.request_create(requester=requester, item=laptop, answers=LAPTOP)
    second = services.request_create(requester=requester, item=mfa, answers={})
    first.tasks.filter(order=1).update(is_done=True, done_by=agent_l1)
    return first, second


@pytest.fixture
def compiled(monkeypatch) -> list[object]:
    return compiled_by(monkeypatch, kept_objects_module, "objects_statement")


TASK = ("pk", "title", "is_done", "done_by_id", "done_by", "request")


def _tasks(request: ServiceRequest) -> list[tuple[object, ...]]:
    return read(tasks_of(request), TASK)


def _expected_tasks(request: ServiceRequest) -> list[tuple[object, ...]]:
    return read(request.tasks.select_related("done_by").order_by("order", "id"), TASK)


def test_each_requests_tasks_from_one_compiled_statement(two_requests, compiled):
    first, second = two_requests
    for request in (first, second, first):
        assert _tasks(request) == _expected_tasks(request)
    assert [task.title for task in tasks_of(second)] == ["Verify identity"]
    assert tasks_of(first)[0].done_by is not None
    assert len(compiled) == 1


def test_a_task_knows_its_request_without_a_query(two_requests, django_assert_num_queries):
    first, _ = two_requests
    tasks = tasks_of(first)
    with django_assert_num_queries(0):
        assert all(task.request is first for task in tasks)


def test_each_items_questions_from_one_compiled_statement(two_requests, compiled):
    first, second = two_requests
    for item in (first.catalog_item, second.catalog_item, first.catalog_item):
        expected = list(item.fields.order_by("order", "id"))
        assert fields_of(item) == expected
        assert [f.key for f in fields_of(item)] == [f.key for f in expected]
        assert all(field.item is item for field in fields_of(item))
    assert [f.key for f in fields_of(first.catalog_item)] == ["model", "needed_by", "justification"]
    assert fields_of(second.catalog_item) == []
    assert len(compiled) == 1


def test_without_a_stand_in_they_are_read_as_before(two_requests, monkeypatch):
    monkeypatch.setattr(kept_statements, "STAND_INS", {})
    first, second = two_requests
    for request in (first, second):
        assert _tasks(request) == _expected_tasks(request)
        assert fields_of(request.catalog_item) == list(
            request.catalog_item.fields.order_by("order", "id")
        )


def test_a_task_ticked_shows_at_the_next_read(two_requests, agent_l1):
    _, second = two_requests
    task = tasks_of(second)[0]
    assert not task.is_done
    services.request_task_set_done(task, actor=agent_l1, done=True)
    assert [(t.is_done, t.done_by) for t in tasks_of(second)] == [(True, agent_l1)]


def test_an_items_questions_are_kept_until_one_changes(two_requests, django_assert_num_queries):
    first, _ = two_requests
    item = first.catalog_item
    fields_of(item)
    with django_assert_num_queries(0):
        again = fields_of(item)
    assert [f.key for f in again] == ["model", "needed_by", "justification"]
    # Copies: changing one changes neither the kept question nor the next read.
    again[0].label = "Changed here only"
    assert fields_of(item)[0].label != "Changed here only"
    question = item.fields.get(key="justification")
    question.label = "Why do you need it?"
    question.save()
    assert fields_of(item)[-1].label == "Why do you need it?"
    item.fields.create(key="colour", label="Colour", field_type="text", order=99)
    assert [f.key for f in fields_of(item)][-1] == "colour"
