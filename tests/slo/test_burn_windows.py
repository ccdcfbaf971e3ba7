"""Budgets and burn-rate windows read from the database, against hand-computed examples.

Availability, 99.9 % over 28 days (allowed 2419.2 s) on Mail, NOW = 2026-03-10 12:00 UTC:
  A  high impact, down 10:00 - 10:30 (1800 s)
  B  high impact, down 10:20 - 10:40, overlapping A: merged island 10:00 - 10:40 = 2400 s
  C  high impact, down since 11:57, still down: 180 s
  a low-impact incident and another service's outage do not count.
Downtime per window: 5m, 30m, 1h: 180 s; 2h and longer: 2580 s.

Response, 90 % of P1/P2 acknowledged within 5 min over 7 days, on Mail:
  I1 P1 identified NOW-1d,   logged +3 min     good, decided NOW-1d+5m
  I2 P2 identified NOW-2d,   logged +10 min    bad
  I3 P1 identified NOW-9min, never logged      bad, decided NOW-4min
  I4 P1 identified NOW-2min, never logged      undecided: not counted yet
  I5 P3 identified NOW-1h, never logged        not in the objective's priorities
  I6 P1 cancelled, never logged                not counted
  I7 P1 identified NOW-8d,  never logged       before the window
"""

from datetime import timedelta

import pytest

from incidents.choices import IncidentStatus
from slo.queries import downtime_by_service, response_counts, service_islands
from slo.selectors import budget_history, objective_statuses
from tests.factories import ServiceFactory
from tests.slo.conftest import NOW, ago, availability, incident, outage, response

pytestmark = pytest.mark.django_db


@pytest.fixture
def outages(mail_service):
    outage(mail_service, ago(hours=2), ago(hours=1, minutes=30))
    outage(mail_service, ago(hours=1, minutes=40), ago(hours=1, minutes=20))
    outage(mail_service, ago(minutes=3), None)
    incident(mail_service, priority=4, identified=ago(hours=5), logged=None)
    outage(ServiceFactory(name="Other"), ago(hours=1), None)
    return mail_service


@pytest.fixture
def responses(mail_service):
    incident(
        mail_service, priority=1, identified=ago(days=1), logged=ago(days=1) + timedelta(minutes=3)
    )
    incident(
        mail_service, priority=2, identified=ago(days=2), logged=ago(days=2) + timedelta(minutes=10)
    )
    incident(mail_service, priority=1, identified=ago(minutes=9), logged=None)
    incident(mail_service, priority=1, identified=ago(minutes=2), logged=None)
    incident(mail_service, priority=3, identified=ago(hours=1), logged=None)
    incident(
        mail_service,
        priority=1,
        identified=ago(hours=3),
        logged=None,
        status=IncidentStatus.CANCELLED,
    )
    incident(mail_service, priority=1, identified=ago(days=8), logged=None)
    return mail_service


def test_downtime_per_window_merges_overlapping_outages(outages):
    windows = [timedelta(minutes=5), timedelta(hours=1), timedelta(hours=2), timedelta(days=28)]
    assert downtime_by_service([outages.pk], windows, NOW) == {
        outages.pk: pytest.approx([180.0, 180.0, 2580.0, 2580.0], abs=0.01)
    }
    islands = service_islands(outages.pk, NOW - timedelta(days=1), NOW)
    assert [e - s for s, e in islands] == pytest.approx([2400.0, 180.0], abs=0.01)


def test_availability_status(outages, slo_manager):
    (status,) = objective_statuses([availability(outages, slo_manager)], now=NOW)
    assert status.budget.allowed == pytest.approx(2419.2)
    assert status.budget.used == pytest.approx(2580.0, abs=0.01)
    assert status.budget.is_exhausted
    assert status.budget.remaining_fraction == pytest.approx(1 - 2580 / 2419.2, abs=1e-5)
    expected = {
        "5m": 180 / 300 / 0.001,  # 600
        "30m": 180 / 1800 / 0.001,  # 100
        "1h": 180 / 3600 / 0.001,  # 50
        "2h": 2580 / 7200 / 0.001,  # 358.3
        "6h": 2580 / 21600 / 0.001,  # 119.4
        "1d": 2580 / 86400 / 0.001,  # 29.9
        "3d": 2580 / 259200 / 0.001,  # 9.95
    }
    assert status.burns == pytest.approx(expected, rel=1e-5)
    assert len(status.holding) == 4
    assert status.status == "exhausted"


