"""The on-call review's surfaces: the API endpoint, the CSV export and the dashboard tile, over
the hand-computed desk of test_oncall_review.py; who may see them; bad input."""

import csv
import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from core.api.tokens import api_token_create
from tests.reporting.test_oncall_review import desk  # noqa: F401 — the fixture

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2026-03-02", "end": "2026-03-31"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def token_client(user, scopes=("read",)):
    client = APIClient()
    secret = api_token_create(user=user, name="review", scopes=list(scopes)).secret
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_the_api_answers_the_hand_computed_review(desk, manager):  # noqa: F811
    response = token_client(manager).get(reverse("reports-oncall-review"), PERIOD)

    assert response.status_code == 200
    body = response.json()
    assert body["filter"]["start"].startswith("2026-03-02T00:00:00")
    report = body["report"]
    assert report["week_zone"] == "Europe/Berlin"
    assert (report["pages"], report["exhausted"]) == (5, 1)
    assert report["acknowledged"] == {
        "count": 4,
        "median": pytest.approx(360),
        "p90": pytest.approx(1440),
    }
    assert report["interruptions"] == {"business": 2, "off_hours": 3, "sleep": 1, "total": 6}
    assert [(t["name"], t["pages"]) for t in report["teams"]] == [("Team A", 3), ("Team B", 2)]
    bob = report["people"][1]
    assert (bob["name"], bob["time_zone"], bob["pages"]) == ("Bob B", "America/New_York", 2)
    assert [(w["week"], w["week_start"], w["pages"]) for w in bob["weeks"]] == [
        ("2026-W10", "2026-03-02", 1),
        ("2026-W11", "2026-03-09", 1),
    ]


def test_the_api_narrows_to_a_group(desk, manager):  # noqa: F811
    params = {**PERIOD, "group": desk["b"].pk}
    report = token_client(manager).get(reverse("reports-oncall-review"), params).json()["report"]
    assert report["pages"] == 2
    assert report["group"] == desk["b"].pk


def test_managers_and_admins_only(manager, admin_user, agent_l1, end_user):
    url = reverse("reports-oncall-review")
    assert APIClient().get(url).status_code == 401
    assert token_client(end_user).get(url).status_code == 403
    assert token_client(agent_l1).get(url).status_code == 403
    assert token_client(manager, scopes=("alerts",)).get(url).status_code == 403
    assert token_client(manager).get(url).status_code == 200
    assert token_client(admin_user).get(url).status_code == 200


def test_bad_parameters_are_a_400_and_nothing_is_computed(manager):
    client = token_client(manager)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(
            reverse("reports-oncall-review"), {"start": "soon", "group": "999999"}
        )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"start", "group"}
    assert not any("oncall_page" in q["sql"] for q in captured.captured_queries)


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_csv_has_a_row_per_team_week_and_person_week(desk, manager, client_for):  # noqa: F811
    response = token_client(manager).get(reverse("reporting:oncall_review_csv"), PERIOD)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="oncall-review-2026-03-02-to-2026-04-01.csv"'
    )
    header, *rows = csv_rows(response)
    assert header[:7] == ["scope", "id", "name", "time_zone", "week", "week_start", "pages"]
    table = [dict(zip(header, row, strict=True)) for row in rows]
    team_b = [r for r in table if r["scope"] == "team" and r["name"] == "Team B"]
    assert [(r["week"], r["pages"], r["ack_median_seconds"]) for r in team_b] == [
        ("", "2", "930"),
        ("2026-W11", "1", "60"),
        ("2026-W13", "1", "1800"),
    ]
    alice = [r for r in table if r["scope"] == "person" and r["name"] == "Alice A"]
    assert [
        (
            r["week"],
            r["pages"],
            r["interruptions_business"],
            r["interruptions_off_hours"],
            r["interruptions_sleep"],
        )
        for r in alice
    ] == [
        ("", "4", "1", "2", "1"),
        ("2026-W10", "3", "1", "1", "1"),
        ("2026-W13", "1", "0", "1", "0"),
    ]
    assert len(table) == 2 + 3 + 3 + 3  # Team A (period + 1 week), B, alice, bob
    assert (
        client_for(manager).get(reverse("reporting:oncall_review_csv"), PERIOD).status_code == 200
    )


def test_the_csv_refuses_others_and_bad_input(manager, agent_l1, client_for):
    url = reverse("reporting:oncall_review_csv")
    assert client_for(agent_l1).get(url).status_code == 403
    assert APIClient().get(url).status_code == 401
    response = token_client(manager).get(url, {"end": "2020-13-45"})
    assert response.status_code == 400
    assert "end" in response.json()["error"]["fields"]


def test_an_empty_csv_is_its_header(manager):
    response = token_client(manager).get(reverse("reporting:oncall_review_csv"), PERIOD)
    assert len(csv_rows(response)) == 1


def test_the_dashboard_tile(desk, manager, client_for):  # noqa: F811
    params = {"period": "custom", **PERIOD}
    response = client_for(manager).get(reverse("reporting:dashboard_tile", args=["oncall"]), params)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="stat-pages" data-value="5"' in html
    assert 'id="stat-page-ack" data-value="360.0"' in html
    assert "2 business hours, 3 off hours, 1 sleep hours" in html
    assert html.index("Alice A") < html.index("Bob B")
    assert reverse("reporting:oncall_review_csv") + "?start=2026-03-02" in html


def test_the_dashboard_tile_of_an_empty_period(manager, client_for):
    response = client_for(manager).get(reverse("reporting:dashboard_tile", args=["oncall"]))
    assert response.status_code == 200
    assert "No page started in this period." in response.content.decode()


def test_the_dashboard_tile_is_for_managers(agent_l1, client_for):
    response = client_for(agent_l1).get(reverse("reporting:dashboard_tile", args=["oncall"]))
    assert response.status_code == 403
