"""PostgreSQL computes percentiles with percentile_cont; SQLite (and `portable=True`) with two
ORDER BY ... OFFSET reads. On PostgreSQL both paths run over the same fixtures and must give the
hand-computed numbers of conftest.py, and each other's numbers over irregular data."""

from datetime import timedelta

import pytest

from reporting.metrics.durations import mtta, mttr
from reporting.sql import duration_stats, is_postgres
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

WALL = {"count": 4, "mean": 102600, "median": 81000, "p90": 192240}
BUSINESS = {"count": 4, "mean": 21600, "median": 19800, "p90": 32760}


def as_dict(stats):
    return {
        "count": stats.count,
        "mean": pytest.approx(stats.mean, abs=0.01),
        "median": pytest.approx(stats.median, abs=0.01),
        "p90": pytest.approx(stats.p90, abs=0.01),
    }


@pytest.mark.postgres
def test_postgres_percentile_cont_and_the_sqlite_query_agree_on_the_hand_computed_desk(desk):
    assert is_postgres()
    native, portable = mttr(desk.report), mttr(desk.report, portable=True)
    assert as_dict(native.wall) == WALL == as_dict(portable.wall)
    assert as_dict(native.business) == BUSINESS == as_dict(portable.business)
    assert mtta(desk.report) == mtta(desk.report, portable=True)


@pytest.mark.postgres
def test_both_percentile_paths_agree_on_irregular_data(end_user):
    from incidents.models import Incident

    base = IncidentFactory.build().identified_at
    for i, minutes in enumerate([7, 7, 13, 250, 1, 99, 42, 42, 3600, 5, 61]):
        IncidentFactory(
            requester=end_user,
            identified_at=base + timedelta(minutes=i),
            logged_at=base + timedelta(minutes=i + minutes),
        )
    sql = "SELECT EXTRACT(EPOCH FROM (logged_at - identified_at)) AS w FROM incidents_incident"
    assert Incident.objects.count() == 11
    native = duration_stats(sql, (), ["w"])["w"]
    portable = duration_stats(sql, (), ["w"], portable=True)["w"]
    assert as_dict(native) == as_dict(portable)
    assert native.median == 42 * 60


def test_this_database_gives_the_hand_computed_numbers(desk):
    report = mttr(desk.report)
    assert as_dict(report.wall) == WALL
    assert as_dict(report.business) == BUSINESS


def test_report_work_mem_setting_is_checked(settings):
    from django.core.exceptions import ImproperlyConfigured

    from reporting.sql import report_work_mem

    settings.REPORTING_WORK_MEM = "32MB"
    assert report_work_mem() == "32MB"
    settings.REPORTING_WORK_MEM = "32MB'; DROP TABLE x; --"
    with pytest.raises(ImproperlyConfigured):
        report_work_mem()


@pytest.mark.postgres
def test_reports_run_with_their_own_work_mem(settings):
    from django.db import connection

    from reporting.sql import tuned

    settings.REPORTING_WORK_MEM = "48MB"

    @tuned
    def show() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW work_mem")
            return str(cursor.fetchone()[0])

    assert show() == "48MB"
