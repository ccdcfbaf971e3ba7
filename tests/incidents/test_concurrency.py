"""Races the design promises to win (DESIGN.md §8).

The threaded tests need PostgreSQL: each thread has its own connection and real row locks.
SQLite serialises writers, so only the sequential stale-version checks run everywhere.
"""

import threading
from collections.abc import Callable
from typing import TypeVar

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections

from core.choices import EventKind, Role
from core.exceptions import ConflictError
from core.models import TimelineEvent, User
from core.roles import ROLE_GROUP_NAMES
from incidents import services
from incidents.choices import IncidentStatus
from incidents.models import Incident

T = TypeVar("T")
THREADS = 20


def run_at_once(count: int, work: Callable[[int], T]) -> list[T | Exception]:
    """Run work(0..count-1) in threads released together; return each result or exception."""
    barrier = threading.Barrier(count, timeout=30)
    results: list[T | Exception | None] = [None] * count

    def worker(index: int) -> None:
        try:
            connection.ensure_connection()  # connect before the start line, race after it
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    assert all(result is not None for result in results)
    return results  # type: ignore[return-value]


def split(results: list[T | Exception]) -> tuple[list[T], list[Exception]]:
    errors = [r for r in results if isinstance(r, Exception)]
    return [r for r in results if not isinstance(r, Exception)], errors  # type: ignore[misc]


def events_of(incident: Incident, kind: str) -> list[TimelineEvent]:
    return list(
        TimelineEvent.objects.filter(
            ticket_type=ContentType.objects.get_for_model(Incident),
            ticket_id=incident.pk,
            kind=kind,
        )
    )


def make_users(prefix: str, count: int, role: str) -> list[User]:
    # In bulk: the factory's role hook rebuilds every role group per user, too slow for twenty.
    users = User.objects.bulk_create(
        [User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.com") for i in range(count)]
    )
    Group.objects.get(name=ROLE_GROUP_NAMES[role]).user_set.add(*users)
    return users


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_get_distinct_numbers() -> None:
    requesters = make_users("reporter", THREADS, Role.END_USER)
    results = run_at_once(
        THREADS,
        lambda i: services.incident_create(requester=requesters[i], title=f"Outage {i}").number,
    )
    numbers, errors = split(results)
    assert errors == []
    assert len(set(numbers)) == THREADS
    assert Incident.objects.count() == THREADS
    assert set(Incident.objects.values_list("number", flat=True)) == set(numbers)
    assert TimelineEvent.objects.filter(kind=EventKind.CREATED).count() == THREADS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_agents_claiming_at_once_exactly_one_wins() -> None:
    [requester] = make_users("reporter", 1, Role.END_USER)
    agents = make_users("racer", THREADS, Role.AGENT)
    incident = services.incident_create(requester=requester, title="Everyone wants this")
    results = run_at_once(
        THREADS, lambda i: services.incident_claim(Incident(pk=incident.pk), actor=agents[i])
    )
    winners, errors = split(results)
    assert len(winners) == 1
    assert len(errors) == THREADS - 1
    assert all(isinstance(error, ConflictError) for error in errors), errors
    stored = Incident.objects.get(pk=incident.pk)
    assert stored.assignee_id == winners[0].assignee_id
    assert stored.version == incident.version + 1
    [assigned] = events_of(incident, EventKind.ASSIGNED)
    assert assigned.actor_id == stored.assignee_id


SAME_VERSION_WRITES: dict[str, Callable[[Incident, User, int], Incident]] = {
    "update_details": lambda incident, agent, version: services.incident_update_details(
        incident,
        actor=agent,
        title=f"Title by {agent.username}",
        description="",
        expected_version=version,
    ),
    "assign": lambda incident, agent, version: services.incident_assign(
        incident, actor=agent, assignee=agent, expected_version=version
    ),
}


def _written_by(incident: Incident, kind: str) -> str:
    if kind == "update_details":
        return incident.title.removeprefix("Title by ")
    assert incident.assignee is not None
    return incident.assignee.username


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_agents_saving_the_same_version_at_once() -> None:
    # Both kinds of write in one test: each transactional test costs a full flush.
    [requester] = make_users("reporter", 1, Role.END_USER)
    agents = make_users("racer", 2, Role.AGENT)
    for kind, write in sorted(SAME_VERSION_WRITES.items()):
        incident = services.incident_create(requester=requester, title="Original")
        version = incident.version
        results = run_at_once(
            2,
            lambda i, w=write, n=incident, v=version: w(
                Incident.objects.get(pk=n.pk), agents[i], v
            ),
        )
        winners, errors = split(results)
        assert len(winners) == 1, (kind, errors)
        assert len(errors) == 1, kind
        assert isinstance(errors[0], ConflictError), (kind, errors[0])
        stored = Incident.objects.select_related("assignee").get(pk=incident.pk)
        assert stored.version == version + 1, kind
        assert _written_by(stored, kind) == _written_by(winners[0], kind)
        event_kind = EventKind.FIELDS_CHANGED if kind == "update_details" else EventKind.ASSIGNED
        assert len(events_of(incident, event_kind)) == 1, kind


@pytest.mark.parametrize("kind", sorted(SAME_VERSION_WRITES))
def test_second_save_with_a_stale_version_is_refused(
    kind: str, end_user: User, agent_l1: User, agent_l2: User
) -> None:
    """The same rule without threads, on every database."""
    incident = services.incident_create(requester=end_user, title="Original")
    version = incident.version
    write = SAME_VERSION_WRITES[kind]
    # Both agents opened the incident at `version`.
    first_copy = Incident.objects.get(pk=incident.pk)
    second_copy = Incident.objects.get(pk=incident.pk)
    write(first_copy, agent_l1, version)
    with pytest.raises(ConflictError, match=rf"{incident.number} was changed by someone else"):
        write(second_copy, agent_l2, version)
    stored = Incident.objects.select_related("assignee").get(pk=incident.pk)
    assert stored.version == version + 1
    assert _written_by(stored, kind) == agent_l1.username
    assert stored.status == IncidentStatus.IDENTIFIED


def test_a_claimed_incident_cannot_be_claimed_again(
    end_user: User, agent_l1: User, agent_l2: User
) -> None:
    incident = services.incident_create(requester=end_user, title="Mine")
    services.incident_claim(incident, actor=agent_l1)
    with pytest.raises(ConflictError, match="already assigned"):
        services.incident_claim(incident, actor=agent_l2)
    assert Incident.objects.get(pk=incident.pk).assignee == agent_l1
    assert len(events_of(incident, EventKind.ASSIGNED)) == 1
