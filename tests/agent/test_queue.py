"""The triage queue: tabs and their counts, filters kept across tabs and refreshes, the HTMX
rows partial (polling interval, out-of-band tab counts), claiming from the queue, the bulk bar
and keyboard help on the page, and the query budget with 1 and 50 incidents."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import Service
from core.web.forms import MAX_SELECT_OPTIONS
from incidents import services
from incidents.choices import IncidentStatus
from incidents.selectors import incident_list_for_user, incident_queue_counts
from tests.factories import IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/agent/incidents/"


def _numbers(response) -> list[str]:
    return [row.incident.number for row in response.context["rows"]]


@pytest.fixture
def spread(agent_l1, agent_l2, l1_group, l2_group):
    """One incident per tab situation: unassigned in my group, mine, a colleague's in my
    group, another group's, and a closed one of mine."""
    return {
        "free_mine_group": IncidentFactory(support_group=l1_group),
        "mine": IncidentFactory(assignee=agent_l1, support_group=l2_group),
        "colleague": IncidentFactory(assignee=agent_l2, support_group=l1_group),
        "elsewhere": IncidentFactory(assignee=agent_l2, support_group=l2_group),
        "closed_mine": IncidentFactory(
            assignee=agent_l1, support_group=l1_group, status=IncidentStatus.CLOSED
        ),
    }


@pytest.mark.parametrize(
    ("tab", "expected"),
    [
        ("unassigned", {"free_mine_group"}),
        ("mine", {"mine"}),
        ("groups", {"free_mine_group", "colleague"}),
        ("all", {"free_mine_group", "mine", "colleague", "elsewhere"}),
        ("nonsense", {"free_mine_group", "mine", "colleague", "elsewhere"}),
    ],
)
def test_tabs_narrow_the_open_list(client_for, agent_l1, spread, tab, expected):
    response = client_for(agent_l1).get(URL, {"tab": tab})
    assert set(_numbers(response)) == {spread[key].number for key in expected}


def test_tab_counts_come_from_one_query_and_follow_the_filters(agent_l1, spread, l1_group):
    queryset = incident_list_for_user(agent_l1).filter(status__in=["identified"])
    with CaptureQueriesContext(connection) as ctx:
        counts = incident_queue_counts(queryset, user=agent_l1)
    assert len(ctx.captured_queries) == 1
    assert counts == {"unassigned": 1, "mine": 1, "groups": 2, "all": 4}
    narrowed = incident_queue_counts(queryset.filter(support_group=l1_group), user=agent_l1)
    assert narrowed == {"unassigned": 1, "mine": 0, "groups": 2, "all": 2}


def test_group_count_is_not_inflated_by_other_members(agent_l1, l1_group):
    l1_group.members.add(*UserFactory.create_batch(3))
    IncidentFactory(support_group=l1_group)
    counts = incident_queue_counts(incident_list_for_user(agent_l1), user=agent_l1)
    assert counts["groups"] == 1 == counts["all"]


def test_tabs_show_counts_keep_filters_and_mark_the_current_one(client_for, agent_l1, spread):
    body = (
        client_for(agent_l1).get(URL, {"tab": "groups", "priority": "3", "page": "1"}).content
    ).decode()
    nav = re.search(r'<nav id="queue-tabs".*?</nav>', body, re.S)
    assert nav is not None
    tabs = nav.group(0)
    assert 'id="tab-mine" class="queue-tab" href="?tab=mine&amp;priority=3"' in tabs
    assert re.search(r'id="tab-groups" class="queue-tab is-current"[^>]*aria-current="page"', tabs)
    assert re.search(r'Unassigned <span class="tab-count">1</span>', tabs)
    assert re.search(r'All <span class="tab-count">4</span>', tabs)
    # The search form keeps the tab too.
    assert '<input type="hidden" name="tab" value="groups">' in body