def test_an_hour_later_only_the_long_windows_still_burn(outages, slo_manager):
    # At NOW + 1h the outage C has gone on for 63 minutes; stop it: restore it at NOW.
    from incidents.models import Incident

    Incident.objects.filter(service_restored_at__isnull=True, service=outages).update(
        status=IncidentStatus.RESOLVED, service_restored_at=NOW, resolved_at=NOW
    )
    objective = availability(outages, slo_manager, target="99", days=28)
    (status,) = objective_statuses([objective], now=NOW + timedelta(hours=1))
    # 1h window [NOW, NOW+1h): nothing; 6h: 2580 s -> 2580/21600/0.01 = 11.94; 30m: 0.
    assert status.burns["1h"] == 0.0 and status.burns["5m"] == 0.0
    assert status.burns["6h"] == pytest.approx(11.9444, abs=1e-3)
    assert status.burns["2h"] == pytest.approx(180 / 7200 / 0.01, abs=1e-3)
    # 1d: 2580/86400/0.01 = 2.99 (< 3); 3d: 0.995 (< 1): nothing holds.
    assert status.holding == []
    assert status.status == "healthy"


def test_response_counts_and_budget(responses, slo_manager):
    objective = response(responses, slo_manager)
    counts = response_counts([objective], [timedelta(minutes=5), timedelta(days=1)], NOW)
    # 5m: I3; 1d: I1 (decided NOW-1d+5min) and I3; 7 days: I1, I2, I3 (2 bad)
    assert counts == {objective.pk: [(1, 1), (2, 1), (3, 2)]}
    (status,) = objective_statuses([objective], now=NOW)
    assert status.budget.allowed == pytest.approx(0.3)
    assert status.budget.used == 2.0
    assert status.budget.is_exhausted
    assert status.burns["5m"] == pytest.approx(10.0)  # 1/1 / 0.1
    assert status.burns["1d"] == pytest.approx(5.0)  # 1/2 / 0.1
    assert status.burns["3d"] == pytest.approx(6.6667, abs=1e-4)  # 2/3 / 0.1


def test_an_acknowledgement_at_the_threshold_is_in_time(mail_service, slo_manager):
    incident(mail_service, priority=1, identified=ago(hours=1), logged=ago(minutes=55))
    (status,) = objective_statuses([response(mail_service, slo_manager)], now=NOW)
    assert (status.budget.total, status.budget.used) == (1, 0.0)


def test_statuses_take_two_queries_for_any_number_of_objectives(
    outages, responses, slo_manager, django_assert_num_queries
):
    few = [availability(outages, slo_manager), response(outages, slo_manager)]
    with django_assert_num_queries(2):
        objective_statuses(few, now=NOW)
    others = [ServiceFactory(name=f"S{n}") for n in range(10)]
    many = few + [availability(s, slo_manager) for s in others]
    many += [response(s, slo_manager) for s in others]
    with django_assert_num_queries(2):
        statuses = objective_statuses(many, now=NOW)
    assert len(statuses) == 22
    assert all(s.status == "healthy" for s in statuses[2:])


def test_budget_history_one_point_per_day(outages, slo_manager):
    objective = availability(outages, slo_manager, target="99", days=3)
    points = budget_history(objective, now=NOW)
    assert len(points) == 4
    assert points[-1].at == NOW
    # allowed 0.01 x 3 days = 2592 s; 2580 s used now: 12/2592 left; none before today.
    assert [p.remaining for p in points] == pytest.approx([1.0, 1.0, 1.0, 12 / 2592], abs=1e-5)


def test_response_history(responses, slo_manager):
    objective = response(responses, slo_manager, days=3)
    points = budget_history(objective, now=NOW)
    # Now: I1 (good), I2 (bad), I3 (bad): allowed 0.3, used 2 -> 1 - 2/0.3 = -5.667.
    assert points[-1].remaining == pytest.approx(1 - 2 / 0.3)
    # Three days ago the window [NOW-6d, NOW-3d) held nothing.
    assert points[0].remaining == 1.0
