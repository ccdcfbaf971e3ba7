"""The problem page's linked incidents and their counts run statements compiled once and kept
(core.keyset.row_slice, problems.page_counts): they give what the ORM's queries give,
page after page; a viewer never gets rows or counts compiled for another viewer's scope (a
security incident stays hidden from an outsider after a member saw the page, and shows once the
outsider becomes a manager); a link made since shows at once; a forged cursor keeps nothing.
The page's proposal and its edit form's configuration items are read through kept statements
and named sources too."""

import pytest
from django.contrib.auth.models import Group
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone

from core.capped_counts import CappedCount
from core.choices import Role
from core.keyset import CappedCount as CappedTotal
from core.keyset import CursorInvalidError, capped_count, row_slice
from core.models import ConfigurationItem
from core.roles import ROLE_GROUP_NAMES
from incidents.choices import Category
from problems import page_counts
from problems.linked_rows import kept_link_rows, link_rows
from problems.models import RecurrenceProposal
from problems.selectors import on_linked_ticket, open_linked_incidents, problem_links
from problems.services import problem_link_incident
from tests.factories import SupportGroupFactory, UserFactory
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db

SLICE = {"field": "linked_at", "kind": "links_after", "per_page": 3, "newest_first": False}


def _linked(problem, make_incident, actor, count, **fields):
    incidents = [make_incident(**fields) for _ in range(count)]
    for incident in incidents:
        problem_link_incident(problem, incident=incident, actor=actor)
    return incidents


def test_kept_slices_are_the_orms_slices_page_after_page(problem, make_incident, agent_l1):
    _linked(problem, make_incident, agent_l1, 8)
    after = None
    for _ in range(2):  # the second pass runs the kept statements
        pages, after = [], None
        while True:
            kept = row_slice(kept_link_rows(problem, agent_l1), after=after, **SLICE)
            orm = row_slice(link_rows(problem_links(problem, user=agent_l1)), after=after, **SLICE)
            assert [tuple(row) for row in kept.rows] == [tuple(row) for row in orm.rows]
            assert kept.following == orm.following
            pages.append(len(kept.rows))
            if kept.following is None:
                break
            after = kept.following
        assert pages == [3, 3, 2]


def test_kept_counts_are_the_orms_counts(problem, make_incident, agent_l1, end_user, manager):
    security = SupportGroupFactory(name="Security", handles_security=True)
    member = UserFactory(username="secagent", role=Role.AGENT)
    security.members.add(member)
    _linked(problem, make_incident, agent_l1, 3)
    _linked(problem, make_incident, agent_l1, 2, status="resolved")
    _linked(problem, make_incident, member, 2, category=Category.SECURITY)
    _linked(problem, make_incident, agent_l1, 1, category=Category.SECURITY, status="resolved")
    for _ in range(2):  # the second pass runs the kept statement
        for viewer in (agent_l1, member, manager, end_user):
            counts = page_counts.link_counts(problem, viewer)
            assert counts.visible == capped_count([problem_links(problem, user=viewer)])
            assert (int(counts.open), counts.open.capped) == (5, False)
            assert int(counts.open) == open_linked_incidents(problem).count()
        assert page_counts.link_counts(problem, agent_l1).visible.value == 5
        assert page_counts.link_counts(problem, member).visible.value == 8


def test_an_agent_s_counts_are_exact_past_the_cap(problem, make_incident, agent_l1, settings):
    """From the link tally (problems.link_tally): no window to stop at."""
    settings.LIST_COUNT_CAP = 2
    _linked(problem, make_incident, agent_l1, 3)
    counts = page_counts.link_counts(problem, agent_l1)
    assert (counts.visible.label, counts.open.label) == ("3", "3")


def test_a_viewer_never_gets_another_viewers_scope(
    client_for, problem, make_incident, agent_l1, end_user
):
    security = SupportGroupFactory(name="Security", handles_security=True)
    member = UserFactory(username="secagent", role=Role.AGENT)
    security.members.add(member)
    (breach,) = _linked(problem, make_incident, member, 1, category=Category.SECURITY)
    (outage,) = _linked(problem, make_incident, member, 1)
    url = reverse("problems:agent_detail", args=[problem.number])

    def shown(user):
        response = client_for(user).get(url)
        body = response.content.decode()
        return [row.incident__number for row in response.context["links"]], body

    numbers, body = shown(member)
    assert numbers == [breach.number, outage.number] and "(2, 2 open)" in body
    numbers, body = shown(agent_l1)
    assert numbers == [outage.number] and "(1, 2 open)" in body
    agent_l1.groups.add(Group.objects.get_or_create(name=ROLE_GROUP_NAMES[Role.MANAGER])[0])
    numbers, body = shown(agent_l1)
    assert numbers == [breach.number, outage.number] and "(2, 2 open)" in body


