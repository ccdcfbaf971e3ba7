"""The blame at its edges, the same on both SQL paths (on PostgreSQL: the blame intervals read
by index range scans, and the portable path's events sorted in one window; on SQLite: the
portable path twice)."""

from datetime import UTC, datetime

import pytest

from changes.dora import dora_report
from core.choices import Role
from tests.changes.deployments.factories import deploy
from tests.changes.dora.conftest import END, START, H, at, incident
from tests.factories import ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def edges(db, settings):
    settings.DORA_ENVIRONMENTS = ["production"]
    settings.DORA_FAILURE_WINDOW_HOURS = 24
    ci = UserFactory(username="ci", role=Role.AGENT)
    service = ServiceFactory(name="Edges")
    # Before the period: blames what follows it, which is then left out.
    deploy(ci, service, datetime(2026, 2, 28, 20, tzinfo=UTC), version="0")
    incident(service, at(1, 2), restored=at(1, 3))
    # Two changes at the same instant: the later id is the latest, it takes the incident.
    first = deploy(ci, service, at(2, 10), version="1")
    second = deploy(ci, service, at(2, 10), key="tie", version="2")
    incident(service, at(2, 10), restored=at(2, 10, 30))
    # The window's end is in it.
    deploy(ci, service, at(5, 10), version="3")
    incident(service, at(6, 10), restored=at(6, 11))
    # An incident at the very instant of the next change is the next change's.
    deploy(ci, service, at(8, 10), version="4")
    deploy(ci, service, at(8, 12), version="5")
    incident(service, at(8, 12), restored=at(8, 14))
    # The period's last change, followed by one after the period that takes the incident.
    deploy(ci, service, at(28, 23), version="6")
    deploy(ci, service, datetime(2026, 3, 29, 1, tzinfo=UTC), version="7")
    incident(service, datetime(2026, 3, 29, 2, tzinfo=UTC), restored=at(29, 3))
    return first, second


@pytest.mark.parametrize("portable", [False, True])
def test_ties_and_window_ends(edges, portable):
    assert first_pk_is_lower(edges)
    figures = dora_report(start=START, end=END, portable=portable).overall
    assert (figures.changes, figures.deployments) == (6, 6)
    assert figures.failed == 3  # the second of the tied pair, the one at 5th 10:00, the 12:00 one
    assert figures.restore_count == 3
    assert figures.restore_median == 3600.0  # 0.5 h, 1 h, 2 h


def test_a_shorter_window_leaves_the_edge_out(edges, settings):
    settings.DORA_FAILURE_WINDOW_HOURS = 23
    for portable in (False, True):
        figures = dora_report(start=START, end=END, portable=portable).overall
        assert figures.failed == 2
        assert figures.restore_count == 2
        assert figures.restore_median == 1.25 * H.total_seconds()


def first_pk_is_lower(edges):
    first, second = edges
    return first.change_id < second.change_id
