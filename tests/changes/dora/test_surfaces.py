"""The DORA report's surfaces: GET /api/v1/reports/dora/, the page /manager/dora/ and the CSV
/reports/dora.csv. Managers and admins only, like every report; bad parameters are a 400."""

import csv
import io

import pytest
from rest_framework.test import APIClient

from core.api.tokens import api_token_create

pytestmark = pytest.mark.django_db
API = "/api/v1/reports/dora/"
PAGE = "/manager/dora/"
CSV = "/reports/dora.csv"
MARCH = {"since": "2026-03-01", "until": "2026-03-28"}


def token_client(user, scopes=("read",)):
    client = APIClient()
    secret = api_token_create(user=user, name="t", scopes=list(scopes)).secret
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_the_api_answers_the_month(month, manager):
    response = token_client(manager).get(API, MARCH)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["since"].startswith("2026-03-01") and data["until"].startswith("2026-03-29")
    overall = data["overall"]
    assert overall["changes"] == 34 and overall["failed_changes"] == 5
    assert overall["deployments"] == 33
    assert overall["lead_time_median_seconds"] == 3600
    assert overall["time_to_restore_median_seconds"] == 3600
    assert overall["change_failure_rate"] == pytest.approx(5 / 34)
    services = {row["name"]: row["figures"] for row in data["services"]}
    assert services["Beta"]["deployment_frequency_band"] == "elite"
    assert services["Alpha"]["deployments_per_week"] == pytest.approx(1.25)
    assert [team["name"] for team in data["teams"]] == ["Team A", "Team B"]


def test_the_api_narrows_to_a_team(month, manager):
    data = token_client(manager).get(API, {**MARCH, "group": month.team_a.pk}).json()
    assert data["overall"]["changes"] == 6
    assert [row["name"] for row in data["services"]] == ["Alpha"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "March"}, "since"),
        ({"since": "2026-03-10", "until": "2026-03-01"}, "since"),
        ({"service": "999999"}, "service"),
        ({"group": "x"}, "group"),
    ],
)
def test_bad_parameters_are_a_400_in_our_names(manager, params, field):
    response = token_client(manager).get(API, params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_agents_and_end_users_are_refused(agent_l1, end_user):
    assert token_client(agent_l1).get(API).status_code == 403
    assert token_client(end_user).get(API).status_code == 403


def test_the_page_shows_the_figures_to_managers(month, client_for, manager):
    response = client_for(manager).get(PAGE, MARCH)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Alpha" in html and "Team B" in html and "83.3" in html  # Alpha's 5 of 6
    assert "/reports/dora.csv?" in html


def test_the_page_refuses_agents(client_for, agent_l1):
    assert client_for(agent_l1).get(PAGE).status_code == 403


def test_the_page_explains_bad_parameters(client_for, manager):
    response = client_for(manager).get(PAGE, {"since": "2026-03-10", "until": "2026-03-01"})
    assert response.status_code == 400
    assert "The start must be before the end." in response.content.decode()


def test_the_csv_has_a_row_per_scope(month, client_for, manager):
    response = client_for(manager).get(CSV, MARCH)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "dora-2026-03-01-2026-03-29.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(row["scope"], row["name"]) for row in rows] == [
        ("all", "All services"),
        ("team", "Team A"),
        ("team", "Team B"),
        ("service", "Alpha"),
        ("service", "Beta"),
    ]
    alpha = rows[3]
    assert (alpha["changes"], alpha["failed_changes"], alpha["frequency_band"]) == (
        "6",
        "5",
        "high",
    )
    assert alpha["lead_time_median_seconds"] == "14400"
    assert alpha["team"] == "Team A"


def test_the_csv_takes_a_read_token_of_a_manager_and_refuses_others(month, manager, agent_l1):
    assert token_client(manager).get(CSV, MARCH).status_code == 200
    assert token_client(agent_l1).get(CSV, MARCH).status_code == 403
    assert APIClient().get(CSV).status_code == 401
    assert token_client(manager).get(CSV, {"since": "nope"}).status_code == 400
