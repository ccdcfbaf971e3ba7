"""Security incidents are restricted (incidents.visibility, core.tickets.visibility): only the
security team (active groups that handle security), the assignee, the requester and managers see
them; every other agent gets a 404 or does not find them — queue, counts, search, the ticket
page, the API, bulk actions, problem links, files, the admin — and changing the category to or
from security is a recorded action."""

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from core.choices import EventKind, Role, Tier
from core.exceptions import TransitionError, ValidationFailed
from core.models import SupportGroup, TimelineEvent, User
from core.services import attachment_add
from core.tickets.visibility import can_see, readers_of_every_restricted
from incidents.choices import Category, IncidentStatus
from incidents.models import Incident
from incidents.selectors import incident_list_for_user, incident_queue_counts
from incidents.services import incident_create, incident_recategorize
from problems.models import Problem
from tests.factories import IncidentFactory, SupportGroupFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def security_group(db: None) -> SupportGroup:
    return SupportGroupFactory(name="Security L1", tier=Tier.L1, handles_security=True)


@pytest.fixture
def security_agent(security_group: SupportGroup) -> User:
    user = UserFactory(username="secagent", role=Role.AGENT)
    security_group.members.add(user)
    return user


@pytest.fixture
def breach(end_user: User, l1_group: SupportGroup) -> Incident:
    return IncidentFactory(
        title="Ransomware note on the file server",
        category=Category.SECURITY,
        requester=end_user,
        support_group=l1_group,
        status=IncidentStatus.CLASSIFIED,
    )


@pytest.fixture
def outage(end_user: User, l1_group: SupportGroup) -> Incident:
    return IncidentFactory(
        title="Printer jammed",
        category=Category.HARDWARE,
        requester=end_user,
        support_group=l1_group,
    )


def _fresh(user: User) -> User:
    """The user as a new request reads them (no memo of roles or membership)."""
    return User.objects.get(pk=user.pk)


# --- Who sees a security incident -----------------------------------------------------------


def test_outside_agent_does_not_see_it_member_manager_assignee_requester_do(
    breach, outage, agent_l1, agent_l2, security_agent, manager, end_user
):
    assert set(incident_list_for_user(_fresh(agent_l1))) == {outage}
    for viewer in (security_agent, manager, end_user):
        assert breach in set(incident_list_for_user(_fresh(viewer))), viewer
    Incident.objects.filter(pk=breach.pk).update(assignee=agent_l2)
    assert breach in set(incident_list_for_user(_fresh(agent_l2)))
    assert breach not in set(incident_list_for_user(_fresh(agent_l1)))


def test_an_agent_who_reported_it_keeps_seeing_it(agent_l1, l1_group):
    own = IncidentFactory(category=Category.SECURITY, requester=agent_l1)
    assert own in set(incident_list_for_user(_fresh(agent_l1)))


def test_an_inactive_security_group_grants_nothing(breach, security_agent, security_group):
    SupportGroup.objects.filter(pk=security_group.pk).update(is_active=False)
    assert breach not in set(incident_list_for_user(_fresh(security_agent)))


def test_in_memory_rule_agrees_with_the_selector(
    breach, outage, agent_l1, security_agent, manager, end_user
):
    for viewer in (agent_l1, security_agent, manager, end_user):
        listed = set(incident_list_for_user(_fresh(viewer)))
        for incident in (breach, outage):
            assert can_see(_fresh(viewer), incident) == (incident in listed), (viewer, incident)
    assert readers_of_every_restricted(
        {agent_l1.pk, security_agent.pk, manager.pk, end_user.pk}
    ) == {security_agent.pk, manager.pk}


# --- The queue, its counts and search ---------------------------------------------------------


def test_queue_counts_and_search_leave_it_out_for_outsiders(
    client_for, breach, outage, agent_l1, security_agent
):
    counts = incident_queue_counts(incident_list_for_user(_fresh(agent_l1)), user=agent_l1)
    assert counts["all"] == 1
    outsider = client_for(agent_l1)
    listing = outsider.get(reverse("incidents:agent_list"), {"open": "false"})
    assert _numbers(listing) == [outage.number]
    assert "Ransomware" not in listing.content.decode()
    assert _numbers(outsider.get(reverse("incidents:agent_list"), {"q": breach.number})) == []
    member = client_for(security_agent)
    assert breach.number in _numbers(member.get(reverse("incidents:agent_list")))
    assert _numbers(member.get(reverse("incidents:agent_list"), {"q": breach.number})) == [
        breach.number
    ]


