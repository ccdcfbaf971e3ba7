"""The problem page on the kernel's ticket page: its sections and forms, the panels that post
rows of the problem's action table (details, analysis, links, closing the loop), claiming and
assignment, no tier moves, its milestones, and the list refreshing its rows through HTMX."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from core.choices import EventKind
from core.models import TimelineEvent
from incidents.choices import IncidentStatus
from problems.choices import ProblemStatus
from problems.services import problem_link_incident
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _shown(response) -> list[str]:
    """The messages the page a post redirected to showed."""
    return [str(m) for m in response.context["messages"]]


def _page(client, problem):
    response = client.get(reverse("problems:agent_detail", args=[problem.number]))
    assert response.status_code == 200
    return response


def test_the_page_shows_the_problem_sections_and_forms(client_for, agent_l1, known_error):
    page = _page(client_for(agent_l1), known_error)
    body = page.content.decode()
    assert page.context["ticket"] == known_error
    for heading in ("Root cause analysis", "Linked incidents", "Timeline", "Add a note", "Files"):
        assert heading in body, heading
    for name in ("edit", "analysis", "link", "agent_comment", "agent_assign"):
        assert reverse(f"problems:{name}", args=[known_error.number]) in body, name
    assert "Workaround published" in body
    assert page.context["tier_moves"] == []
    assert reverse("problems:agent_claim", args=[known_error.number]) in body
    # Problems have no requester-facing side: the note form only, no public reply.
    assert 'id="note-form"' in body and 'id="reply-form"' not in body


def test_milestones_start_with_raised(client_for, agent_l1, known_error):
    labels = [label for label, _ in _page(client_for(agent_l1), known_error).context["milestones"]]
    assert labels == ["Raised", "Investigating", "Known error"]


def test_a_final_problem_offers_no_edits(client_for, agent_l1):
    closed = ProblemFactory(status=ProblemStatus.CLOSED)
    page = _page(client_for(agent_l1), closed)
    body = page.content.decode()
    assert page.context["actions"] == []
    for name in ("edit", "analysis", "link", "agent_assign", "agent_claim"):
        assert reverse(f"problems:{name}", args=[closed.number]) not in body, name


def test_claim_from_the_page_and_a_second_claim_is_refused(client_for, agent_l1, agent_l2, problem):
    response = client_for(agent_l1).post(reverse("problems:agent_claim", args=[problem.number]))
    assert response["Location"] == reverse("problems:agent_detail", args=[problem.number])
    assert _messages(response) == [f"{problem.number} is yours now."]
    problem.refresh_from_db()
    assert problem.assignee == agent_l1
    response = client_for(agent_l2).post(reverse("problems:agent_claim", args=[problem.number]))
    assert any("already assigned" in m for m in _messages(response))
    assert TimelineEvent.objects.filter(kind=EventKind.ASSIGNED).count() == 1


def test_problems_do_not_escalate(client_for, agent_l1, problem):
    response = client_for(agent_l1).post(
        reverse("problems:agent_escalate", args=[problem.number]),
        {"escalate-version": problem.version, "escalate-reason": "Hard one."},
    )
    assert response.status_code == 404
    problem.refresh_from_db()
    assert problem.tier == 1


def test_an_invalid_panel_comes_back_open_with_its_errors(client_for, agent_l1, problem):
    response = client_for(agent_l1).post(
        reverse("problems:edit", args=[problem.number]),
        {"edit-version": problem.version, "edit-title": "", "edit-priority": 2},
    )
    assert response.status_code == 200
    assert response.context["open_form"] == "edit"
    assert "title" in response.context["edit_form"].errors
    assert 'id="edit" open' in response.content.decode()


def test_editing_the_details_and_the_analysis(client_for, agent_l1, agent_l2, problem):
    client = client_for(agent_l1)
    response = client.post(
        reverse("problems:edit", args=[problem.number]),
        {
            "edit-version": problem.version,
            "edit-title": "Mail relay drops mail",
            "edit-priority": 1,
            "edit-assignee": agent_l2.pk,
        },
        follow=True,
    )
    assert _shown(response) == [f"{problem.number} saved."]
    problem.refresh_from_db()
    assert (problem.title, problem.priority, problem.assignee) == (
        "Mail relay drops mail",
        1,
        agent_l2,
    )
    response = client.post(
        reverse("problems:analysis", args=[problem.number]),
        {"analysis-version": problem.version, "analysis-symptoms": "Bounces with 550."},
        follow=True,
    )
    assert _shown(response) == ["Analysis saved."]
    problem.refresh_from_db()
    assert problem.symptoms == "Bounces with 550."
    response = client.post(
        reverse("problems:analysis", args=[problem.number]),
        {"analysis-version": problem.version, "analysis-symptoms": "Bounces with 550."},
        follow=True,
    )
    assert _shown(response) == ["Nothing changed."]


def test_the_resolve_form_offers_the_linked_incidents_only_when_some_are_open(
    client_for, agent_l1, known_error, make_incident
):
    client = client_for(agent_l1)

    def resolve_form():
        actions = _page(client, known_error).context["actions"]
        return next(item.form for item in actions if item.action.name == "resolve")

    assert "resolve_linked" not in resolve_form().fields
    problem_link_incident(known_error, incident=make_incident(), actor=agent_l1)
    form = resolve_form()
    assert form.fields["resolve_linked"].label == (
        "Also resolve the 1 open linked incident with this fix"
    )
    assert form.initial["root_cause"] == known_error.root_cause


def test_resolving_without_the_linked_incidents_leaves_them_open(
    client_for, agent_l1, known_error, make_incident
):
    incident = make_incident(IncidentStatus.DIAGNOSED)
    problem_link_incident(known_error, incident=incident, actor=agent_l1)
    response = client_for(agent_l1).post(
        reverse("problems:agent_transition", args=[known_error.number, "resolve"]),
        {
            "resolve-version": known_error.version,
            "resolve-root_cause": known_error.root_cause,
            "resolve-permanent_fix": "Renewed",
        },
    )
    assert _messages(response) == [f"{known_error.number} resolved."]
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.DIAGNOSED
    page = _page(client_for(agent_l1), known_error)
    assert page.context["open_incident_count"] == 1
    response = client_for(agent_l1).post(
        reverse("problems:resolve_linked", args=[known_error.number]),
        {"resolve_linked-resolution_code": "fixed"},
    )
    assert _messages(response) == [
        f"Resolved 1 linked incident with the fix: {incident.number}. Each requester was told."
    ]
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED


def test_the_list_refreshes_its_rows_with_its_filters(client_for, agent_l1, settings):
    settings.QUEUE_REFRESH_SECONDS = 20
    closed = ProblemFactory(status=ProblemStatus.CLOSED, title="Old printer fault")
    ProblemFactory(title="Open one")
    client = client_for(agent_l1)
    url = reverse("problems:agent_list")
    page = client.get(url, {"status": "closed"}).content.decode()
    assert 'hx-trigger="every 20s"' in page
    assert f'hx-get="{url}?status=closed"' in page
    rows = client.get(url, {"status": "closed"}, HTTP_HX_REQUEST="true")
    body = rows.content.decode()
    assert "<html" not in body and "<table" in body
    assert closed.title in body and "Open one" not in body
    settings.QUEUE_REFRESH_SECONDS = 0
    assert "hx-trigger" not in client.get(url).content.decode()
