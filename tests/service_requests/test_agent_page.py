"""The agent's request page on the kernel's ticket page (core.web.ticket_page): the actions its
action table offers now, what only requests show (approval note, SLA and milestone names), the
shared routes (claim, tier moves, cancel), conversion, the list's HTMX refresh, and the app's
independence from the incident app."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse

from service_requests import services
from service_requests.choices import CancelReason, RequestStatus
from service_requests.models import ServiceRequest

pytestmark = pytest.mark.django_db

LAPTOP = {"model": "Standard", "needed_by": "2030-01-15", "justification": "Old one died"}


def _page(client, request):
    response = client.get(reverse("requests:agent_detail", args=[request.number]))
    assert response.status_code == 200
    return response


def _offered(response) -> list[str]:
    return [item.transition.action for item in response.context["actions"]]


@pytest.fixture
def mine(requester, mfa):
    return services.request_create(requester=requester, item=mfa, answers={})


def test_the_page_offers_the_tables_actions_for_the_status(client_for, agent_l1, mine):
    client = client_for(agent_l1)
    submitted = _page(client, mine)
    assert submitted.context["ticket"] == mine
    assert _offered(submitted) == ["start", "hold", "cancel"]
    started = services.request_start(mine, actor=agent_l1)
    assert _offered(_page(client, started)) == ["fulfil", "hold", "cancel"]
    item = next(i for i in _page(client, started).context["actions"] if i.action.name == "fulfil")
    assert item.url == reverse("requests:agent_transition", args=[mine.number, "fulfil"])
    assert list(item.form.fields) == ["version", "fulfilment_notes"]


def test_approvals_stay_on_the_approvals_page(client_for, manager, requester, laptop):
    """The requester's manager is an agent too: the page names them and links to the approvals
    page, but offers neither approve nor reject itself."""
    request = services.request_create(requester=requester, item=laptop, answers=LAPTOP)
    response = _page(client_for(manager), request)
    body = response.content.decode()
    assert "Waiting for" in body and "(the requester's manager)" in body
    assert reverse("requests:approval_detail", args=[request.number]) in body
    assert "You can decide now." in body
    assert _offered(response) == ["cancel"]
    decide = reverse("requests:agent_transition", args=[request.number, "approve"])
    assert client_for(manager).post(decide, {"approve-version": 1}).status_code == 404


def test_sla_and_milestones_use_the_request_names(
    client_for, agent_l1, requester, laptop, manager, request_policies
):
    request = services.request_create(requester=requester, item=laptop, answers=LAPTOP)
    request = services.request_approve(request, actor=manager)
    request = services.request_start(request, actor=agent_l1)
    response = _page(client_for(agent_l1), request)
    assert [clock.label for clock in response.context["sla_clocks"]] == [
        "Start fulfilment",
        "Fulfil",
    ]
    assert [label for label, _ in response.context["milestones"]] == [
        "Submitted",
        "Sent for approval",
        "Approved",
        "Fulfilment started",
    ]


def test_claim_and_escalate_through_the_shared_routes(client_for, agent_l1, l2_group, mine):
    client = client_for(agent_l1)
    assert 'id="claim-button"' in _page(client, mine).content.decode()
    client.post(reverse("requests:agent_claim", args=[mine.number]))
    mine.refresh_from_db()
    assert mine.assignee == agent_l1
    response = client.post(
        reverse("requests:agent_escalate", args=[mine.number]),
        {"escalate-version": mine.version, "escalate-reason": "Needs the app team"},
    )
    assert response["Location"] == reverse("requests:agent_detail", args=[mine.number])
    mine.refresh_from_db()
    assert (mine.tier, mine.support_group, mine.assignee) == (2, l2_group, None)


def test_cancel_offers_the_agents_reasons_and_reshows_errors(client_for, agent_l1, mine):
    client = client_for(agent_l1)
    cancel = next(i for i in _page(client, mine).context["actions"] if i.action.name == "cancel")
    reasons = [value for value, _ in cancel.form.fields["cancel_reason"].choices]
    assert CancelReason.CONVERTED_TO_INCIDENT not in reasons
    assert CancelReason.DUPLICATE in reasons
    url = reverse("requests:agent_transition", args=[mine.number, "cancel"])
    response = client.post(url, {"cancel-version": mine.version, "cancel-cancel_reason": ""})
    assert response.status_code == 200 and response.context["open_form"] == "cancel"
    response = client.post(
        url, {"cancel-version": mine.version, "cancel-cancel_reason": CancelReason.DUPLICATE}
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == [f"{mine.number} cancelled."]
    mine.refresh_from_db()
    assert (mine.status, mine.cancel_reason) == (RequestStatus.CANCELLED, CancelReason.DUPLICATE)


def test_an_invalid_conversion_comes_back_open_on_the_page(client_for, agent_l1, mine):
    client = client_for(agent_l1)
    assert _page(client, mine).context["convert_into"].name == "incident"
    response = client.post(
        reverse("requests:agent_to_incident", args=[mine.number]),
        {"to_incident-version": mine.version, "to_incident-impact": "huge"},
    )
    assert response.status_code == 200
    assert response.context["open_form"] == "to_incident"
    assert set(response.context["convert_form"].errors) == {"impact", "urgency"}
    assert 'id="convert-incident" open' in response.content.decode()
    mine.refresh_from_db()
    assert mine.status == RequestStatus.SUBMITTED


def test_final_requests_offer_no_conversion(client_for, agent_l1, mine):
    services.request_cancel(mine, actor=agent_l1, cancel_reason=CancelReason.DUPLICATE)
    response = _page(client_for(agent_l1), mine)
    assert "convert_form" not in response.context
    assert "Convert to an incident" not in response.content.decode()


def test_the_list_refreshes_its_rows_over_htmx(client_for, agent_l1, mine, settings):
    settings.QUEUE_REFRESH_SECONDS = 30
    client = client_for(agent_l1)
    url = reverse("requests:agent_list")
    page = client.get(url).content.decode()
    assert f'hx-get="{url}"' in page and 'hx-trigger="every 30s"' in page
    rows = client.get(url, {"q": mine.number}, HTTP_HX_REQUEST="true")
    body = rows.content.decode()
    assert "<html" not in body
    assert body.count('id="request-rows"') == 1 and mine.number in body
    assert 'id="result-count" hx-swap-oob="true"' in body
    assert "1 open request " in body
    settings.QUEUE_REFRESH_SECONDS = 0
    assert "hx-trigger" not in client.get(url).content.decode()


def test_an_unknown_decision_is_404(client_for, approver, requester, vpn):
    request = services.request_create(requester=requester, item=vpn, answers={})
    response = client_for(approver).post(
        reverse("requests:approval_decide", args=[request.number, "maybe"]),
        {"maybe-version": request.version},
    )
    assert response.status_code == 404
    assert ServiceRequest.objects.get().status == RequestStatus.AWAITING_APPROVAL


def test_service_requests_import_no_other_domain_app():
    """Conversion and the incident page's request panel go through the kind registry."""
    root = Path(settings.BASE_DIR) / "service_requests"
    others = {"incidents", "problems", "changes"}
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            found += [f"{path.name}: {name}" for name in names if name.split(".")[0] in others]
    assert found == []