def test_pagination_counts_the_current_tab(client_for, agent_l1, settings, l1_group):
    settings.QUEUE_PAGE_SIZE = 2
    IncidentFactory.create_batch(3, assignee=agent_l1)
    IncidentFactory.create_batch(4)
    response = client_for(agent_l1).get(URL, {"tab": "mine"})
    page = response.context["page"]
    assert (page.paginator.count, page.paginator.num_pages, len(page.object_list)) == (3, 2, 2)
    last = client_for(agent_l1).get(URL, {"tab": "mine", "page": 99}).context["page"]
    assert (last.number, len(last.object_list)) == (2, 1)


def test_rows_partial_polls_with_the_configured_interval_and_the_same_url(
    client_for, agent_l1, spread, settings
):
    settings.QUEUE_REFRESH_SECONDS = 30
    client = client_for(agent_l1)
    body = client.get(URL, {"tab": "mine", "q": "x"}, HTTP_HX_REQUEST="true").content.decode()
    assert body.lstrip().startswith('<tbody id="incident-rows"')
    assert 'hx-get="/agent/incidents/?tab=mine&amp;q=x"' in body
    assert 'hx-trigger="every 30s"' in body
    # Tab counts and the summary ride along out of band; the rest of the page does not.
    assert '<nav id="queue-tabs" class="queue-tabs" aria-label="Queues" hx-swap-oob="true">' in body
    assert '<p class="muted queue-summary" id="result-count" hx-swap-oob="true">' in body
    assert "<thead" not in body and 'id="bulk-form"' not in body


def test_refresh_defaults_to_15_seconds_and_can_be_turned_off(client_for, agent_l1, settings):
    client = client_for(agent_l1)
    assert 'hx-trigger="every 15s"' in client.get(URL).content.decode()
    settings.QUEUE_REFRESH_SECONDS = 0
    body = client.get(URL).content.decode()
    assert "hx-trigger" not in body.split('id="incident-rows"')[1].split(">")[0]
    assert "refreshes every" not in body


def test_rows_have_stable_ids_select_boxes_and_claim_forms(client_for, agent_l1, agent_l2):
    free = IncidentFactory()
    taken = IncidentFactory(assignee=agent_l2)
    body = client_for(agent_l1).get(URL).content.decode()
    for incident in (free, taken):
        number = incident.number
        assert f'<tr id="row-{number}"' in body
        assert f'name="incidents" value="{number}" form="bulk-form" id="select-{number}"' in body
        assert f'id="open-{number}"' in body
    assert f'id="claim-{free.number}"' in body
    assert f'id="claim-{taken.number}"' not in body
    assert f'hx-post="/agent/incidents/{free.number}/claim/" hx-target="#queue-status"' in body


def test_rows_show_every_column_the_queue_promises(client_for, agent_l1, l1_group, service):
    incident = IncidentFactory(
        assignee=agent_l1, support_group=l1_group, service=service, priority=2, tier=1
    )
    body = client_for(agent_l1).get(URL).content.decode()
    row = re.search(rf'<tr id="row-{incident.number}".*?</tr>', body, re.S)
    assert row is not None
    text = row.group(0)
    for expected in (
        incident.number,
        incident.title,
        "P2 High",
        "Identified",
        ">L1<",
        l1_group.name,
        agent_l1.display_name,
        service.name,
        "badge-sla",
    ):
        assert expected in text, expected


def test_page_has_bulk_bar_shortcut_help_and_queue_script(client_for, agent_l1):
    IncidentFactory()
    body = client_for(agent_l1).get(URL).content.decode()
    for element_id in (
        "bulk-form",
        "bulk-bar",
        "select-all",
        "bulk-count",
        "bulk-assign",
        "bulk-priority",
        "bulk-status",
        "bulk-panel",
        "queue-status",
        "shortcuts",
        "queue-tabs",
    ):
        assert f'id="{element_id}"' in body, element_id
    for key in ("<kbd>j</kbd>", "<kbd>k</kbd>", "<kbd>a</kbd>", "<kbd>x</kbd>", "<kbd>/</kbd>"):
        assert key in body
    assert "<kbd>Enter</kbd>" in body and "<kbd>?</kbd>" in body
    assert "/static/js/queue.js" in body and "/static/css/agent.css" in body