def _numbers(response: Any) -> list[str]:
    return [incident.number for incident in response.context["page"].object_list]


def _queue_queries(client: Any) -> int:
    client.get(reverse("incidents:agent_list"))  # warm content types and the viewer's roles
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("incidents:agent_list"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_queue_stays_free_of_n_plus_one_with_restricted_rows(
    client_for, agent_l1, l1_group, service
):
    client = client_for(agent_l1)
    IncidentFactory(support_group=l1_group, service=service)
    IncidentFactory(support_group=l1_group, service=service, category=Category.SECURITY)
    one = _queue_queries(client)
    IncidentFactory.create_batch(19, support_group=l1_group, service=service)
    IncidentFactory.create_batch(
        10, support_group=l1_group, service=service, category=Category.SECURITY
    )
    assert _queue_queries(client) == one
    assert one <= 6  # DESIGN.md §7: the queue's budget


# --- The page, the API, bulk, links, files, the admin ----------------------------------------


def test_ticket_page_is_404_for_outsiders_only(
    client_for, breach, agent_l1, security_agent, manager
):
    url = reverse("incidents:agent_detail", args=[breach.number])
    assert client_for(agent_l1).get(url).status_code == 404
    for viewer in (security_agent, manager):
        page = client_for(viewer).get(url)
        assert page.status_code == 200
        assert "Security incident · restricted" in page.content.decode()
    Incident.objects.filter(pk=breach.pk).update(assignee=agent_l1)
    assert client_for(agent_l1).get(url).status_code == 200


def test_portal_keeps_showing_it_to_its_requester(client_for, breach, end_user):
    assert (
        client_for(end_user)
        .get(reverse("incidents:portal_detail", args=[breach.number]))
        .status_code
        == 200
    )


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_list_retrieve_timeline_and_actions_are_404_for_outsiders(
    breach, outage, agent_l1, security_agent
):
    outsider = _api(agent_l1)
    listed = outsider.get("/api/v1/incidents/", {"open": "false"}).json()["results"]
    assert [row["number"] for row in listed] == [outage.number]
    base = f"/api/v1/incidents/{breach.number}/"
    assert outsider.get(base).status_code == 404
    assert outsider.get(f"{base}timeline/").status_code == 404
    assert outsider.post(f"{base}claim/", {}, format="json").status_code == 404
    assert outsider.post(f"{base}comments/", {"body": "hi"}, format="json").status_code == 404
    assert not Incident.objects.filter(pk=breach.pk, assignee__isnull=False).exists()
    assert _api(security_agent).get(base).status_code == 200


def test_bulk_refuses_it_as_not_found(client_for, breach, agent_l1):
    response = client_for(agent_l1).post(
        reverse("incidents:agent_bulk"),
        {
            "incidents": [breach.number],
            "apply": "assign",
            "bulk-assignee": "me",
            "bulk-support_group": "",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.context["problem"] == "None of the selected incidents exists any more."
    assert response.context["missing"] == [breach.number]
    breach.refresh_from_db()
    assert breach.assignee_id is None


def test_problem_links_refuse_and_hide_it(client_for, breach, outage, agent_l1, security_agent):
    problem = Problem.objects.create(
        number="PRB-900001",
        title="File server compromise",
        requester=security_agent,
        created_at=breach.created_at,
        updated_at=breach.created_at,
    )
    refused = client_for(agent_l1).post(
        reverse("problems:link", args=[problem.number]), {"link-incident": breach.number}
    )
    assert f"No incident {breach.number}." in refused.context["link_form"].errors["incident"]
    member = client_for(security_agent)
    member.post(reverse("problems:link", args=[problem.number]), {"link-incident": breach.number})
    client_for(agent_l1).post(
        reverse("problems:link", args=[problem.number]), {"link-incident": outage.number}
    )
    assert set(problem.incidents.all()) == {breach, outage}
    outsider_page = client_for(agent_l1).get(
        reverse("problems:agent_detail", args=[problem.number])
    )
    shown = [row.incident__number for row in outsider_page.context["links"]]
    assert shown == [outage.number]
    api_links = _api(agent_l1).get(f"/api/v1/problems/{problem.number}/incidents/").json()
    assert [row["incident"]["number"] for row in api_links["results"]] == [outage.number]


def test_file_download_is_404_for_outsiders(client_for, breach, agent_l1, security_agent):
    upload = SimpleUploadedFile("ioc.txt", b"198.51.100.7", content_type="text/plain")
    attachment = attachment_add(
        ticket=breach, uploaded_by=security_agent, upload=upload, is_internal=True
    )
    url = reverse("core:attachment_download", args=[attachment.token])
    assert client_for(agent_l1).get(url).status_code == 404
    assert client_for(security_agent).get(url).status_code == 200


def test_admin_lists_only_what_the_staff_agent_may_see(client_for, breach, outage, agent_l1):
    User.objects.filter(pk=agent_l1.pk).update(is_staff=True)
    page = client_for(agent_l1).get(reverse("admin:incidents_incident_changelist"))
    assert page.status_code == 200
    body = page.content.decode()
    assert outage.number in body and breach.number not in body


# --- Changing the category --------------------------------------------------------------------


def test_recategorize_records_a_typed_event_and_restricts_at_once(outage, agent_l1, client_for):
    url = reverse("incidents:agent_transition", args=[outage.number, "recategorize"])
    response = client_for(agent_l1).post(
        url,
        {
            "recategorize-version": outage.version,
            "recategorize-category": Category.SECURITY,
            "recategorize-reason": "Phishing link clicked from this printer's scan-to-mail.",
        },
    )
    # The agent who flagged it no longer sees it: back to the queue, told why.
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:agent_list")
    outage.refresh_from_db()
    assert outage.category == Category.SECURITY and outage.version == 2
    event = TimelineEvent.objects.get(ticket_id=outage.pk, kind=EventKind.RECATEGORIZED)
    assert event.changes == {"from_category": Category.HARDWARE, "category": Category.SECURITY}
    assert not event.is_public and event.actor_id == agent_l1.pk
    assert outage not in set(incident_list_for_user(_fresh(agent_l1)))


def test_recategorize_back_lifts_the_restriction_and_says_so(
    breach, security_agent, agent_l1, client_for
):
    incident_recategorize(
        breach, actor=security_agent, category=Category.SOFTWARE, reason="False positive."
    )
    assert breach in set(incident_list_for_user(_fresh(agent_l1)))
    page = client_for(security_agent).get(reverse("incidents:agent_detail", args=[breach.number]))
    body = page.content.decode()
    assert "changed the category from Security to Software" in body
    assert "Visible to every agent again." in body


def test_recategorize_refuses_bad_input_and_changes_nothing(outage, agent_l1, end_user):
    with pytest.raises(ValidationFailed) as missing:
        incident_recategorize(outage, actor=agent_l1, category=Category.SECURITY, reason=" ")
    assert "reason" in missing.value.errors
    with pytest.raises(ValidationFailed):
        incident_recategorize(outage, actor=agent_l1, category="espionage", reason="Why not")
    with pytest.raises(TransitionError):
        incident_recategorize(outage, actor=end_user, category=Category.SECURITY, reason="Me")
    same = incident_recategorize(outage, actor=agent_l1, category=Category.HARDWARE, reason="x")
    assert same.version == outage.version
    outage.refresh_from_db()
    assert outage.category == Category.HARDWARE and outage.version == 1
    assert not TimelineEvent.objects.filter(kind=EventKind.RECATEGORIZED).exists()


def test_api_recategorize_answers_204_when_it_leaves_the_callers_sight(outage, agent_l1):
    url = f"/api/v1/incidents/{outage.number}/recategorize/"
    invalid = _api(agent_l1).post(url, {"category": "nope", "reason": "x"}, format="json")
    assert invalid.status_code == 400
    done = _api(agent_l1).post(
        url, {"category": Category.SECURITY, "reason": "Credential stuffing."}, format="json"
    )
    assert done.status_code == 204
    assert _api(agent_l1).get(f"/api/v1/incidents/{outage.number}/").status_code == 404


def test_reporting_a_security_incident_keeps_it_from_other_agents(end_user, agent_l1, service):
    reported = incident_create(
        requester=end_user, title="Odd login alerts", category=Category.SECURITY, service=service
    )
    assert reported not in set(incident_list_for_user(_fresh(agent_l1)))
    assert reported in set(incident_list_for_user(_fresh(end_user)))
