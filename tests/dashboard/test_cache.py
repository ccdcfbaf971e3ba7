"""The tile cache: a repeated view is served from the cache, any ticket change (a timeline
event) shows at once, the viewer's own "now" tile is never cached, and a broken cache only
means computing."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import services
from incidents.choices import IncidentStatus, ResolutionCode
from incidents.models import Incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def tile_cache(settings) -> None:
    settings.DASHBOARD_CACHE_SECONDS = 60


def get(client, name: str, query: str = "period=30") -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("reporting:dashboard_tile", args=[name]) + f"?{query}")
    assert response.status_code == 200
    return response.content.decode(), len(queries.captured_queries)


def stat(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}" data-value="([^"]*)"', html)
    assert match
    return match.group(1)


def test_a_repeated_view_is_served_from_the_cache(tile_cache, manager_client, seeder) -> None:
    seeder.desk(6)
    first, computed = get(manager_client, "durations")
    again, cached = get(manager_client, "durations")
    assert again == first
    assert cached < computed
    assert "as of" in again


def test_other_filters_are_other_entries(tile_cache, manager_client, seeder) -> None:
    seeder.desk(6)
    all_html, _ = get(manager_client, "backlog")
    p1_html, _ = get(manager_client, "backlog", "period=30&priority=1")
    assert stat(all_html, "stat-backlog-open") == "2"
    assert stat(p1_html, "stat-backlog-open") == "0"


def test_a_ticket_change_shows_at_once(tile_cache, manager_client, seeder, agent_l1) -> None:
    seeder.desk(6)
    before, _ = get(manager_client, "backlog")
    incident = Incident.objects.filter(status=IncidentStatus.CLASSIFIED).first()
    assert incident is not None
    services.incident_resolve(
        incident,
        actor=agent_l1,
        resolution_code=ResolutionCode.FIXED,
        resolution_notes="Restarted the relay.",
    )
    after, _ = get(manager_client, "backlog")
    assert int(stat(after, "stat-backlog-open")) == int(stat(before, "stat-backlog-open")) - 1


def test_the_now_tile_is_never_cached(tile_cache, manager_client, seeder) -> None:
    seeder.open(state="breached")
    before, _ = get(manager_client, "now")
    seeder.open(state="breached")  # stored directly: no timeline event
    after, _ = get(manager_client, "now")
    assert stat(before, "stat-now-breached") == "1"
    assert stat(after, "stat-now-breached") == "2"


def test_a_broken_cache_means_computing(tile_cache, manager_client, seeder, monkeypatch) -> None:
    seeder.desk(3)

    def down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("redis is down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    html, _ = get(manager_client, "volume")
    assert stat(html, "stat-volume-created") == "3"


def test_viewers_in_two_time_zones_never_share_a_cached_tile() -> None:
    from django.utils import timezone

    from reporting.dashboard_cache import tile_key
    from reporting.filters import ReportFilter

    now = timezone.now()
    report = ReportFilter.from_params({"period": "30d"}, now=now)
    with timezone.override("UTC"):
        in_utc = tile_key("volume", report, now=now, seconds=60)
    with timezone.override("Australia/Sydney"):
        in_sydney = tile_key("volume", report, now=now, seconds=60)
    assert in_utc != in_sydney  # the same instants, cut into different days
