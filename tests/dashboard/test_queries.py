"""No N+1 anywhere on the dashboard: the page, every tile and every CSV run the same number of
queries for 1 ticket as for 50 (the 50 fill every list: breached, at risk, per agent)."""

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reporting.dashboard_tiles import CSV_EXPORTS, TILES
from tests.dashboard.conftest import Seeder

pytestmark = pytest.mark.django_db

# The whole dashboard in one response (load=all): the sum of the tiles plus the page's own
# (session, user, roles, the filter form's two option lists, subscriptions). A budget, so a new
# query per tile is a decision, not an accident.
MAX_QUERIES_ALL = 60
MAX_QUERIES_SHELL = 12


def count(client: Client, url: str, *, streaming: bool = False) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(queries.captured_queries)


def one_then_fifty(seeder: Seeder, measure: Callable[[], int]) -> tuple[int, int]:
    # One resolved ticket: every metric has a value (SQLite's percentile path runs its extra
    # queries only for a non-empty set), while the right-now and workload lists are empty.
    seeder.resolved()
    measure()  # warm-up: Django caches content types after their first lookup
    one = measure()
    seeder.desk(49)
    fifty = measure()
    return one, fifty


def test_whole_dashboard_queries_do_not_grow_with_tickets(manager_client, seeder) -> None:
    url = reverse("reporting:dashboard") + "?period=30&load=all"
    one, fifty = one_then_fifty(seeder, lambda: count(manager_client, url))
    assert one == fifty
    assert fifty <= MAX_QUERIES_ALL


def test_page_with_tile_shells_is_cheap(manager_client, seeder) -> None:
    url = reverse("reporting:dashboard") + "?period=30"
    one, fifty = one_then_fifty(seeder, lambda: count(manager_client, url))
    assert one == fifty
    assert fifty <= MAX_QUERIES_SHELL


@pytest.mark.parametrize("name", list(TILES))
def test_each_tile_queries_do_not_grow_with_tickets(manager_client, seeder, name: str) -> None:
    url = reverse("reporting:dashboard_tile", args=[name]) + "?period=30"
    one, fifty = one_then_fifty(seeder, lambda: count(manager_client, url))
    assert one == fifty


@pytest.mark.parametrize("chart", list(CSV_EXPORTS))
def test_each_csv_queries_do_not_grow_with_tickets(manager_client, seeder, chart: str) -> None:
    url = reverse("reporting:dashboard_csv", args=[chart]) + "?period=30"
    one, fifty = one_then_fifty(seeder, lambda: count(manager_client, url, streaming=True))
    assert one == fifty


def test_subscriptions_panel_queries_do_not_grow(manager_client, manager, l1_group) -> None:
    from reporting.services import subscription_create

    url = reverse("reporting:dashboard") + "?period=30"
    subscription_create(user=manager, weekday=0, hour=7, filters={"group": l1_group.pk})
    one = count(manager_client, url)
    for hour in range(8, 20):
        subscription_create(user=manager, weekday=1, hour=hour, filters={"group": l1_group.pk})
    assert count(manager_client, url) == one
