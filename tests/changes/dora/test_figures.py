"""The DORA figures against the hand-computed month of conftest.py, on both SQL paths."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from changes.dora import ELITE, HIGH, LOW, MEDIUM, dora_report, frequency_band, percentile
from tests.changes.deployments.factories import deploy
from tests.changes.dora.conftest import END, START, H
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def figures_of(figures):
    return {
        "changes": figures.changes,
        "deployments": figures.deployments,
        "failed": figures.failed,
        "lead": figures.lead_time_median,
        "lead_count": figures.lead_time_count,
        "restore": figures.restore_median,
        "restore_count": figures.restore_count,
    }


ALPHA = {
    "changes": 6,
    "deployments": 5,
    "failed": 5,
    "lead": 4 * 3600.0,
    "lead_count": 3,
    "restore": 3600.0,
    "restore_count": 5,
}
BETA = {
    "changes": 28,
    "deployments": 28,
    "failed": 0,
    "lead": 3600.0,
    "lead_count": 28,
    "restore": None,
    "restore_count": 0,
}
ALL = {
    "changes": 34,
    "deployments": 33,
    "failed": 5,
    "lead": 3600.0,
    "lead_count": 31,
    "restore": 3600.0,
    "restore_count": 5,
}


def check_month(report, month):
    assert figures_of(report.overall) == ALL
    by_service = {row.name: row for row in report.services}
    assert figures_of(by_service["Alpha"].figures) == ALPHA
    assert figures_of(by_service["Beta"].figures) == BETA
    assert by_service["Alpha"].group == "Team A"
    by_team = {row.name: row.figures for row in report.teams}
    assert figures_of(by_team["Team A"]) == ALPHA
    assert figures_of(by_team["Team B"]) == BETA


def test_the_month_as_computed_by_hand(month):
    report = dora_report(start=START, end=END)
    check_month(report, month)
    alpha = next(row.figures for row in report.services if row.name == "Alpha")
    assert alpha.change_failure_rate == pytest.approx(5 / 6)
    assert alpha.per_week == pytest.approx(1.25)
    assert alpha.band == HIGH
    beta = next(row.figures for row in report.services if row.name == "Beta")
    assert beta.per_day == pytest.approx(1.0) and beta.band == ELITE
    assert report.overall.change_failure_rate == pytest.approx(5 / 34)
    assert report.window_hours == 24 and report.environments == ("production",)


@pytest.mark.postgres
def test_postgres_aggregates_and_the_portable_path_agree(month):
    check_month(dora_report(start=START, end=END), month)
    check_month(dora_report(start=START, end=END, portable=True), month)


def test_one_service_or_one_team(month):
    report = dora_report(start=START, end=END, service_id=month.a.pk)
    assert figures_of(report.overall) == ALPHA
    assert [row.name for row in report.services] == ["Alpha"]
    report = dora_report(start=START, end=END, group_id=month.team_b.pk)
    assert figures_of(report.overall) == BETA
    assert [row.name for row in report.teams] == ["Team B"]


def test_a_longer_window_blames_the_incident_two_days_later(month, settings):
    settings.DORA_FAILURE_WINDOW_HOURS = 72
    alpha = dora_report(start=START, end=END, service_id=month.a.pk).overall
    assert alpha.failed == 6  # d3 too: i3 started 48 h after it
    assert alpha.restore_count == 6


def test_other_environments_count_when_configured(month, settings):
    settings.DORA_ENVIRONMENTS = ["Production", "staging"]
    alpha = dora_report(start=START, end=END, service_id=month.a.pk).overall
    assert (alpha.changes, alpha.deployments, alpha.lead_time_count) == (7, 6, 4)
    # The staging deployment (Mar 4) came after i2 and i5: they stay d2's.
    assert alpha.failed == 5


def test_an_empty_period(db):
    report = dora_report(start=START, end=END)
    assert figures_of(report.overall) == {
        "changes": 0,
        "deployments": 0,
        "failed": 0,
        "lead": None,
        "lead_count": 0,
        "restore": None,
        "restore_count": 0,
    }
    assert report.overall.change_failure_rate is None
    assert report.overall.band == LOW
    assert report.services == [] and report.teams == []


def test_queries_do_not_grow_with_services(month):
    with CaptureQueriesContext(connection) as few:
        dora_report(start=START, end=END)
    for n in range(5):
        service = ServiceFactory(name=f"More {n}")
        deploy(month.ci, service, START + (n + 1) * H, lead=H)
    with CaptureQueriesContext(connection) as many:
        report = dora_report(start=START, end=END)
    assert len(report.services) == 7
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize(
    ("per_day", "band"),
    [
        (3, ELITE),
        (1, ELITE),
        (0.99, HIGH),
        (1 / 7, HIGH),
        (0.1, MEDIUM),
        (1 / 30, MEDIUM),
        (0.03, LOW),
        (0, LOW),
    ],
)
def test_frequency_bands(per_day, band):
    assert frequency_band(per_day) == band


def test_percentile_interpolates_like_percentile_cont():
    assert percentile([], 0.5) is None
    assert percentile([5.0], 0.5) == 5.0
    assert percentile([1.0, 2.0, 3.0, 10.0], 0.5) == 2.5
