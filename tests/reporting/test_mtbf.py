"""MTBF with overlapping, touching and clipped outages, an outage still open, and services
with no failure. Incidents are stored directly (the lifecycle does not matter here, only the
identified and resolved instants). Period: 2026-03-01 .. 2026-03-10 = 10 days = 864000 s."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from core.exceptions import ValidationFailed
from core.models import ConfigurationItem
from incidents.choices import Impact, IncidentStatus
from reporting.filters import ReportFilter
from reporting.metrics.mtbf import NO_FAILURE, mtbf
from tests.factories import ConfigurationItemFactory, IncidentFactory, ServiceFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 12, tzinfo=UTC)
PERIOD = 864000.0
HOUR = 3600.0


def at(day: int, hour: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def outage(service, start, end, *, ci=None, impact=Impact.HIGH, status=None):
    return IncidentFactory(
        service=service,
        configuration_item=ci,
        impact=impact,
        identified_at=start,
        resolved_at=end,
        status=status or (IncidentStatus.RESOLVED if end else IncidentStatus.DIAGNOSED),
    )


@pytest.fixture
def world(l1_group):
    mail = ServiceFactory(name="Mail", owner_group=l1_group)
    vpn = ServiceFactory(name="VPN", owner_group=l1_group)
    web = ServiceFactory(name="Web", owner_group=l1_group)
    relay = ConfigurationItemFactory(service=mail, name="relay")
    store = ConfigurationItemFactory(service=mail, name="store")
    # Mail: 10:00-12:00 and 11:00-13:00 overlap -> one outage of 3 h
    outage(mail, at(2, 10), at(2, 12), ci=relay)
    outage(mail, at(2, 11), at(2, 13), ci=store)
    # 00:00-01:00 and 01:00-02:00 touch -> one outage of 2 h
    outage(mail, at(5, 0), at(5, 1))
    outage(mail, at(5, 1), at(5, 2))
    # began before the period: only its hour inside counts
    outage(mail, at(28, 23, month=2), at(1, 1))
    # not outages: low impact, cancelled, ended before the period
    outage(mail, at(6, 0), at(6, 5), impact=Impact.LOW)
    outage(vpn, at(6, 0), None, status=IncidentStatus.CANCELLED)
    outage(vpn, at(20, 0, month=2), at(21, 0, month=2))
    # Web: down since 03-10 00:00 and still down: clipped at the period end
    outage(web, at(10, 0), None)
    return {"mail": mail, "vpn": vpn, "web": web, "relay": relay, "store": store}


def period(**dims):
    return replace(
        ReportFilter.from_params({"start": "2026-03-01", "end": "2026-03-10"}, now=NOW), **dims
    )


def test_overlapping_outages_merge_and_services_without_failure(world):
    report = mtbf(period(), now=NOW)
    rows = {row.name: row for row in report.services}
    assert report.period_seconds == PERIOD
    mail = rows["Mail"]
    # 3 h merged + 2 h merged; the outage carried in from February adds its hour in the
    # period to the downtime but is not a failure of this period
    assert mail.failures == 2
    assert mail.outage_seconds == pytest.approx(6 * HOUR)
    assert mail.mtbf_seconds == pytest.approx((PERIOD - 6 * HOUR) / 2)
    assert rows["VPN"].failures == 0
    assert rows["VPN"].mtbf_seconds is None
    assert rows["VPN"].note == NO_FAILURE
    assert rows["Web"].failures == 1
    assert rows["Web"].mtbf_seconds == pytest.approx(PERIOD - 24 * HOUR)


def test_per_configuration_item(world):
    rows = {row.name: row for row in mtbf(period(), now=NOW).cis}
    assert set(rows) == {"relay", "store"}  # only CIs with failures when no service is chosen
    assert rows["relay"].outage_seconds == pytest.approx(2 * HOUR)
    assert rows["store"].mtbf_seconds == pytest.approx(PERIOD - 2 * HOUR)
    unused = ConfigurationItemFactory(service=world["mail"], name="spare")
    rows = {row.name: row for row in mtbf(period(service_id=world["mail"].pk), now=NOW).cis}
    assert rows["spare"].note == NO_FAILURE
    assert ConfigurationItem.objects.filter(pk=unused.pk).exists()


def test_ci_filter_narrows_the_outages(world):
    report = mtbf(period(ci_id=world["relay"].pk), now=NOW)
    assert [(row.name, row.failures) for row in report.services] == [("Mail", 1)]
    assert [(row.name, row.outage_seconds) for row in report.cis] == [("relay", 2 * HOUR)]


def test_open_outage_stops_at_now_when_the_period_is_not_over(world):
    report = mtbf(period(), now=at(10, 6))
    web = {row.name: row for row in report.services}["Web"]
    assert report.period_seconds == pytest.approx(9 * 86400 + 6 * HOUR)
    assert web.outage_seconds == pytest.approx(6 * HOUR)


def test_outage_impacts_are_configurable(world, settings):
    settings.REPORTING_OUTAGE_IMPACTS = ["high", "low"]
    mail = {row.name: row for row in mtbf(period(), now=NOW).services}["Mail"]
    assert mail.failures == 3  # the low-impact one too (the carried-in one still not)
    assert mail.outage_seconds == pytest.approx(11 * HOUR)


def test_no_failures_anywhere_never_divides_by_zero(l1_group):
    ServiceFactory(name="Quiet", owner_group=l1_group)
    report = mtbf(period(), now=NOW)
    assert [(row.name, row.mtbf_seconds, row.note) for row in report.services] == [
        ("Quiet", None, NO_FAILURE)
    ]
    assert report.cis == []


def test_mtbf_is_for_incidents_only(world):
    with pytest.raises(ValidationFailed) as refused:
        mtbf(period(kind="request"), now=NOW)
    assert "kind" in refused.value.errors


def test_a_misconfigured_outage_impact_is_an_error_not_silence(world, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.REPORTING_OUTAGE_IMPACTS = ["hihg"]
    with pytest.raises(ImproperlyConfigured, match="hihg"):
        mtbf(period(), now=NOW)
