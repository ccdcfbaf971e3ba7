"""/api/v1/oncall/ for paging: policies (agents read, the group's manager writes), contact
methods and rules (one's own, admins everyone's), pages (scoped to tickets one can see, filters,
acknowledge and resolve with If-Match, page a ticket by number), token scopes, query counts."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.api.tokens import api_token_create
from core.models import SupportGroup, User
from incidents.choices import Category
from oncall.models import (
    ContactMethod,
    EscalationPolicy,
    NotificationRule,
    Page,
    PageReason,
    PageStatus,
    Schedule,
)
from oncall.paging.services import page_start
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def token_api(user: User, *scopes: str) -> APIClient:
    client = APIClient()
    secret = api_token_create(user=user, name="t", scopes=list(scopes)).secret
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def policy_body(group: SupportGroup, schedule: Schedule, agents: list[User]) -> dict[str, Any]:
    return {
        "support_group": group.pk,
        "name": "L1 paging",
        "repeat": 1,
        "page_priorities": [1, 2],
        "page_on_breach": True,
        "steps": [
            {"target": "schedule", "schedule": schedule.pk, "wait_minutes": 5},
            {"target": "people", "people": [agents[1].pk], "wait_minutes": 10},
        ],
    }


# --- Policies ------------------------------------------------------------------------------


def test_policies_crud_by_the_manager_read_only_for_agents(
    group, schedule, agents, manager, agent_l2, end_user
) -> None:
    url = reverse("oncall-policies-list")
    body = policy_body(group, schedule, agents)
    assert api(agents[0]).post(url, body, format="json").status_code == 403
    assert api(end_user).get(url).status_code == 403
    created = api(manager).post(url, body, format="json")
    assert created.status_code == 201, created.json()
    found = created.json()
    assert found["page_priorities"] == [1, 2]
    assert [s["target"] for s in found["steps"]] == ["schedule", "people"]
    assert found["steps"][1]["people"] == [agents[1].pk]
    detail = reverse("oncall-policies-detail", args=[found["id"]])
    for reader in (agents[0], agent_l2):
        assert api(reader).get(detail).json()["name"] == "L1 paging"
        assert api(reader).patch(detail, {"repeat": 3}, format="json").status_code == 403
        assert api(reader).delete(detail).status_code == 403
    changed = api(manager).patch(
        detail, {"steps": [{"target": "group", "wait_minutes": 20}]}, format="json"
    )
    assert changed.status_code == 200
    assert changed.json()["steps"] == [
        {"position": 1, "target": "group", "schedule": None, "people": [], "wait_minutes": 20}
    ]
    assert api(manager).delete(detail).status_code == 204
    assert not EscalationPolicy.objects.exists()
    assert api(manager).get(detail).status_code == 404


@pytest.mark.parametrize(
    "change",
    [
        {"repeat": 10},
        {"page_priorities": [6]},
        {"steps": []},
        {"steps": [{"target": "group", "wait_minutes": 0}]},
        {"steps": [{"target": "group", "wait_minutes": 5}, {"target": "group", "wait_minutes": 5}]},
        {"steps": [{"target": "people", "people": [], "wait_minutes": 5}]},
        {"colour": "red"},
    ],
)
def test_bad_policies_are_400_and_store_nothing(group, schedule, agents, manager, change) -> None:
    body = {**policy_body(group, schedule, agents), **change}
    response = api(manager).post(reverse("oncall-policies-list"), body, format="json")
    assert response.status_code == 400, response.json()
    assert not EscalationPolicy.objects.exists()


def test_policies_list_filters_by_group(group, schedule, agents, manager, l2_group) -> None:
    api(manager).post(
        reverse("oncall-policies-list"), policy_body(group, schedule, agents), format="json"
    )
    url = reverse("oncall-policies-list")
    assert len(api(agents[0]).get(url, {"group": group.pk}).json()["results"]) == 1
    assert api(agents[0]).get(url, {"group": l2_group.pk}).json()["results"] == []


# --- Contact methods and rules -------------------------------------------------------------


def test_contact_methods_are_ones_own(agents, admin_user) -> None:
    url = reverse("oncall-contact-methods-list")
    mine = api(agents[0]).post(
        url, {"kind": "email", "label": "Work", "address": "a@example.com"}, format="json"
    )
    assert mine.status_code == 201, mine.json()
    assert mine.json()["rules"][0]["delay_minutes"] == 0 and mine.json()["secret"] == ""
    theirs = api(agents[1]).post(
        url, {"kind": "email", "label": "Home", "address": "b@example.com"}, format="json"
    )
    assert [m["label"] for m in api(agents[0]).get(url).json()["results"]] == ["Work"]
    assert len(api(admin_user).get(url).json()["results"]) == 2
    other = reverse("oncall-contact-methods-detail", args=[theirs.json()["id"]])
    assert api(agents[0]).get(other).status_code == 404
    assert api(agents[0]).patch(other, {"label": "x"}, format="json").status_code == 404
    assert api(agents[0]).delete(other).status_code == 404
    # Only admins choose the person.
    forged = api(agents[0]).post(
        url,
        {"person": agents[1].pk, "kind": "email", "label": "X", "address": "c@example.com"},
        format="json",
    )
    assert forged.status_code == 403
    made = api(admin_user).post(
        url,
        {"person": agents[1].pk, "kind": "email", "label": "X", "address": "c@example.com"},
        format="json",
    )
    assert made.status_code == 201 and made.json()["person"] == agents[1].pk
    assert ContactMethod.objects.filter(person=agents[1]).count() == 2


def test_a_signed_webhook_secret_is_shown_once_and_rotates(agents) -> None:
    url = reverse("oncall-contact-methods-list")
    body = {"kind": "webhook", "label": "SMS", "address": "https://sms.example.com/in"}
    made = api(agents[0]).post(url, body, format="json")
    secret = made.json()["secret"]
    assert len(secret) >= 40
    detail = reverse("oncall-contact-methods-detail", args=[made.json()["id"]])
    assert "secret" not in api(agents[0]).get(detail).json()
    assert api(agents[0]).patch(detail, {"label": "SMS 2"}, format="json").json()["secret"] == ""
    rotate = reverse("oncall-contact-methods-rotate-secret", args=[made.json()["id"]])
    rotated = api(agents[0]).post(rotate).json()["secret"]
    assert rotated and rotated != secret
    assert api(agents[1]).post(rotate).status_code == 404
    bad = api(agents[0]).post(url, {**body, "address": "https://127.0.0.1/x"}, format="json")
    assert bad.status_code == 400 and "address" in str(bad.json())


def test_notification_rules(agents) -> None:
    method = (
        api(agents[0])
        .post(
            reverse("oncall-contact-methods-list"),
            {"kind": "email", "label": "Work", "address": "a@example.com"},
            format="json",
        )
        .json()
    )
    url = reverse("oncall-notification-rules-list")
    made = api(agents[0]).post(
        url, {"contact_method": method["id"], "delay_minutes": 2}, format="json"
    )
    assert made.status_code == 201
    again = api(agents[0]).post(
        url, {"contact_method": method["id"], "delay_minutes": 2}, format="json"
    )
    assert again.status_code == 400
    late = api(agents[0]).post(
        url, {"contact_method": method["id"], "delay_minutes": 121}, format="json"
    )
    assert late.status_code == 400
    stranger = api(agents[1]).post(
        url, {"contact_method": method["id"], "delay_minutes": 5}, format="json"
    )
    assert stranger.status_code == 404
    detail = reverse("oncall-notification-rules-detail", args=[made.json()["id"]])
    assert api(agents[1]).delete(detail).status_code == 404
    assert api(agents[0]).delete(detail).status_code == 204
    assert list(NotificationRule.objects.values_list("delay_minutes", flat=True)) == [0]


# --- Pages ---------------------------------------------------------------------------------


def paged(group: SupportGroup, actor: User, **fields: Any) -> Page:
    incident = IncidentFactory(support_group=group, tier=group.tier, **fields)
    page = page_start(incident, reason=PageReason.MANUAL, actor=actor, message="Help")
    assert page is not None
    return page


def test_pages_list_detail_and_filters(group, agents, policy, reachable, end_user) -> None:
    page = paged(group, agents[0])
    other = paged(group, agents[0])
    Page.objects.filter(pk=other.pk).update(status=PageStatus.RESOLVED)
    url = reverse("oncall-pages-list")
    assert api(end_user).get(url).status_code == 403
    listed = api(agents[0]).get(url).json()["results"]
    assert [p["id"] for p in listed] == [other.pk, page.pk]
    assert listed[1]["ticket_kind"] == "incident"
    by_status = api(agents[0]).get(url, {"status": "triggered"}).json()["results"]
    assert [p["id"] for p in by_status] == [page.pk]
    by_ticket = api(agents[0]).get(url, {"ticket": page.ticket_number.lower()}).json()["results"]
    assert [p["id"] for p in by_ticket] == [page.pk]
    person = page.notifications.first().person
    by_person = api(agents[0]).get(url, {"person": person.pk}).json()["results"]
    assert page.pk in [p["id"] for p in by_person]
    after = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert api(agents[0]).get(url, {"created_after": after}).json()["results"] == []
    assert api(agents[0]).get(url, {"group": group.pk}).json()["results"]
    detail = api(agents[0]).get(reverse("oncall-pages-detail", args=[page.pk]))
    assert detail.status_code == 200 and detail["ETag"] == '"v1"'
    body = detail.json()
    assert body["notifications"][0]["person"] == person.pk
    assert body["policy_snapshot"][0]["policy"] == "L1 paging"


def test_pages_of_tickets_one_cannot_see_are_404(
    group, agents, policy, reachable, agent_l2
) -> None:
    secret = paged(group, agents[0], category=Category.SECURITY)
    url = reverse("oncall-pages-detail", args=[secret.pk])
    assert api(agent_l2).get(url).status_code == 404
    ack = reverse("oncall-pages-acknowledge", args=[secret.pk])
    assert api(agent_l2).post(ack).status_code == 404
    assert secret.pk not in [
        p["id"] for p in api(agent_l2).get(reverse("oncall-pages-list")).json()["results"]
    ]


def test_acknowledge_with_if_match_then_no_second_time(group, agents, policy, reachable) -> None:
    page = paged(group, agents[0])
    ack = reverse("oncall-pages-acknowledge", args=[page.pk])
    stale = api(agents[1]).post(ack, HTTP_IF_MATCH='"v0"')
    assert stale.status_code == 412
    assert Page.objects.get(pk=page.pk).status == PageStatus.TRIGGERED
    done = api(agents[1]).post(ack, HTTP_IF_MATCH='"v1"')
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "acknowledged"
    assert done.json()["acknowledged_by"] == agents[1].pk
    assert done.json()["acknowledged_via"] == "api"
    again = api(agents[2]).post(ack)
    assert again.status_code == 409
    # An acknowledged page can still be resolved (the responder says it is over), once.
    resolve = api(agents[1]).post(reverse("oncall-pages-resolve", args=[page.pk]))
    assert resolve.status_code == 200, resolve.json()
    assert resolve.json()["status"] == "resolved"
    twice = api(agents[1]).post(reverse("oncall-pages-resolve", args=[page.pk]))
    assert twice.status_code == 409


def test_resolve_ends_a_page(group, agents, policy, reachable) -> None:
    page = paged(group, agents[0])
    done = api(agents[1]).post(
        reverse("oncall-pages-resolve", args=[page.pk]), {"why": "Fixed"}, format="json"
    )
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    assert all(n["status"] != "scheduled" for n in done.json()["notifications"])


def test_page_a_ticket_by_number(group, agents, policy, reachable, end_user, l2_group) -> None:
    incident = IncidentFactory(support_group=group, tier=group.tier)
    url = reverse("oncall-pages-list")
    made = api(agents[0]).post(
        url, {"ticket": incident.number, "message": "DB down"}, format="json"
    )
    assert made.status_code == 201, made.json()
    assert made.json()["reason"] == "manual" and made.json()["message"] == "DB down"
    twice = api(agents[0]).post(url, {"ticket": incident.number}, format="json")
    assert twice.status_code == 409
    assert api(agents[0]).post(url, {"ticket": "INC-999999"}, format="json").status_code == 404
    assert api(agents[0]).post(url, {"ticket": "XYZ-1"}, format="json").status_code == 404
    unpoliced = IncidentFactory(support_group=l2_group, tier=l2_group.tier)
    refused = api(agents[0]).post(url, {"ticket": unpoliced.number}, format="json")
    assert refused.status_code == 400
    assert api(end_user).post(url, {"ticket": incident.number}, format="json").status_code == 403
    assert Page.objects.count() == 1


def test_token_scopes(group, agents, policy, reachable) -> None:
    page = paged(group, agents[0])
    reader = token_api(agents[1], "read")
    assert reader.get(reverse("oncall-pages-list")).status_code == 200
    assert reader.post(reverse("oncall-pages-acknowledge", args=[page.pk])).status_code == 403
    writer = token_api(agents[1], "read", "write")
    assert writer.post(reverse("oncall-pages-acknowledge", args=[page.pk])).status_code == 200


def test_the_pages_list_queries_do_not_grow_with_rows(group, agents, policy, reachable) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = api(agents[0]).get(reverse("oncall-pages-list"))
            assert response.status_code == 200
        return len(queries)

    paged(group, agents[0])
    count()  # warm the per-process memos (roles, kinds)
    one = count()
    for _ in range(19):
        page = paged(group, agents[0])
        Page.objects.filter(pk=page.pk).update(
            status=PageStatus.ACKNOWLEDGED, acknowledged_by=agents[1]
        )
    assert len(api(agents[0]).get(reverse("oncall-pages-list")).json()["results"]) == 20
    assert count() == one
    assert one <= 6, one


def test_a_partial_update_still_needs_whole_steps(group, schedule, agents, manager) -> None:
    made = api(manager).post(
        reverse("oncall-policies-list"), policy_body(group, schedule, agents), format="json"
    )
    detail = reverse("oncall-policies-detail", args=[made.json()["id"]])
    for steps in ([{"target": "group"}], [{"wait_minutes": 5}], "group"):
        response = api(manager).patch(detail, {"steps": steps}, format="json")
        assert response.status_code == 400, response.content
    assert EscalationPolicy.objects.get().steps.count() == 2
