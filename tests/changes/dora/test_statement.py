"""The PostgreSQL statement of the DORA figures: its rows reach the ROLLUP in team and service
order without a sort, and teams whose services interleave by id get the same figures as the
portable path gives."""

import json
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from changes.dora import dora_report
from changes.dora_sql import DoraQuery, dora_statement
from changes.models import ChangeIncident
from core.choices import Role
from tests.changes.deployments.factories import deploy
from tests.changes.dora.conftest import END, START, H, at, incident
from tests.changes.dora.test_figures import figures_of
from tests.factories import ServiceFactory, SupportGroupFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def plan_of(sql: str, params: list) -> dict:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (document,) = cursor.fetchone()
    plan = document if isinstance(document, list) else json.loads(document)
    return plan[0]["Plan"]


def test_the_rollup_reads_the_changes_in_order_without_a_sort(settings):
    settings.DORA_ENVIRONMENTS = ["production"]
    query = DoraQuery(
        start=START, end=END, window=timedelta(hours=24), environments=("production",)
    )
    top = plan_of(*dora_statement(query))
    assert top["Node Type"] == "Aggregate"
    assert top["Strategy"] == "Sorted"
    # The aggregate's input is the nested loop over the changes' intervals, not a sort of it.
    assert top["Plans"][0]["Node Type"] == "Nested Loop"


@pytest.fixture
def interleaved(db, settings):
    """Three teams, their services created in turn (ids interleave across teams); every
    service deploys each day at an hour of its own and gets incidents after some of them,
    restored or not, one recorded as caused by a change."""
    settings.DORA_ENVIRONMENTS = ["production"]
    settings.DORA_FAILURE_WINDOW_HOURS = 24
    ci = UserFactory(username="ci", role=Role.AGENT)
    teams = [SupportGroupFactory(name=f"Team {n}") for n in (3, 1, 2)]
    services = [ServiceFactory(name=f"Service {n}", owner_group=teams[n % 3]) for n in range(7)]
    for n, service in enumerate(services):
        for day in range(1, 29, 1 + n % 3):
            deployment = deploy(ci, service, at(day, n + 1), lead=(n + 1) * H, version=f"{day}")
            if (day + n) % 2:
                started = at(day, n + 2)
                incident(service, started, restored=started + (n + day) * timedelta(minutes=7))
            if (day + n) % 5 == 0:
                incident(service, at(day, n + 3))
            if day == 7 and n == 4:
                caused = incident(service, at(27, 1), restored=at(27, 3))
                ChangeIncident.objects.create(
                    change=deployment.change, incident=caused, linked_at=timezone.now()
                )
    return services


def every_figure(report) -> dict:
    return {
        "all": figures_of(report.overall),
        **{f"team {row.name}": figures_of(row.figures) for row in report.teams},
        **{f"service {row.name}": figures_of(row.figures) for row in report.services},
    }


def test_interleaved_teams_give_the_portable_figures(interleaved):
    native = every_figure(dora_report(start=START, end=END))
    portable = every_figure(dora_report(start=START, end=END, portable=True))
    assert native == portable
    assert len(native) == 1 + 3 + 7
    assert native["all"]["failed"] > 0 and native["all"]["restore_count"] > 0
    assert native["service Service 4"]["restore_count"] > 0
