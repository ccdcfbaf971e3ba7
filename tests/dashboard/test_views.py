"""The dashboard page, its HTMX body, every tile partial and every chart's CSV: who may see
them, what they show, and what bad filters get (a 400 with the message, never a 500)."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.choices import IncidentStatus
from incidents.models import Incident
from reporting.dashboard_tiles import CSV_EXPORTS, TILES

pytestmark = pytest.mark.django_db

PAGE = "reporting:dashboard"


def page_url(query: str = "") -> str:
    return reverse(PAGE) + (f"?{query}" if query else "")


def tile_url(name: str, query: str = "") -> str:
    return reverse("reporting:dashboard_tile", args=[name]) + (f"?{query}" if query else "")


def csv_url(chart: str, query: str = "") -> str:
    return reverse("reporting:dashboard_csv", args=[chart]) + (f"?{query}" if query else "")


def stat(html: str, element_id: str) -> str:
    """The data-value of a stat element, the machine-readable number the e2e test reads."""
    match = re.search(rf'id="{element_id}" data-value="([^"]*)"', html)
    assert match, f"no #{element_id}"
    return match.group(1)


def checked_period(html: str) -> str:
    match = re.search(r'name="period" value="([^"]+)"[^>]*checked', html)
    assert match, "no period checked"
    return match.group(1)


# --- Who may see it -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        page_url(),
        tile_url("volume"),
        csv_url("volume"),
    ],
)
def test_anonymous_is_sent_to_sign_in(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["agent_l1", "end_user"])
@pytest.mark.parametrize("url", [page_url(), tile_url("now"), csv_url("backlog")])
def test_agents_and_end_users_get_403_like_the_report_api(
    request: pytest.FixtureRequest, client_for, role: str, url: str
) -> None:
    response = client_for(request.getfixturevalue(role)).get(url)
    assert response.status_code == 403
    api = client_for(request.getfixturevalue(role)).get(reverse("reports-volume"))
    assert api.status_code == 403


def test_others_cannot_subscribe(client_for, agent_l1) -> None:
    response = client_for(agent_l1).post(
        reverse("reporting:dashboard_subscribe"), {"weekday": 0, "hour": 7}
    )
    assert response.status_code == 403


def test_admins_see_the_dashboard(client_for, admin_user) -> None:
    response = client_for(admin_user).get(page_url())
    assert response.status_code == 200


# --- The page -------------------------------------------------------------------------------


def test_page_has_filters_tile_shells_definitions_and_subscription(manager_client) -> None:
    response = manager_client.get(page_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="dashboard-filters"' in html
    assert 'hx-push-url="true"' in html
    assert checked_period(html) == "30"
    for name in TILES:
        assert f'id="tile-{name}"' in html
        assert f'hx-get="{tile_url(name, "period=30")}"' in html.replace("&amp;", "&")
    assert 'id="definitions"' in html
    assert "How these are computed" in html
    assert 'id="subscriptions"' in html
    # Nothing inline for the CSP to refuse.
    assert "<script>" not in html
    assert "style=" not in html
    assert " onclick=" not in html


def test_load_all_draws_every_tile_in_the_page(manager_client, seeder) -> None:
    seeder.desk(9)
    response = manager_client.get(page_url("period=30&load=all"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "is-loading" not in html
    assert stat(html, "stat-backlog-open") == "3"
    assert stat(html, "stat-now-breached") == "1"
    assert stat(html, "stat-now-at-risk") == "1"
    # "overdue by 27 d 22 h" is around the clock, unlike the queue's business hours: it says so.
    assert html.count('<span class="time-basis">calendar time</span>') == 2
    assert "counted in calendar time (around the clock)" in html
    assert stat(html, "stat-volume-created") == "9"
    assert stat(html, "stat-volume-resolved") == "6"
    assert stat(html, "stat-mttr-count") == "6"
    assert stat(html, "stat-workload-assigned") == "3"
    assert 'role="img"' in html
    assert '<title id="chart-volume-title">' in html


def test_the_form_asks_for_every_tile_when_javascript_is_off(manager_client) -> None:
    html = manager_client.get(page_url()).content.decode()
    assert '<noscript><input type="hidden" name="load" value="all"></noscript>' in html


def test_htmx_filter_request_gets_the_body_only(manager_client) -> None:
    response = manager_client.get(
        page_url("period=7"), headers={"HX-Request": "true", "HX-Target": "dashboard-body"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="dashboard-body"') or 'id="dashboard-body"' in html
    assert "<html" not in html
    assert 'id="dashboard-filters"' not in html
    assert "(7 days)" in html
    assert "HX-Request" in response["Vary"]


def test_history_restore_gets_the_whole_page(manager_client) -> None:
    response = manager_client.get(
        page_url("period=7"),
        headers={
            "HX-Request": "true",
            "HX-History-Restore-Request": "true",
            "HX-Target": "dashboard-body",
        },
    )
    assert "<html" in response.content.decode()


def test_presets_cover_whole_days_up_to_today(manager_client) -> None:
    today = timezone.localdate()
    html = manager_client.get(page_url("period=7")).content.decode()
    first = today - timedelta(days=6)
    assert f'datetime="{first.isoformat()}"' in html
    assert f'datetime="{today.isoformat()}"' in html
    # The date inputs show the preset's days, ready to be edited into a custom period.
    assert f'value="{first.isoformat()}"' in html


def test_custom_dates_are_used(manager_client) -> None:
    html = manager_client.get(page_url("period=custom&start=2026-03-02&end=2026-03-10")).content
    assert b"(9 days)" in html
    assert checked_period(html.decode()) == "custom"


def test_dates_alone_mean_a_custom_period(manager_client) -> None:
    html = manager_client.get(page_url("start=2026-03-02&end=2026-03-03")).content
    assert b"(2 days)" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=custom&start=2026-03-10&end=2026-03-01", "The start must be before the end."),
        ("period=custom&start=yesterday", "Enter a valid date."),
        ("period=custom", "Choose the first day of the period"),
        ("period=12", "Select a valid choice."),
        ("priority=9", "Select a valid choice."),
        ("group=abc", "Select a valid choice."),
        ("kind=problem", "Select a valid choice."),
        ("period=custom&start=2010-01-01&end=2026-01-01", "A report covers at most"),
    ],
)
def test_bad_filters_are_a_clear_400(manager_client, query: str, message: str) -> None:
    response = manager_client.get(page_url(query))
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="dashboard-errors"' in html
    assert message in html
    assert 'id="tile-' not in html


def test_an_inactive_or_unknown_group_is_refused(manager_client, l1_group) -> None:
    l1_group.is_active = False
    l1_group.save()
    response = manager_client.get(page_url(f"group={l1_group.pk}"))
    assert response.status_code == 400


def test_filters_narrow_the_tiles(manager_client, seeder, l2_group) -> None:
    seeder.desk(9)
    seeder.open(state="breached", support_group=l2_group, tier=2)
    all_html = manager_client.get(page_url("load=all")).content.decode()
    l2_html = manager_client.get(page_url(f"load=all&group={l2_group.pk}")).content.decode()
    assert stat(all_html, "stat-backlog-open") == "4"
    assert stat(l2_html, "stat-backlog-open") == "1"
    assert stat(l2_html, "stat-now-breached") == "1"
    assert "Group: Application Support L2 (L2)" in l2_html


# --- Tiles ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(TILES))
def test_every_tile_renders_alone(manager_client, seeder, name: str) -> None:
    seeder.desk(6)
    response = manager_client.get(tile_url(name, "period=30"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith("<section")
    assert f'id="tile-{name}"' in html
    assert "<html" not in html


@pytest.mark.parametrize("name", list(TILES))
def test_every_tile_renders_for_requests_and_empty_desks(manager_client, name: str) -> None:
    response = manager_client.get(tile_url(name, "kind=request"))
    assert response.status_code == 200


def test_unknown_tile_is_404(manager_client) -> None:
    assert manager_client.get(tile_url("nope")).status_code == 404


def test_tile_with_bad_filters_is_a_400_with_the_message(manager_client) -> None:
    response = manager_client.get(tile_url("volume", "priority=0"))
    assert response.status_code == 400
    assert b'id="tile-volume"' in response.content
    assert b"Select a valid choice." in response.content


def test_mtbf_of_requests_says_why_it_is_missing(manager_client) -> None:
    html = manager_client.get(tile_url("mtbf", "kind=request")).content
    assert b"MTBF is measured on incidents only." in html


def test_now_tile_lists_and_links_breached_and_at_risk(manager_client, seeder) -> None:
    breached = seeder.open(state="breached", priority=1)
    at_risk = seeder.open(state="at_risk")
    seeder.open(state="on_track")
    seeder.resolved(sla_due_at=timezone.now() - timedelta(days=1))  # closed: not "now"
    html = manager_client.get(tile_url("now")).content.decode().replace("&amp;", "&")
    assert reverse("incidents:agent_detail", args=[breached.number]) in html
    assert reverse("incidents:agent_detail", args=[at_risk.number]) in html
    assert stat(html, "stat-now-breached") == "1"
    assert stat(html, "stat-now-at-risk") == "1"
    queue = reverse("incidents:agent_list")
    assert f"{queue}?support_group={seeder.group.pk}" not in html  # no group filter chosen
    assert f"{queue}?sla_state=breached" in html
    assert f"{queue}?sla_state=at_risk" in html
    assert 'hx-trigger="every 60s"' in html


def test_now_lists_stop_at_twenty_and_link_to_the_rest(manager_client, seeder) -> None:
    for _ in range(23):
        seeder.open(state="breached")
    html = manager_client.get(tile_url("now", "priority=2")).content.decode()
    block = html.split('id="now-breached"')[1].split('id="now-at-risk"')[0]
    assert block.count('class="now-ticket"') == 20
    assert stat(html, "stat-now-breached") == "23"
    assert "See all 23 breached in the queue" in block
    assert "sla_state=breached" in block
    assert "priority=2" in block


def test_see_all_opens_the_same_tickets_in_the_queue(manager_client, seeder) -> None:
    for _ in range(3):
        seeder.open(state="breached")
    seeder.open(state="at_risk")
    queue = manager_client.get(reverse("incidents:agent_list") + "?sla_state=breached")
    assert queue.status_code == 200
    assert queue.content.decode().count(reverse("incidents:agent_list")) >= 1
    breached_numbers = set(
        Incident.objects.filter(sla_due_at__lte=timezone.now()).values_list("number", flat=True)
    )
    for number in breached_numbers:
        assert number in queue.content.decode()


def test_request_lists_have_no_see_all_link(manager_client) -> None:
    html = manager_client.get(tile_url("now", "kind=request")).content.decode()
    assert "See all" not in html


def test_workload_per_agent_links_to_their_queue(manager_client, seeder) -> None:
    seeder.open(state="breached", agent=1)
    seeder.open(state="on_track", agent=1)
    seeder.open(state="on_track", agent=2)
    seeder.open(state="on_track", agent=None)
    html = manager_client.get(tile_url("workload")).content.decode().replace("&amp;", "&")
    busiest = seeder.agents[1]
    assert f"?assignee={busiest.pk}" in html
    assert f"{busiest.display_name}</a>" in html
    assert "2: 1 breached, 1 other" in html
    assert stat(html, "stat-workload-unassigned") == "1"
    assert "?assignee=null" in html
    # The busiest agent comes first.
    assert html.index(busiest.display_name) < html.index(seeder.agents[2].display_name)


# --- CSV ------------------------------------------------------------------------------------


@pytest.mark.parametrize("chart", list(CSV_EXPORTS))
def test_every_chart_has_a_csv(manager_client, seeder, chart: str) -> None:
    seeder.desk(6)
    response = manager_client.get(csv_url(chart, "period=30"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="{chart}-incidents-')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) >= 2
    assert all(len(row) == len(rows[0]) for row in rows)


def test_volume_csv_has_the_table_numbers(manager_client, seeder) -> None:
    seeder.desk(9)
    response = manager_client.get(csv_url("volume", "period=7"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["first_day", "last_day", "created", "resolved"]
    assert len(rows) == 1 + 7
    assert rows[-1][0] == timezone.localdate().isoformat()


def test_csv_cells_cannot_become_formulas(manager_client, seeder) -> None:
    agent = seeder.agents[0]
    agent.first_name, agent.last_name = "=HYPERLINK(1)", ""
    agent.save()
    seeder.open(state="breached", agent=0)
    body = b"".join(manager_client.get(csv_url("workload-agents")).streaming_content).decode()
    assert "'=HYPERLINK(1)" in body


def test_csv_refusals_are_400(manager_client) -> None:
    assert manager_client.get(csv_url("mtbf", "kind=request")).status_code == 400
    bad = manager_client.get(csv_url("volume", "period=custom&start=2026-03-10&end=2026-03-01"))
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"]["start"] == ["The start must be before the end."]
    assert manager_client.get(csv_url("nope")).status_code == 404


# --- The numbers move -----------------------------------------------------------------------


def test_resolving_a_ticket_moves_the_numbers(manager_client, seeder, agent_l1, settings) -> None:
    """What the e2e test checks in a browser: after a resolve, the tiles say so (with the tile
    cache on, as in production)."""
    settings.DASHBOARD_CACHE_SECONDS = 60
    seeder.desk(9)
    before = manager_client.get(page_url("load=all")).content.decode()
    incident = Incident.objects.filter(status=IncidentStatus.CLASSIFIED).first()
    assert incident is not None
    services.incident_resolve(
        incident, actor=agent_l1, resolution_code="fixed", resolution_notes="Replaced the disk."
    )
    after = manager_client.get(page_url("load=all")).content.decode()
    assert int(stat(after, "stat-backlog-open")) == int(stat(before, "stat-backlog-open")) - 1
    assert int(stat(after, "stat-volume-resolved")) == int(stat(before, "stat-volume-resolved")) + 1
    assert int(stat(after, "stat-mttr-count")) == int(stat(before, "stat-mttr-count")) + 1


# --- Accessibility of the markup ------------------------------------------------------------


def test_ids_are_unique_and_every_chart_is_labelled_and_has_its_table(
    manager_client, seeder, manager
) -> None:
    from reporting.services import subscription_create

    subscription_create(user=manager, weekday=0, hour=7)
    seeder.desk(12)
    html = manager_client.get(page_url("load=all")).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', html)
    duplicates = {name for name in ids if ids.count(name) > 1}
    assert not duplicates
    charts = re.findall(r'<svg class="chart chart-time"[^>]*aria-labelledby="([^"]+)"', html)
    assert "chart-volume-title chart-volume-desc" in charts  # no SLA clocks here: no trend
    for labelled_by in charts:
        for part in labelled_by.split():
            assert f'id="{part}"' in html
    for tile in ("compliance", "volume", "backlog", "workload"):
        section = html.split(f'id="tile-{tile}"')[1].split("</section>")[0]
        assert '<details class="chart-data">' in section
        assert "<table" in section
        assert "<th scope=" in section
    for label_for in re.findall(r'<label[^>]* for="([^"]+)"', html):
        assert f'id="{label_for}"' in html
