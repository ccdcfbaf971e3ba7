"""MTBF as docs/reporting.md defines it, on a hand-made timeline driven through the services.

Period: T = Mon 2026-04-06 00:00 UTC to T + 10 days = 864000 s (now: T + 12 days). Every
incident is of high impact (an outage). Hours below are after T.

Mail
  I1  reported 10, service restored at 11 (recorded by an agent at 11:30), resolved 12:
      down 10-11 = 1 h (not the 2 h to the resolution): 1 failure.
  I2  reported 34, resolved 36 (restored then, the default), reopened 38, resolved 39:
      down 34-36 and 38-39 = 3 h; the 2 h it sat resolved are uptime; the reopen is a new
      failure: 2 failures.
  I3  reported T - 2 h, resolved 2: began before the period: 2 h of downtime in it, no
      failure of this period.
  -> 3 failures, 6 h down: MTBF = (864000 - 21600) / 3 = 280800 s.
VPN
  I4  reported at T sharp, never resolved: 1 failure, down for the whole period: no MTBF
      ("down for the whole period"), never "0 with 1 failure".
Web
  I5  reported T - 1 day, never resolved: no failure of the period, down for all of it.
Print
  no incident: "no failure in period".
"""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from core.api.tokens import api_token_create
from incidents import services
from incidents.choices import Category, Impact, ResolutionCode, Urgency
from incidents.models import Incident
from incidents.restoration import incident_record_service_restored
from reporting.filters import ReportFilter
from reporting.metrics.mtbf import DOWN_WHOLE_PERIOD, NO_FAILURE, mtbf
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

T = datetime(2026, 4, 6, tzinfo=UTC)
NOW = T + timedelta(days=12)
PERIOD = 864000.0
HOUR = 3600.0


def at(hours: float) -> datetime:
    return T + timedelta(hours=hours)


class Outages:
    def __init__(self, requester, agent) -> None:
        self.requester, self.agent = requester, agent

    def report(self, service, hour: float) -> Incident:
        with time_machine.travel(at(hour), tick=False):
            incident = services.incident_create(
                requester=self.requester,
                title=f"{service.name} is down",
                impact=Impact.HIGH,
                urgency=Urgency.HIGH,
                service=service,
            )
            incident = services.incident_accept(incident, actor=self.agent)
            return services.incident_classify(
                incident,
                actor=self.agent,
                category=Category.NETWORK,
                impact=Impact.HIGH,
                urgency=Urgency.HIGH,
                service=service,
            )

    def resolve(self, incident: Incident, hour: float) -> Incident:
        with time_machine.travel(at(hour), tick=False):
            return services.incident_resolve(
                incident,
                actor=self.agent,
                resolution_code=ResolutionCode.FIXED,
                resolution_notes="Back.",
            )

    def reopen(self, incident: Incident, hour: float) -> Incident:
        with time_machine.travel(at(hour), tick=False):
            return services.incident_reopen(incident, actor=self.agent, reason="Down again.")


@pytest.fixture
def outages(end_user, agent_l1, l1_group, tiers) -> dict[str, object]:
    mail = ServiceFactory(name="Mail", owner_group=l1_group)
    vpn = ServiceFactory(name="VPN", owner_group=l1_group)
    web = ServiceFactory(name="Web", owner_group=l1_group)
    ServiceFactory(name="Print", owner_group=l1_group)
    line = Outages(end_user, agent_l1)
    web_down = line.report(web, -24)
    carried = line.resolve(line.report(mail, -2), 2)
    vpn_down = line.report(vpn, 0)
    first = line.report(mail, 10)
    with time_machine.travel(at(11.5), tick=False):
        first = incident_record_service_restored(first, actor=agent_l1, service_restored_at=at(11))
    first = line.resolve(first, 12)
    second = line.resolve(line.report(mail, 34), 36)
    second = line.reopen(second, 38)
    second = line.resolve(second, 39)
    return {
        "mail": mail,
        "vpn": vpn,
        "incidents": {"I1": first, "I2": second, "I3": carried, "I4": vpn_down, "I5": web_down},
    }


def period() -> ReportFilter:
    return ReportFilter.from_params(
        {"start": T.isoformat(), "end": (T + timedelta(days=10)).isoformat()}, now=NOW
    )


def test_restore_times_follow_the_agent_and_the_resolution(outages):
    incidents = outages["incidents"]
    assert incidents["I1"].service_restored_at == at(11)  # recorded before the resolution
    assert incidents["I2"].service_restored_at == at(39)  # the last pass's resolution
    assert incidents["I2"].reopen_count == 1


def test_failures_downtime_and_notes(outages):
    report = mtbf(period(), now=NOW)
    assert report.period_seconds == PERIOD
    rows = {row.name: row for row in report.services}
    mail = rows["Mail"]
    assert (mail.failures, mail.outage_seconds) == (3, pytest.approx(6 * HOUR))
    assert mail.mtbf_seconds == pytest.approx((PERIOD - 6 * HOUR) / 3)
    assert mail.note == ""
    vpn = rows["VPN"]
    assert (vpn.failures, vpn.outage_seconds, vpn.mtbf_seconds) == (1, PERIOD, None)
    assert vpn.note == DOWN_WHOLE_PERIOD
    web = rows["Web"]
    assert (web.failures, web.outage_seconds, web.mtbf_seconds) == (0, PERIOD, None)
    assert web.note == DOWN_WHOLE_PERIOD
    assert (rows["Print"].failures, rows["Print"].note) == (0, NO_FAILURE)


def test_a_shorter_period_clips_the_pieces_of_a_reopened_incident(outages):
    # [35, 38.5): I2 down 35-36 (its failure started at 34, before) and 38-38.5 (a reopen at
    # 38 inside the period: a failure of it). 1.5 h down, 1 failure.
    report = ReportFilter.from_params(
        {"start": at(35).isoformat(), "end": at(38.5).isoformat()}, now=NOW
    )
    mail = {row.name: row for row in mtbf(report, now=NOW).services}["Mail"]
    assert (mail.failures, mail.outage_seconds) == (1, pytest.approx(1.5 * HOUR))
    assert mail.mtbf_seconds == pytest.approx(3.5 * HOUR - 1.5 * HOUR)


def test_api_csv_and_tile_say_down_for_the_whole_period(outages, manager, client_for):
    # The same 10 days as dates (the dashboard's days are in TIME_ZONE, UTC here).
    params = {"period": "custom", "start": "2026-04-06", "end": "2026-04-15"}
    secret = api_token_create(user=manager, name="grafana", scopes=["read"]).secret
    with time_machine.travel(NOW, tick=False):
        body = client_for(manager).get(
            reverse("reports-mtbf"), params, HTTP_AUTHORIZATION=f"Bearer {secret}"
        )
        csv_response = client_for(manager).get(
            reverse("reporting:dashboard_csv", args=["mtbf"]), params
        )
        tile = client_for(manager).get(reverse("reporting:dashboard_tile", args=["mtbf"]), params)
    vpn = next(row for row in body.json()["report"]["services"] if row["name"] == "VPN")
    assert (vpn["failures"], vpn["mtbf_seconds"], vpn["note"]) == (1, None, DOWN_WHOLE_PERIOD)
    text = b"".join(csv_response.streaming_content).decode()
    rows = {row["name"]: row for row in csv.DictReader(io.StringIO(text))}
    assert (rows["VPN"]["mtbf_seconds"], rows["VPN"]["note"]) == ("", DOWN_WHOLE_PERIOD)
    assert "'-" not in text and ",-0" not in text
    assert DOWN_WHOLE_PERIOD in tile.content.decode()
