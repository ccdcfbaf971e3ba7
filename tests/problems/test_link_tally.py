"""The problems' link tally (problems.LinkTally): the database's triggers keep it equal to each
problem's links by whether the incident is open and restricted (and, restricted, whom it names)
through links made and removed and incidents that change; the problem page's counts read from
it are the counts of the links themselves for every kind of viewer; folding keeps the sums; and
the installed triggers are the ones the linked kind calls for."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from core.models import User
from incidents.choices import Category, IncidentStatus
from incidents.models import Incident
from incidents.selectors import incident_list_for_user
from incidents.transitions import OPEN_STATUSES
from problems import link_tally_sql
from problems.link_tally import KEYS, audit_link_tally, compact_link_tally
from problems.models import LinkTally, Problem, ProblemIncident
from problems.page_counts import link_counts
from problems.tasks import audit_link_tally_task, compact_link_tally_task
from tests.factories import security_group_member

pytestmark = pytest.mark.django_db

S = IncidentStatus
Key = tuple[Any, ...]


def _tallied() -> dict[Key, int]:
    sums: dict[Key, int] = {}
    for *key, n in LinkTally.objects.values_list(*KEYS, "n"):
        key[1], key[2] = bool(key[1]), bool(key[2])
        sums[tuple(key)] = sums.get(tuple(key), 0) + n
    return {key: n for key, n in sums.items() if n}


def _counted() -> dict[Key, int]:
    sums: dict[Key, int] = {}
    for link in ProblemIncident.objects.select_related("incident"):
        incident = link.incident
        restricted = incident.category == Category.SECURITY
        key = (
            link.problem_id,
            restricted,
            incident.status in OPEN_STATUSES,
            incident.assignee_id if restricted else None,
            incident.requester_id if restricted else None,
        )
        sums[key] = sums.get(key, 0) + 1
    return sums


def _in_step() -> None:
    assert _tallied() == _counted()


def _link(problem: Problem, incident: Incident) -> ProblemIncident:
    return ProblemIncident.objects.create(
        problem=problem, incident=incident, linked_at=timezone.now()
    )


def test_the_tally_follows_links_and_their_incidents(
    problem: Problem, make_incident: Callable[..., Incident], agent_l1: User, agent_l2: User
) -> None:
    first, second = make_incident(), make_incident(S.RESOLVED)
    _link(problem, first)
    link = _link(problem, second)
    _in_step()
    first.status = S.RESOLVED
    first.save()
    _in_step()
    first.category = Category.SECURITY
    first.assignee = agent_l1
    first.save()
    _in_step()
    first.assignee = agent_l2  # restricted: the row names its assignee
    first.save()
    _in_step()
    second.assignee = agent_l1  # not restricted: nothing to count
    second.title = "Renamed"
    second.save()
    assert LinkTally.objects.count() == 8
    _in_step()
    Incident.objects.filter(pk=first.pk).update(status=S.DIAGNOSED, category=Category.NETWORK)
    _in_step()
    link.delete()
    _in_step()
    problem.delete()
    _in_step()
    assert _counted() == {}


def test_folding_keeps_the_sums(problem: Problem, make_incident: Callable[..., Incident]) -> None:
    for _ in range(3):
        _link(problem, make_incident())
    closing = make_incident()
    _link(problem, closing)
    closing.status = S.CLOSED
    closing.save()
    before = _tallied()
    assert compact_link_tally() == (6, 2)
    assert _tallied() == before == _counted()
    assert compact_link_tally_task() == 2  # nothing to fold: the rows as they are


def test_a_tally_written_around_is_found_and_made_again(
    problem: Problem, make_incident: Callable[..., Incident], caplog: pytest.LogCaptureFixture
) -> None:
    _link(problem, make_incident())
    _link(problem, make_incident(S.CLOSED))
    assert audit_link_tally() == 0
    # As if something had written links without their triggers.
    LinkTally.objects.filter(open=False).delete()
    assert audit_link_tally_task() == 1
    assert "differed in 1 key(s)" in caplog.text
    _in_step()
    assert audit_link_tally() == 0


def _viewers(agent_l1: User, agent_l2: User, manager: User) -> list[User]:
    return [agent_l1, agent_l2, manager, security_group_member()]


def test_the_page_counts_from_the_tally_are_the_links_counts(
    problem: Problem,
    make_incident: Callable[..., Incident],
    agent_l1: User,
    agent_l2: User,
    manager: User,
    end_user: User,
) -> None:
    for status in (S.CLASSIFIED, S.RESOLVED):
        _link(problem, make_incident(status))
        for assignee, requester in ((None, end_user), (agent_l1, end_user), (None, agent_l1)):
            restricted = make_incident(
                status, category=Category.SECURITY, assignee=assignee, requester=requester
            )
            _link(problem, restricted)
    for viewer in _viewers(agent_l1, agent_l2, manager):
        counts = link_counts(problem, viewer)
        linked = incident_list_for_user(viewer).filter(problem_links__problem=problem)
        opened = Incident.objects.filter(problem_links__problem=problem, status__in=OPEN_STATUSES)
        assert (counts.visible.value, counts.visible.capped, int(counts.open)) == (
            linked.count(),
            False,
            opened.count(),
        ), viewer.username
    assert link_counts(problem, agent_l1).visible.value == 6
    assert link_counts(problem, agent_l2).visible.value == 2
    assert int(link_counts(problem, agent_l2).open) == 4


def test_the_installed_triggers_are_the_current_ones() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'")
            installed = {sql for (sql,) in cursor.fetchall()}
            assert set(link_tally_sql.sqlite_install(connection)) <= installed
            return
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'problems_link_tally%%' "
            "AND tgenabled = 'O'"
        )
        names = sorted(name for (name,) in cursor.fetchall())
        assert names == sorted([*link_tally_sql.LINK_TRIGGERS, link_tally_sql.TICKET_TRIGGER])
        functions = link_tally_sql.postgresql_install(connection)[:2]
        for name, function in zip(
            (link_tally_sql.LINK_FUNCTION, link_tally_sql.TICKET_FUNCTION), functions, strict=True
        ):
            cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = %s", [name])
            (body,) = cursor.fetchone()
            assert body.strip() == re.search(r"\$\$(.*)\$\$", function, re.S).group(1).strip()
