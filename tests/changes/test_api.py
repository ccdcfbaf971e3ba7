"""/api/v1/changes/ and /api/v1/change-templates/: scope, filters, creation, every action with
If-Match, links, decisions; change.* webhooks; the approval step's SLA clock; query counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from changes.choices import ChangeStatus as S
from changes.choices import ChangeType as T
from changes.models import Change
from core.webhooks.models import WebhookDelivery
from core.webhooks.services import webhook_subscription_create
from problems.choices import ProblemStatus
from sla.choices import ClockState, Metric
from sla.models import SlaClock, SlaPolicy
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/changes/"


def test_only_agents_use_the_change_api(api_as, end_user, make_change, template):
    change = make_change()
    client = api_as(end_user)
    assert client.get(BASE).status_code == 403
    assert client.get(f"{BASE}{change.number}/").status_code == 403
    assert client.get("/api/v1/change-templates/").status_code == 403


def test_unknown_change_is_404(api_as, agent_l1):
    assert api_as(agent_l1).get(f"{BASE}CHG-999999/").status_code == 404


def test_list_filters(api_as, agent_l1, make_change):
    normal = make_change(S.ASSESSING, risk="high")
    emergency = make_change(S.IMPLEMENTING, change_type=T.EMERGENCY)
    make_change(S.CLOSED)
    client = api_as(agent_l1)
    numbers = {row["number"] for row in client.get(BASE).json()["results"]}
    assert numbers == {normal.number, emergency.number}
    by_type = client.get(BASE, {"change_type": "emergency"}).json()["results"]
    assert [row["number"] for row in by_type] == [emergency.number]
    by_risk = client.get(BASE, {"risk": "high"}).json()["results"]
    assert [row["number"] for row in by_risk] == [normal.number]
    assert client.get(BASE, {"risk": "extreme"}).status_code == 400


def test_list_query_count_is_constant(api_as, agent_l1, make_change):
    client = api_as(agent_l1)
    make_change(assignee=agent_l1)
    client.get(BASE)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(BASE).status_code == 200
        return len(ctx.captured_queries)

    one = count()
    for _ in range(19):
        make_change(assignee=agent_l1)
    assert count() == one


def test_create_walk_and_close_with_etags(api_as, agent_l1, manager, cab, service):
    client = api_as(agent_l1)
    start = timezone.now() + timedelta(days=2)
    created = client.post(
        BASE,
        {
            "title": "Upgrade the relay",
            "risk": "low",
            "impact": "none",
            "implementation_plan": "Upgrade.",
            "test_plan": "Mail.",
            "backout_plan": "Downgrade.",
            "service": service.pk,
            "approval_group": cab.pk,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    number = created.json()["number"]
    assert created["Location"].endswith(f"{BASE}{number}/")
    assert created.json()["actions"] == ["assess", "cancel"]
    url = f"{BASE}{number}/"
    stale = client.post(f"{url}assess/", {}, format="json", HTTP_IF_MATCH='"v99"')
    assert stale.status_code == 412
    etag = client.get(url)["ETag"]
    assert client.post(f"{url}assess/", {}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    assert client.post(f"{url}schedule/", {}, format="json").status_code == 409
    assert client.post(f"{url}submit/", {}, format="json").status_code == 200
    refused = client.post(f"{url}decide/", {"decision": "approved"}, format="json")
    assert refused.status_code == 409
    approved = api_as(manager).post(f"{url}decide/", {"decision": "approved"}, format="json")
    assert approved.json()["status"] == "approved"
    window = {
        "planned_start": start.isoformat(),
        "planned_end": (start + timedelta(hours=1)).isoformat(),
    }
    assert client.post(f"{url}schedule/", window, format="json").json()["status"] == "scheduled"
    for action in ("start", "complete"):
        assert client.post(f"{url}{action}/", {}, format="json").status_code == 200
    closed = client.post(f"{url}close/", {}, format="json")
    assert closed.json()["status"] == "closed"
    links = client.get(f"{url}links/").json()
    assert [a["decision"] for a in links["approvals"]] == ["approved"]


def test_bad_input_is_a_400_and_stores_nothing(api_as, agent_l1, template):
    client = api_as(agent_l1)
    assert client.post(BASE, {"title": ""}, format="json").status_code == 400
    assert client.post(BASE, {"change_type": "standard"}, format="json").status_code == 400
    template.is_active = False
    template.save()
    retired = client.post(BASE, {"change_type": "standard", "template": template.pk}, format="json")
    assert retired.status_code == 400
    assert not Change.objects.exists()


def test_a_standard_change_and_the_templates(api_as, agent_l1, template):
    client = api_as(agent_l1)
    (row,) = client.get("/api/v1/change-templates/").json()["results"]
    assert (row["name"], row["is_patch"]) == ("Monthly OS patch rollout", True)
    start = timezone.now() + timedelta(days=1)
    window = {
        "planned_start": start.isoformat(),
        "planned_end": (start + timedelta(hours=1)).isoformat(),
    }
    created = client.post(
        BASE, {"change_type": "standard", "template": template.pk, **window}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["template"] == "Monthly OS patch rollout"
    assert "schedule-standard" in created.json()["actions"]


def test_links_through_the_api_are_scoped(api_as, agent_l1, make_change, make_incident):
    change = make_change(S.ASSESSING)
    problem = ProblemFactory(status=ProblemStatus.INVESTIGATING)
    incident = make_incident()
    client = api_as(agent_l1)
    url = f"{BASE}{change.number}/"
    assert (
        client.post(f"{url}link-problem/", {"problem": problem.number}, format="json").status_code
        == 200
    )
    assert (
        client.post(
            f"{url}link-incident/", {"incident": incident.number}, format="json"
        ).status_code
        == 200
    )
    missing = client.post(f"{url}link-problem/", {"problem": "PRB-424242"}, format="json")
    assert missing.status_code == 400
    links = client.get(f"{url}links/").json()
    assert [p["number"] for p in links["problems"]] == [problem.number]
    assert [i["number"] for i in links["incidents"]] == [incident.number]
    gone = client.post(f"{url}unlink-problem/", {"problem": problem.number}, format="json")
    assert gone.status_code == 200
    assert client.get(f"{url}links/").json()["problems"] == []


def test_patch_moves_only_the_window_once_submitted(api_as, agent_l1, make_change):
    change = make_change(S.SCHEDULED)
    client = api_as(agent_l1)
    url = f"{BASE}{change.number}/"
    later = change.planned_start + timedelta(days=1)
    moved = client.patch(
        url,
        {
            "planned_start": later.isoformat(),
            "planned_end": (later + timedelta(hours=1)).isoformat(),
        },
        format="json",
    )
    assert moved.status_code == 200, moved.json()
    assert client.patch(url, {"title": "Else"}, format="json").status_code == 400
    change.refresh_from_db()
    assert change.planned_start == later


def test_change_webhooks_are_sent(agent_l1, admin_user, make_change):
    subscription, _ = webhook_subscription_create(
        name="CAB feed",
        url="https://hooks.example.com/changes",
        event_types=["change.created", "change.status_changed"],
        created_by=admin_user,
    )
    from changes import services

    change = services.change_create(actor=agent_l1, title="Rotate the keys")
    services.change_cancel(change, actor=agent_l1, cancel_reason="Not needed.")
    sent = sorted(d.event_type for d in WebhookDelivery.objects.filter(subscription=subscription))
    assert sent == ["change.created", "change.status_changed"]


def test_an_sla_policy_times_the_approval_step(
    agent_l1, manager, cab, service, always_open_calendar
):
    from changes import services

    SlaPolicy.objects.create(
        name="Changes",
        ticket_kind="change",
        priority=3,
        response_target=timedelta(hours=24),
        resolution_target=timedelta(days=10),
        calendar=always_open_calendar,
    )
    change = services.change_create(
        actor=agent_l1,
        title="Upgrade",
        risk="low",
        impact="none",
        implementation_plan="a",
        test_plan="b",
        backout_plan="c",
        service=service,
        approval_group=cab,
    )
    clock = SlaClock.objects.get(ticket_id=change.pk, metric=Metric.RESPONSE)
    assert clock.state == ClockState.RUNNING
    change = services.change_assess(change, actor=agent_l1)
    change = services.change_submit(change, actor=agent_l1)
    services.change_decide(change, actor=manager, decision="approved")
    clock.refresh_from_db()
    assert clock.state == ClockState.MET
