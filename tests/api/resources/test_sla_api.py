"""The SLA API: policies and calendars for agents, the clocks of one ticket for whoever may see
that ticket."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from sla.models import Holiday
from sla.services import clocks_start
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def test_policies_for_agents(agent, reporter, incident_policies, request_policies):
    response = agent.get("/api/v1/sla-policies/?page_size=200")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == 10
    first = rows[0]
    assert (first["ticket_kind"], first["priority"]) == ("incident", 1)
    assert first["response_target_seconds"] == 3600
    assert first["calendar"]["is_24x7"] is True
    assert first["thresholds"] == [{"percent": 75, "action": "notify"}]
    requests = agent.get("/api/v1/sla-policies/?ticket_kind=request&priority=2").json()["results"]
    assert [(r["ticket_kind"], r["priority"]) for r in requests] == [("request", 2)]
    detail = agent.get(f"/api/v1/sla-policies/{first['id']}/")
    assert detail.json()["name"] == "Incidents P1"
    assert agent.get("/api/v1/sla-policies/?priority=9").status_code == 400
    assert reporter.get("/api/v1/sla-policies/").status_code == 403
    assert reporter.get(f"/api/v1/sla-policies/{first['id']}/").status_code == 403


def test_calendars_with_hours_and_holidays(agent, reporter, office_calendar, always_open_calendar):
    Holiday.objects.create(calendar=office_calendar, date=date(2030, 12, 25), name="Christmas")
    rows = agent.get("/api/v1/sla-calendars/").json()["results"]
    assert [r["name"] for r in rows] == ["24x7", "Berlin office"]
    office = rows[1]
    assert office["timezone"] == "Europe/Berlin"
    assert office["hours"][0] == {"weekday": 0, "start": "08:00:00", "end": "18:00:00"}
    assert office["holidays"] == [{"date": "2030-12-25", "name": "Christmas"}]
    assert reporter.get("/api/v1/sla-calendars/").status_code == 403


def test_the_clocks_of_a_ticket(
    client_as, agent, reporter, end_user, other_end_user, incident_policies
):
    started = timezone.now() - timedelta(minutes=30)
    incident = IncidentFactory(requester=end_user, priority=2, identified_at=started)
    clocks_start(incident, kind="incident")
    response = reporter.get(f"/api/v1/sla-clocks/{incident.number}/")
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["ticket"], data["state"]) == (incident.number, "on_track")
    response_clock = data["clocks"][0]
    assert (response_clock["metric"], response_clock["state"]) == ("response", "running")
    assert response_clock["policy_name"] == "Incidents P2"
    assert response_clock["target_seconds"] == 2 * 3600
    assert 89 * 60 <= response_clock["business_seconds_left"] <= 90 * 60
    assert agent.get(f"/api/v1/sla-clocks/{incident.number.lower()}/").status_code == 200
    assert (
        client_as(other_end_user).get(f"/api/v1/sla-clocks/{incident.number}/").status_code == 404
    )
    assert agent.get("/api/v1/sla-clocks/PRB-000001/").status_code == 404
    assert agent.get("/api/v1/sla-clocks/INC-424242/").status_code == 404


def test_request_clocks(agent, end_user, mfa, make_request):
    sr = make_request(mfa, end_user)
    data = agent.get(f"/api/v1/sla-clocks/{sr.number}/").json()
    assert [c["metric"] for c in data["clocks"]] == ["response", "resolution"]
    assert data["clocks"][1]["policy_name"] == "Requests P3"
