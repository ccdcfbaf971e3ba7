"""The problem pages over HTTP: scope (end users get 404s), links from both sides, known errors
on the incident pages (agent and requester), closing the loop, proposals, reviews, and constant
query counts on the lists."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents.choices import Category, IncidentStatus
from problems.choices import ProblemStatus, ProposalStatus
from problems.models import Problem, ProblemIncident, RecurrenceProposal
from problems.recurrence import proposals_detect
from problems.reviews import review_start
from problems.services import problem_link_incident
from tests.factories import ConfigurationItemFactory, ServiceFactory
from tests.kept import select_on_page
from tests.problems.factories import KnownErrorFactory, ProblemFactory

pytestmark = pytest.mark.django_db

INLINE_CODE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=", re.IGNORECASE)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- scope ----------------------------------------------------------------------------------


def test_end_users_get_404_on_every_problem_page(client_for, end_user, problem, make_incident):
    major = make_incident(IncidentStatus.RESOLVED, is_major=True)
    client = client_for(end_user)
    for url in (
        reverse("problems:agent_list"),
        reverse("problems:new"),
        reverse("problems:agent_detail", args=[problem.number]),
        reverse("problems:known_errors"),
        reverse("problems:proposals"),
        reverse("problems:review", args=[major.number]),
    ):
        assert client.get(url).status_code == 404, url
    incident = make_incident()
    for url, data in (
        (reverse("problems:link", args=[problem.number]), {"link-incident": incident.number}),
        (
            reverse("problems:incident_link", args=[incident.number]),
            {"problem_link-problem": problem.pk},
        ),
        (
            reverse("problems:agent_transition", args=[problem.number, "investigate"]),
            {"investigate-version": 1},
        ),
        (reverse("problems:review_start", args=[major.number]), {}),
    ):
        assert client.post(url, data).status_code == 404, url
    assert not ProblemIncident.objects.exists()
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.NEW


def test_unknown_problem_is_404(client_for, agent_l1):
    assert (
        client_for(agent_l1).get(reverse("problems:agent_detail", args=["PRB-999999"])).status_code
        == 404
    )


def test_review_page_is_only_for_major_incidents(client_for, agent_l1, make_incident):
    minor = make_incident(IncidentStatus.RESOLVED)
    assert (
        client_for(agent_l1).get(reverse("problems:review", args=[minor.number])).status_code == 404
    )


# --- creating and working a problem ---------------------------------------------------------


def test_agent_creates_a_problem_and_walks_it_to_known_error(client_for, agent_l1, service):
    client = client_for(agent_l1)
    response = client.post(
        reverse("problems:new"),
        {"title": "Mail bounces", "service": service.pk, "priority": 2, "symptoms": "550"},
    )
    problem = Problem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("problems:agent_detail", args=[problem.number])
    client.post(
        reverse("problems:agent_transition", args=[problem.number, "investigate"]),
        {"investigate-version": problem.version},
    )
    problem.refresh_from_db()
    # Missing workaround: the form comes back with the error, nothing changes.
    response = client.post(
        reverse("problems:agent_transition", args=[problem.number, "known_error"]),
        {"known_error-version": problem.version, "known_error-root_cause": "Cert"},
    )
    assert response.status_code == 200
    assert response.context["open_form"] == "known_error"
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.INVESTIGATING
    client.post(
        reverse("problems:agent_transition", args=[problem.number, "known_error"]),
        {
            "known_error-version": problem.version,
            "known_error-root_cause": "Cert",
            "known_error-workaround": "Use webmail",
        },
    )
    problem.refresh_from_db()
    assert (problem.status, problem.workaround) == (ProblemStatus.KNOWN_ERROR, "Use webmail")
    page = client.get(reverse("problems:agent_detail", args=[problem.number]))
    assert {a.transition.action for a in page.context["actions"]} == {"resolve", "cancel"}
    assert not INLINE_CODE.search(page.content.decode())


def test_a_stale_form_is_refused_with_a_message(client_for, agent_l1, problem):
    client = client_for(agent_l1)
    client.post(
        reverse("problems:agent_transition", args=[problem.number, "investigate"]),
        {"investigate-version": problem.version},
    )
    response = client.post(
        reverse("problems:analysis", args=[problem.number]),
        {"analysis-version": problem.version, "analysis-root_cause": "x"},
    )
    assert any("changed by someone else" in m for m in _messages(response))


# --- links from both sides ------------------------------------------------------------------


def test_link_from_the_problem_page_by_number(client_for, agent_l1, problem, make_incident):
    incident = make_incident()
    client = client_for(agent_l1)
    short = incident.number.removeprefix("INC-").lstrip("0").lower()
    response = client.post(
        reverse("problems:link", args=[problem.number]), {"link-incident": f"inc-{short}"}
    )
    assert response.status_code == 302
    assert list(problem.incidents.all()) == [incident]
    response = client.post(
        reverse("problems:link", args=[problem.number]), {"link-incident": "INC-777777"}
    )
    assert response.status_code == 200
    assert "No incident INC-777777." in response.context["link_form"].errors["incident"]


def test_link_from_the_incident_page(client_for, agent_l1, problem, make_incident):
    incident = make_incident()
    client = client_for(agent_l1)
    page = client.get(reverse("incidents:agent_detail", args=[incident.number]))
    assert reverse("problems:incident_link", args=[incident.number]) in page.content.decode()
    response = client.post(
        reverse("problems:incident_link", args=[incident.number]),
        {"problem_link-problem": problem.pk},
    )
    assert response["Location"] == reverse("incidents:agent_detail", args=[incident.number])
    assert list(incident.problems.all()) == [problem]
    page = client.get(reverse("incidents:agent_detail", args=[incident.number]))
    assert problem.number in page.content.decode()
    # A closed problem is not offered and not accepted.
    closed = ProblemFactory(status=ProblemStatus.CLOSED)
    response = client.post(
        reverse("problems:incident_link", args=[incident.number]),
        {"problem_link-problem": closed.pk},
    )
    assert not closed.incidents.exists()
    assert _messages(response)


# --- known errors ---------------------------------------------------------------------------


def test_known_errors_show_on_the_agent_and_portal_incident_pages(
    client_for, agent_l1, end_user, other_end_user, known_error, make_incident
):
    incident = make_incident(IncidentStatus.LOGGED)
    agent_page = client_for(agent_l1).get(reverse("incidents:agent_detail", args=[incident.number]))
    assert "Matching known errors" in agent_page.content.decode()
    assert known_error.workaround.split()[0] in agent_page.content.decode()
    portal = client_for(end_user).get(reverse("incidents:portal_detail", args=[incident.number]))
    body = portal.content.decode()
    assert "A known issue may explain this" in body
    assert "Use webmail" in body
    assert known_error.number not in body  # the requester sees the workaround, not our records
    assert (
        client_for(other_end_user)
        .get(reverse("incidents:portal_detail", args=[incident.number]))
        .status_code
        == 404
    )


def test_known_errors_match_on_service_or_ci_only_and_only_published_ones(
    client_for, end_user, l1_group, service, make_incident
):
    vpn = ServiceFactory(name="VPN", owner_group=l1_group)
    gateway = ConfigurationItemFactory(service=vpn, name="gw-1")
    KnownErrorFactory(service=vpn, configuration_item=gateway, workaround="Reconnect to gw-2")
    ProblemFactory(service=service, status=ProblemStatus.INVESTIGATING, workaround="Secret draft")
    on_ci = make_incident(IncidentStatus.LOGGED, service=vpn, configuration_item=gateway)
    elsewhere = make_incident(IncidentStatus.LOGGED)
    client = client_for(end_user)
    assert (
        "Reconnect to gw-2"
        in client.get(reverse("incidents:portal_detail", args=[on_ci.number])).content.decode()
    )
    body = client.get(reverse("incidents:portal_detail", args=[elsewhere.number])).content.decode()
    assert "Reconnect to gw-2" not in body
    assert "Secret draft" not in body
    assert "A known issue" not in body


def test_known_error_database_search(client_for, agent_l1, known_error, service):
    KnownErrorFactory(service=service, title="Printer queue stuck", workaround="Restart spooler")
    client = client_for(agent_l1)
    page = client.get(reverse("problems:known_errors"), {"q": "spooler"})
    assert [p.title for p in page.context["page"]] == ["Printer queue stuck"]
    page = client.get(reverse("problems:known_errors"))
    assert len(page.context["page"]) == 2
    assert not INLINE_CODE.search(page.content.decode())


# --- closing the loop -----------------------------------------------------------------------


def test_resolve_with_linked_incidents_reports_each_one(
    client_for, agent_l1, known_error, make_incident
):
    fixed = make_incident(IncidentStatus.DIAGNOSED)
    stuck = make_incident(IncidentStatus.LOGGED)
    for incident in (fixed, stuck):
        problem_link_incident(known_error, incident=incident, actor=agent_l1)
    client = client_for(agent_l1)
    page = client.get(reverse("problems:agent_detail", args=[known_error.number]))
    resolve_form = next(a.form for a in page.context["actions"] if a.action.name == "resolve")
    assert (
        resolve_form.fields["resolve_linked"].label
        == "Also resolve the 2 open linked incidents with this fix"
    )
    response = client.post(
        reverse("problems:agent_transition", args=[known_error.number, "resolve"]),
        {
            "resolve-version": known_error.version,
            "resolve-root_cause": known_error.root_cause,
            "resolve-permanent_fix": "Renewed",
            "resolve-resolve_linked": "on",
            "resolve-incident_resolution_code": "fixed",
        },
    )
    assert response.status_code == 302
    # One message says what happened to the problem and to each linked incident.
    (note,) = _messages(response)
    assert note.startswith(f"{known_error.number} resolved. Resolved 1 linked incident")
    assert f"with the fix: {fixed.number}." in note
    assert f"{stuck.number} was not resolved: " in note
    fixed.refresh_from_db()
    stuck.refresh_from_db()
    assert (fixed.status, stuck.status) == (IncidentStatus.RESOLVED, IncidentStatus.LOGGED)
    # The page then offers to resolve the one still open.
    page = client.get(reverse("problems:agent_detail", args=[known_error.number]))
    assert page.context["open_incident_count"] == 1
    assert reverse("problems:resolve_linked", args=[known_error.number]) in page.content.decode()


# --- proposals ------------------------------------------------------------------------------


def _cluster(make_incident, n=3, **fields):
    at = timezone.now() - timedelta(days=1)
    return [make_incident(identified_at=at + timedelta(minutes=i), **fields) for i in range(n)]


def test_accept_and_dismiss_proposals(client_for, agent_l1, make_incident, l1_group):
    _cluster(make_incident)
    _cluster(make_incident, category=Category.NETWORK)
    first, second = sorted(proposals_detect(), key=lambda p: p.category)
    client = client_for(agent_l1)
    page = client.get(reverse("problems:proposals"))
    assert len(page.context["page"]) == 2
    assert not INLINE_CODE.search(page.content.decode())
    response = client.post(
        reverse("problems:proposal_accept", args=[first.pk]), {"title": "Network flaps"}
    )
    problem = Problem.objects.get()
    assert response["Location"] == reverse("problems:agent_detail", args=[problem.number])
    assert (problem.title, problem.incidents.count()) == ("Network flaps", 3)
    client.post(reverse("problems:proposal_dismiss", args=[second.pk]))
    second.refresh_from_db()
    assert second.status == ProposalStatus.DISMISSED
    # Decided proposals are no longer actionable.
    assert client.post(reverse("problems:proposal_dismiss", args=[first.pk])).status_code == 404
    dismissed = client.get(reverse("problems:proposals"), {"status": "dismissed"})
    assert [p.pk for p in dismissed.context["page"]] == [second.pk]


# --- reviews --------------------------------------------------------------------------------


def test_review_flow_over_http(client_for, agent_l1, make_incident):
    major = make_incident(
        IncidentStatus.RESOLVED,
        is_major=True,
        contained_at=timezone.now(),
        resolved_at=timezone.now(),
    )
    client = client_for(agent_l1)
    incident_page = client.get(reverse("incidents:agent_detail", args=[major.number]))
    assert "Post-incident review:" in incident_page.content.decode()
    assert "close" not in {a.transition.action for a in incident_page.context["actions"]}
    client.post(reverse("problems:review_start", args=[major.number]))
    review = major.post_incident_review
    sections = {
        "summary": "Down 2h",
        "impact": "All staff",
        "detection": "Alert",
        "response": "Failover",
        "root_cause": "Cert",
        "went_well": "",
        "to_improve": "Expiry alerts",
    }
    client.post(
        reverse("problems:review_save", args=[major.number]),
        {"review-version": review.version, **{f"review-{k}": v for k, v in sections.items()}},
    )
    client.post(
        reverse("problems:review_add_item", args=[major.number]),
        {
            "item-description": "Expiry alerts",
            "item-owner": agent_l1.pk,
            "item-due_date": "2030-01-31",
        },
    )
    review.refresh_from_db()
    assert review.summary == "Down 2h"
    assert review.action_items.count() == 1
    page = client.get(reverse("problems:review", args=[major.number]))
    assert page.context["timeline"]
    assert not INLINE_CODE.search(page.content.decode())
    response = client.post(
        reverse("problems:review_complete", args=[major.number]),
        {"complete-version": review.version},
    )
    assert any(
        "once its post-incident review's action item is done" in m for m in _messages(response)
    )
    incident_page = client.get(reverse("incidents:agent_detail", args=[major.number]))
    assert "close" not in {a.transition.action for a in incident_page.context["actions"]}
    item = review.action_items.get()
    client.post(reverse("problems:review_toggle_item", args=[major.number, item.pk]), {"done": "1"})
    incident_page = client.get(reverse("incidents:agent_detail", args=[major.number]))
    assert "close" in {a.transition.action for a in incident_page.context["actions"]}


def test_completing_an_unfinished_review_says_what_is_missing(client_for, agent_l1, make_incident):
    major = make_incident(IncidentStatus.RESOLVED, is_major=True, resolved_at=timezone.now())
    review = review_start(major, actor=agent_l1)
    response = client_for(agent_l1).post(
        reverse("problems:review_complete", args=[major.number]),
        {"complete-version": review.version},
    )
    assert any("Summary" in m and "Impact" in m for m in _messages(response))
    review.refresh_from_db()
    assert not review.is_completed


# --- query counts ---------------------------------------------------------------------------


def _queries(client, url, params=None) -> int:
    client.get(url, params or {})  # warm what each process keeps (content types, roles)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_problem_list_query_count_is_constant(client_for, agent_l1, service, make_incident):
    client = client_for(agent_l1)
    first = ProblemFactory(service=service, assignee=agent_l1)
    problem_link_incident(first, incident=make_incident(), actor=agent_l1)
    one = _queries(client, reverse("problems:agent_list"))
    for _ in range(19):
        other = ProblemFactory(service=service, assignee=agent_l1)
        problem_link_incident(other, incident=make_incident(), actor=agent_l1)
    assert Problem.objects.count() == 20
    assert _queries(client, reverse("problems:agent_list")) == one


def test_known_error_list_query_count_is_constant(client_for, agent_l1, service):
    client = client_for(agent_l1)
    KnownErrorFactory(service=service)
    one = _queries(client, reverse("problems:known_errors"))
    KnownErrorFactory.create_batch(19, service=service)
    assert _queries(client, reverse("problems:known_errors")) == one


def test_proposal_list_query_count_is_constant(client_for, agent_l1, l1_group, make_incident):
    client = client_for(agent_l1)

    def propose(index: int) -> None:
        svc = ServiceFactory(name=f"Service {index}", owner_group=l1_group)
        _cluster(make_incident, service=svc)

    propose(0)
    proposals_detect()
    one = _queries(client, reverse("problems:proposals"))
    for index in range(1, 20):
        propose(index)
    proposals_detect()
    assert RecurrenceProposal.objects.filter(status=ProposalStatus.OPEN).count() == 20
    assert _queries(client, reverse("problems:proposals")) == one


def test_new_problem_from_an_incident_links_it(client_for, agent_l1, make_incident, service):
    incident = make_incident(category=Category.NETWORK, priority=2)
    client = client_for(agent_l1)
    page = client.get(reverse("problems:new"), {"incident": incident.number})
    form = page.context["form"]
    assert form.initial["service"] == service.pk
    assert form.initial["title"] == incident.title
    client.post(
        reverse("problems:new"),
        {"title": "Flapping uplink", "priority": 2, "from_incident": incident.number},
    )
    problem = Problem.objects.get()
    assert list(problem.incidents.all()) == [incident]
    # A cancelled incident cannot be linked: nothing is created.
    cancelled = make_incident(IncidentStatus.CANCELLED)
    response = client.post(
        reverse("problems:new"),
        {"title": "Another", "priority": 3, "from_incident": cancelled.number},
    )
    assert response.status_code == 200
    assert Problem.objects.count() == 1


def test_review_sections_say_which_completing_needs(client_for, agent_l1, make_incident):
    major = make_incident(IncidentStatus.RESOLVED, is_major=True, resolved_at=timezone.now())
    review_start(major, actor=agent_l1)
    page = client_for(agent_l1).get(reverse("problems:review", args=[major.number]))
    labels = dict(
        re.findall(
            r'<label for="id_review-\w+">([^<]+) <span class="optional">\(([^)]+)\)</span>',
            page.content.decode(),
        )
    )
    assert labels == {
        "Summary": "needed to complete",
        "Impact": "needed to complete",
        "Detection": "needed to complete",
        "Response": "needed to complete",
        "Root cause": "needed to complete",
        "What went well": "optional",
        "What to improve": "needed to complete",
    }


def test_problem_list_filters_read_their_own_rows_from_kept_statements(
    client_for, agent_l1, service, problem, known_error
):
    """The list's count and page are kept per filters (core.web.kept_list): each filter value
    gets its own rows, and a problem made since shows at once."""
    client = client_for(agent_l1)
    url = reverse("problems:agent_list")

    def numbers(**query: str) -> set[str]:
        body = client.get(url, query).content.decode()
        return {n for n in (problem.number, known_error.number, later.number) if n in body}

    later = ProblemFactory(service=service, title="Zebra printers jam")
    assert numbers() >= {problem.number, later.number}
    assert numbers(q="zebra") == {later.number}
    assert numbers(status=known_error.status) == {known_error.number}
    newest = ProblemFactory(service=service, title="Zebra labels smudge")
    body = client.get(url, {"q": "zebra"}).content.decode()
    assert later.number in body and newest.number in body
    assert client_for(agent_l1).get(url, {"status": "bogus"}).status_code == 200


def test_the_incident_pages_problem_select_follows_every_change_of_a_problem(
    client_for, agent_l1, problem, make_incident, service
):
    """The select's options are kept per process (problems.forms.PROBLEM_OPTIONS_MEMO): a new
    problem, a new title and a closed problem show on the next page."""
    incident = make_incident()
    client = client_for(agent_l1)
    url = reverse("incidents:agent_detail", args=[incident.number])

    def options() -> str:
        return select_on_page(client, url, "problem_link-problem")

    assert f"{problem.number} · {problem.title}" in options()
    newer = ProblemFactory(service=service, title="Switch stack reboots")
    assert f"{newer.number} · Switch stack reboots" in options()
    problem.title = "Renamed <now>"
    problem.save(update_fields=["title"])
    assert f"{problem.number} · Renamed &lt;now&gt;" in options()
    newer.status = ProblemStatus.CLOSED
    newer.save(update_fields=["status"])
    assert newer.number not in options()
