"""Incident reads are scoped: end users see their own, staff see all, the rest is a 404."""

from typing import Any

import pytest
from django.http import Http404

from core.choices import Role
from core.models import User
from incidents.models import Incident
from incidents.selectors import incident_get_for_user, incident_list_for_user
from tests.factories import IncidentFactory, UserFactory


@pytest.fixture
def mine(end_user: User) -> list[Incident]:
    return IncidentFactory.create_batch(2, requester=end_user)


@pytest.fixture
def theirs(other_end_user: User) -> Incident:
    return IncidentFactory(requester=other_end_user)


def test_end_user_lists_only_their_own(
    end_user: User, mine: list[Incident], theirs: Incident
) -> None:
    listed = set(incident_list_for_user(end_user))
    assert listed == set(mine)
    assert theirs not in listed


def test_end_user_with_no_incidents_lists_nothing(mine: list[Incident], theirs: Incident) -> None:
    newcomer = UserFactory(username="newcomer", role=Role.END_USER)
    assert list(incident_list_for_user(newcomer)) == []


def test_end_user_gets_their_own_incident(end_user: User, mine: list[Incident]) -> None:
    assert incident_get_for_user(end_user, mine[0].number) == mine[0]


def test_end_user_gets_404_for_another_users_incident(end_user: User, theirs: Incident) -> None:
    with pytest.raises(Http404):
        incident_get_for_user(end_user, theirs.number)


def test_unknown_number_is_404_for_everyone(agent_l1: User, mine: list[Incident]) -> None:
    with pytest.raises(Http404):
        incident_get_for_user(agent_l1, "INC-424242")


def test_deactivated_agent_is_scoped_like_an_end_user(
    agent_l1: User, mine: list[Incident], theirs: Incident
) -> None:
    agent_l1.is_active = False
    agent_l1.save()
    former = User.objects.get(pk=agent_l1.pk)
    assert list(incident_list_for_user(former)) == []
    with pytest.raises(Http404):
        incident_get_for_user(former, theirs.number)


@pytest.mark.parametrize("role", [Role.AGENT, Role.MANAGER, Role.ADMIN])
def test_staff_see_every_incident(role: str, mine: list[Incident], theirs: Incident) -> None:
    staff = UserFactory(username=f"staff-{role}", role=role)
    assert set(incident_list_for_user(staff)) == {*mine, theirs}
    assert incident_get_for_user(staff, theirs.number) == theirs
    assert incident_get_for_user(staff, mine[1].number) == mine[1]


def test_superuser_without_a_role_group_sees_everything(
    mine: list[Incident], theirs: Incident
) -> None:
    root = User.objects.create_superuser("root", "root@example.com", "x")
    assert set(incident_list_for_user(root)) == {*mine, theirs}


def test_list_needs_no_extra_queries_per_row(
    end_user: User, agent_l1: User, django_assert_num_queries: Any
) -> None:
    IncidentFactory.create_batch(5, requester=end_user, assignee=agent_l1)
    staff = User.objects.get(pk=agent_l1.pk)
    # One query for the role groups, one for the rows with their related objects.
    with django_assert_num_queries(2):
        rows = list(incident_list_for_user(staff))
        for row in rows:
            assert row.requester.username and row.assignee is not None
            assert row.support_group is None and row.service is None
    assert len(rows) == 5