def test_quick_filters_keep_the_tab(client_for, agent_l1):
    body = client_for(agent_l1).get(URL, {"tab": "mine"}).content.decode()
    assert 'href="?tab=mine&amp;sla_state=breached"' in body
    assert 'href="?tab=mine&amp;priority=1"' in body


def test_empty_tab_says_what_to_do(client_for, agent_l1):
    IncidentFactory()
    body = client_for(agent_l1).get(URL, {"tab": "mine"}).content.decode()
    assert "Nothing is assigned to you" in body
    assert 'href="?tab=unassigned"' in body


def test_select_boxes_stay_under_the_cap(client_for, agent_l1, l1_group):
    Service.objects.bulk_create(
        [Service(name=f"Svc {n:03d}", owner_group=l1_group) for n in range(MAX_SELECT_OPTIONS + 5)]
    )
    body = client_for(agent_l1).get(URL).content.decode()
    for select in re.findall(r"<select.*?</select>", body, re.S):
        assert select.count("<option") <= MAX_SELECT_OPTIONS + 1


# --- Claim from the queue -------------------------------------------------------------------


def test_htmx_claim_answers_with_a_status_line_and_a_refresh_event(client_for, agent_l1):
    incident = IncidentFactory()
    response = client_for(agent_l1).post(
        reverse("incidents:agent_claim", args=[incident.number]),
        {"next": URL + "?tab=unassigned"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "queue-refresh"
    body = response.content.decode()
    assert f"{incident.number} is yours now." in body and "queue-message-success" in body
    incident.refresh_from_db()
    assert incident.assignee == agent_l1


def test_htmx_claim_of_a_taken_incident_says_who_has_it(client_for, agent_l1, agent_l2):
    incident = IncidentFactory()
    services.incident_claim(incident, actor=agent_l2)
    response = client_for(agent_l1).post(
        reverse("incidents:agent_claim", args=[incident.number]), HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "queue-message-error" in body and "already assigned" in body
    incident.refresh_from_db()
    assert incident.assignee == agent_l2


def test_claim_without_htmx_still_returns_to_the_queue(client_for, agent_l1):
    incident = IncidentFactory()
    back = URL + "?tab=unassigned"
    response = client_for(agent_l1).post(
        reverse("incidents:agent_claim", args=[incident.number]), {"next": back}
    )
    assert response.status_code == 302 and response["Location"] == back


# --- Access and budgets ---------------------------------------------------------------------


def test_end_users_get_404(client_for, end_user):
    client = client_for(end_user)
    assert client.get(URL).status_code == 404
    assert client.get(URL, HTTP_HX_REQUEST="true").status_code == 404


def _queries(client, params: dict[str, str], *, htmx: bool) -> int:
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params, **headers)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "params",
    [{}, {"tab": "groups"}, {"tab": "mine", "sla_state": "on_track", "ordering": "priority"}],
)
def test_queue_queries_are_the_same_for_1_and_50_incidents(
    client_for, agent_l1, make_incident, params, settings
):
    settings.QUEUE_PAGE_SIZE = 50
    client = client_for(agent_l1)
    first = make_incident("one", at=None)
    services.incident_claim(first, actor=agent_l1)
    one_partial = _queries(client, params, htmx=True)
    # The filter selects' options are memoised per process (core.web.forms.CHOICES_MEMO): the
    # first page fills the memo, the next ones read none of them.
    client.get(URL, params)
    one_page = _queries(client, params, htmx=False)
    for n in range(49):
        incident = make_incident(f"incident {n}", at=None)
        services.incident_claim(incident, actor=agent_l1)
    assert len(client.get(URL, params).context["rows"]) == 50
    assert _queries(client, params, htmx=True) == one_partial
    assert _queries(client, params, htmx=False) == one_page
    # Session, user and roles, then the list itself: tab counts, the page, its clocks.
    assert one_partial <= 6
