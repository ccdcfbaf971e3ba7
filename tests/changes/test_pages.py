"""The change pages over HTTP: scope (end users get 404s, requesters of linked tickets a
read-only portal page), the list and its filters, raising changes, the page's panels (actions,
decisions, links, edits), the Changes panel on incident and problem pages, and constant query
counts."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from changes import services
from changes.choices import ChangeStatus as S
from changes.choices import ChangeType as T
from changes.models import Change
from problems.choices import ProblemStatus
from problems.services import problem_link_incident
from tests.changes.factories import ChangeFactory
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _queries(client, url, params=None) -> int:
    client.get(url, params or {})  # warm what each process keeps (content types, roles)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_end_users_get_404_on_agent_pages(client_for, end_user, make_change):
    change = make_change()
    client = client_for(end_user)
    for url in (
        reverse("changes:agent_list"),
        reverse("changes:new"),
        reverse("changes:agent_detail", args=[change.number]),
        reverse("changes:portal_detail", args=[change.number]),
    ):
        assert client.get(url).status_code == 404


def test_a_requester_reads_a_change_linked_to_their_incident(
    client_for, end_user, other_end_user, agent_l1, make_change, make_incident
):
    caused = make_change(S.IMPLEMENTED, title="Relay upgrade", description="New relay.")
    incident = make_incident()
    services.change_link_incident(caused, incident=incident, actor=agent_l1)
    fixing = make_change(S.SCHEDULED, title="Certificate renewal")
    problem = ProblemFactory(status=ProblemStatus.INVESTIGATING)
    problem_link_incident(problem, incident=make_incident(), actor=agent_l1)
    services.change_link_problem(fixing, problem=problem, actor=agent_l1)
    client = client_for(end_user)
    for change in (caused, fixing):
        page = client.get(reverse("changes:portal_detail", args=[change.number]))
        assert page.status_code == 200
        assert change.title in page.content.decode()
        main = page.content.split(b"<main", 1)[1].split(b"</main>")[0]
        assert b'method="post"' not in main  # read-only
    assert (
        incident.number
        in client.get(reverse("changes:portal_detail", args=[caused.number])).content.decode()
    )
    other = client_for(other_end_user)
    assert other.get(reverse("changes:portal_detail", args=[caused.number])).status_code == 404


def test_the_list_filters_and_marks_overdue_emergency_approvals(
    client_for, agent_l1, make_change, service, settings
):
    settings.CHANGE_EMERGENCY_APPROVAL_HOURS = 72
    overdue = make_change(
        S.IMPLEMENTING,
        change_type=T.EMERGENCY,
        title="Hotfix the proxy",
        implementing_at=timezone.now() - timedelta(hours=73),
    )
    normal = make_change(S.ASSESSING, title="Mail relay upgrade", risk="high")
    closed = make_change(S.CLOSED, title="Old one")
    client = client_for(agent_l1)
    page = client.get(reverse("changes:agent_list")).content.decode()
    assert overdue.number in page and normal.number in page
    assert closed.number not in page
    assert page.count("Approval overdue") == 1
    filtered = client.get(reverse("changes:agent_list"), {"change_type": "normal"})
    assert [c.number for c in filtered.context["page"]] == [normal.number]
    risky = client.get(reverse("changes:agent_list"), {"risk": "high", "service": service.pk})
    assert [c.number for c in risky.context["page"]] == [normal.number]
    done = client.get(reverse("changes:agent_list"), {"status": "closed"})
    assert [c.number for c in done.context["page"]] == [closed.number]
    rows = client.get(reverse("changes:agent_list"), HTTP_HX_REQUEST="true")
    assert b"<table" in rows.content and b"<html" not in rows.content


def test_bad_filters_change_nothing_and_say_so(client_for, agent_l1, make_change):
    make_change()
    response = client_for(agent_l1).get(reverse("changes:agent_list"), {"risk": "extreme"})
    assert response.status_code == 200
    assert response.context["filterset"].form.errors


def test_list_query_count_is_constant(client_for, agent_l1, make_change):
    client = client_for(agent_l1)
    make_change(assignee=agent_l1)
    one = _queries(client, reverse("changes:agent_list"))
    for _ in range(19):
        make_change(assignee=agent_l1)
    assert Change.objects.count() == 20
    assert _queries(client, reverse("changes:agent_list")) == one


def test_raise_a_normal_change_and_walk_it_to_approval(client_for, agent_l1, manager, cab, service):
    client = client_for(agent_l1)
    start = (timezone.localtime() + timedelta(days=3)).replace(second=0, microsecond=0)
    response = client.post(
        reverse("changes:new"),
        {
            "change_type": "normal",
            "title": "Upgrade the mail relay",
            "risk": "medium",
            "impact": "degraded",
            "implementation_plan": "apt upgrade",
            "test_plan": "Send mail",
            "backout_plan": "apt install old",
            "service": service.pk,
            "approval_group": cab.pk,
            "planned_start": start.strftime("%Y-%m-%dT%H:%M"),
            "planned_end": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    change = Change.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("changes:agent_detail", args=[change.number])
    for action in ("assess", "submit"):
        change.refresh_from_db()
        response = client.post(
            reverse("changes:agent_transition", args=[change.number, action]),
            {f"{action}-version": change.version},
        )
        assert response.status_code == 302, response.content
    change.refresh_from_db()
    assert change.status == S.AWAITING_APPROVAL
    page = client.get(reverse("changes:agent_detail", args=[change.number]))
    assert b'id="decide-form"' not in page.content  # agent1 is not on the board
    boss = client_for(manager)
    page = boss.get(reverse("changes:agent_detail", args=[change.number]))
    assert b'id="decide-form"' in page.content
    response = boss.post(
        reverse("changes:agent_transition", args=[change.number, "decide"]),
        {"decide-decision": "approved", "decide-comment": "Go."},
    )
    assert _messages(response) == [f"{change.number} is approved."]
    change.refresh_from_db()
    assert change.status == S.APPROVED
    page = client.get(reverse("changes:agent_detail", args=[change.number])).content.decode()
    assert "approved" in page and manager.display_name in page


def test_a_rejection_without_comment_is_shown_on_the_form(client_for, manager, make_change):
    change = make_change(S.AWAITING_APPROVAL)
    response = client_for(manager).post(
        reverse("changes:agent_transition", args=[change.number, "decide"]),
        {"decide-decision": "rejected", "decide-comment": ""},
    )
    assert response.status_code == 200
    assert "Say why the change is rejected." in response.content.decode()
    change.refresh_from_db()
    assert change.status == S.AWAITING_APPROVAL


def test_a_standard_change_from_the_template_picker(client_for, agent_l1, template):
    client = client_for(agent_l1)
    picker = client.get(reverse("changes:new"), {"standard": "1"})
    assert "Monthly OS patch rollout" in picker.content.decode()
    response = client.post(reverse("changes:new") + "?standard=1", {"template": template.pk})
    change = Change.objects.get()
    assert response.status_code == 302
    assert (change.change_type, change.template) == (T.STANDARD, template)


def test_a_bad_new_change_is_shown_again(client_for, agent_l1):
    response = client_for(agent_l1).post(reverse("changes:new"), {"change_type": "normal"})
    assert response.status_code == 200
    assert not Change.objects.exists()


def test_links_and_edits_from_the_change_page(client_for, agent_l1, make_change, make_incident):
    change = make_change(S.ASSESSING)
    problem = ProblemFactory(status=ProblemStatus.INVESTIGATING)
    incident = make_incident()
    client = client_for(agent_l1)
    url = reverse("changes:agent_transition", args=[change.number, "link_problem"])
    client.post(url, {"link_problem-problem": problem.number.lower()})
    client.post(
        reverse("changes:agent_transition", args=[change.number, "link_incident"]),
        {"link_incident-incident": incident.number},
    )
    page = client.get(reverse("changes:agent_detail", args=[change.number])).content.decode()
    assert problem.number in page and incident.number in page
    missing = client.post(url, {"link_problem-problem": "PRB-999999"})
    assert "No problem PRB-999999." in missing.content.decode()
    # The Changes panel on the problem and incident pages.
    for path in (
        reverse("problems:agent_detail", args=[problem.number]),
        reverse("incidents:agent_detail", args=[incident.number]),
    ):
        assert change.number in client.get(path).content.decode()
    client.post(
        reverse("changes:agent_transition", args=[change.number, "unlink_problem"]),
        {"unlink_problem-problem": problem.number},
    )
    assert not change.problem_links.exists()
    change.refresh_from_db()
    response = client.post(
        reverse("changes:agent_transition", args=[change.number, "edit"]),
        {
            "edit-version": change.version,
            "edit-title": "Renamed",
            "edit-risk": "low",
            "edit-impact": "none",
            "edit-service": change.service_id,
            "edit-approval_group": change.approval_group_id,
        },
    )
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.title == "Renamed"


def test_detail_page_works_in_every_status(client_for, agent_l1, make_change):
    client = client_for(agent_l1)
    for status in S:
        change = make_change(status)
        assert client.get(reverse("changes:agent_detail", args=[change.number])).status_code == 200
    standard = ChangeFactory(change_type=T.STANDARD, requester=agent_l1)
    assert client.get(reverse("changes:agent_detail", args=[standard.number])).status_code == 200


def test_moving_the_window_of_a_scheduled_change_from_its_page(client_for, agent_l1, make_change):
    change = make_change(S.SCHEDULED, implementation_plan="Step one.\nStep two.")
    client = client_for(agent_l1)
    page = client.get(reverse("changes:agent_detail", args=[change.number]))
    assert "Move the window" in page.content.decode()
    form = page.context["edit_form"]
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        key = f"edit-{name}"
        if isinstance(value, list):
            data[key] = value
        elif hasattr(value, "strftime"):
            data[key] = timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")
        elif value is not None:
            data[key] = str(value)
    # A browser posts a textarea's line breaks as CRLF.
    data["edit-implementation_plan"] = "Step one.\r\nStep two."
    later = timezone.localtime(change.planned_start + timedelta(days=1))
    data["edit-planned_start"] = later.strftime("%Y-%m-%dT%H:%M")
    data["edit-planned_end"] = (later + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("changes:agent_transition", args=[change.number, "edit"]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    change.refresh_from_db()
    assert (
        timezone.localtime(change.planned_start).strftime("%Y-%m-%dT%H:%M")
        == data["edit-planned_start"]
    )
    assert change.implementation_plan == "Step one.\nStep two."