def test_a_new_link_shows_at_once(client_for, problem, make_incident, agent_l1):
    _linked(problem, make_incident, agent_l1, 2)
    url = reverse("problems:agent_detail", args=[problem.number])
    client = client_for(agent_l1)
    assert len(client.get(url).context["links"]) == 2
    (added,) = _linked(problem, make_incident, agent_l1, 1)
    response = client.get(url)
    assert response.context["links"][-1].incident__number == added.number
    assert "(3, 3 open)" in response.content.decode()


def test_a_forged_cursor_keeps_nothing(problem, agent_l1, monkeypatch):
    kept: dict = {}
    monkeypatch.setattr("core.keyset._SLICES", kept)
    monkeypatch.setattr("core.kept_statements._BY", kept)
    with pytest.raises(CursorInvalidError):
        row_slice(kept_link_rows(problem, agent_l1), after="1.timeline_older.1", **SLICE)
    assert kept == {}


def test_two_problems_read_from_one_compiled_statement_get_their_own_rows(
    client_for, problem, make_incident, agent_l1, monkeypatch
):
    kept: dict = {}
    monkeypatch.setattr("core.kept_statements._BY", kept)
    other = ProblemFactory(requester=agent_l1, service=problem.service)
    mine = _linked(problem, make_incident, agent_l1, 4)
    theirs = _linked(other, make_incident, agent_l1, 2, status="resolved")
    numbers = {problem: [i.number for i in mine], other: [i.number for i in theirs]}
    for _ in range(2):
        for shown in (problem, other):
            rows = row_slice(kept_link_rows(shown, agent_l1), **SLICE).rows
            assert [row.incident__number for row in rows] == numbers[shown][:3]
        assert page_counts.link_counts(problem, agent_l1) == page_counts.LinkCounts(
            CappedTotal(4, False), CappedCount(4)
        )
        assert page_counts.link_counts(other, agent_l1) == page_counts.LinkCounts(
            CappedTotal(2, False), CappedCount(0)
        )
    # One statement for the slice and one for the counts, whatever the problem.
    assert len(kept) == 2
    for shown, label in ((problem, "(4, 4 open)"), (other, "(2, 0 open)")):
        url = reverse("problems:agent_detail", args=[shown.number])
        response = client_for(agent_l1).get(url)
        assert [row.incident__number for row in response.context["links"]] == numbers[shown]
        assert label in response.content.decode()


def test_the_kept_statement_still_hides_restricted_incidents_on_every_problem(
    problem, make_incident, agent_l1, agent_l2, end_user, manager, monkeypatch
):
    monkeypatch.setattr("core.kept_statements._BY", {})
    security = SupportGroupFactory(name="Security", handles_security=True)
    member = UserFactory(username="secagent", role=Role.AGENT)
    security.members.add(member)
    other = ProblemFactory(requester=agent_l1, service=problem.service)
    for shown in (problem, other):
        _linked(shown, make_incident, member, 1, category=Category.SECURITY)
        _linked(shown, make_incident, member, 1, category=Category.SECURITY, assignee=agent_l1)
        _linked(shown, make_incident, member, 1, category=Category.SECURITY, requester=agent_l1)
        _linked(shown, make_incident, member, 1)
    seen = {agent_l1: 3, agent_l2: 1, member: 4, manager: 4, end_user: 3}
    for _ in range(2):  # the second pass runs the kept statements
        for shown in (problem, other):
            for viewer, count in seen.items():
                rows = row_slice(kept_link_rows(shown, viewer), **{**SLICE, "per_page": 10}).rows
                expected = link_rows(problem_links(shown, user=viewer))
                assert [tuple(row) for row in rows] == [tuple(row) for row in expected]
                assert len(rows) == page_counts.link_counts(shown, viewer).visible.value == count


def test_a_condition_on_the_ticket_moves_onto_the_link_or_is_refused():
    moved = on_linked_ticket(~Q(category="security") | Q(assignee_id=3))
    assert moved == ~Q(incident__category="security") | Q(incident__assignee_id=3)
    with pytest.raises(TypeError):
        on_linked_ticket(Q(RawSQL("true", [])))


def test_the_page_names_the_proposal_it_came_from(client_for, problem, agent_l1, service):
    url = reverse("problems:agent_detail", args=[problem.number])
    assert "<dt>Origin</dt>" not in client_for(agent_l1).get(url).content.decode()
    RecurrenceProposal.objects.create(
        cluster_key="vpn:network",
        service=service,
        category="network",
        incident_count=7,
        first_seen_at=timezone.now(),
        last_seen_at=timezone.now(),
        created_at=timezone.now(),
        problem=problem,
    )
    body = client_for(agent_l1).get(url).content.decode()
    assert "Recurrence proposal (7 incidents)" in body


def test_the_edit_form_offers_active_items_named_with_their_service(
    client_for, problem, agent_l1, service
):
    ConfigurationItem.objects.create(name="gw-1", service=service)
    ConfigurationItem.objects.create(name="gw-old", service=service, is_active=False)
    url = reverse("problems:agent_detail", args=[problem.number])
    body = client_for(agent_l1).get(url).content.decode()
    assert f"{service.name}: gw-1" in body and "gw-old" not in body
