"""Reports read ticket kinds from the kernel's registry and keep no list of their own: a kind
registered with reporting milestones is measured, offered, exported and linked to without a
change to reporting (here the problem kind, registered for a while as if it declared
milestones), a kind without them is refused, and what only some kinds measure (MTBF, reopens)
follows their ReportingExtras."""

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.exceptions import ValidationFailed
from core.tickets.kinds import (
    ReportingExtras,
    ReportingMilestones,
    TicketKind,
    kind_named,
    kinds,
    register,
)
from problems.choices import ProblemStatus
from problems.models import Problem
from reporting.dashboard_filters import DashboardFilterForm
from reporting.export import csv_lines
from reporting.filters import ReportFilter
from reporting.metrics.durations import mtta, mttr
from reporting.metrics.flow import backlog, reopen_rate, volume
from reporting.metrics.mtbf import mtbf
from reporting.metrics.summary import summary
from reporting.metrics.tiers import first_contact
from reporting.prometheus import render_metrics
from tests.problems.factories import ProblemFactory

START = datetime(2026, 3, 2, tzinfo=UTC)
END = datetime(2026, 3, 9, tzinfo=UTC)
HOUR = 3600


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


@pytest.fixture
def problems_reported() -> Iterator[TicketKind]:
    """The problem kind registered for a while with reporting milestones and a queue."""
    original = kind_named("problem")
    register(
        replace(
            original,
            reporting=ReportingMilestones(started="created_at", acknowledged="investigating_at"),
            reporting_extras=ReportingExtras(queue_filters=frozenset({"assignee"})),
        )
    )
    yield kind_named("problem")
    register(original)


@pytest.fixture
def problems(db: None) -> dict[str, Problem]:
    """A resolved 4 h after it was raised (acknowledged after 1 h), B closed after 24 h (2 h),
    C investigating (3 h), D new, E cancelled: never resolved, never open."""
    S = ProblemStatus
    rows = {
        "A": (S.RESOLVED, at(3, 8), at(3, 9), at(3, 12)),
        "B": (S.CLOSED, at(4, 8), at(4, 10), at(5, 8)),
        "C": (S.INVESTIGATING, at(5, 8), at(5, 11), None),
        "D": (S.NEW, at(6, 8), None, None),
        "E": (S.CANCELLED, at(6, 9), None, None),
    }
    return {
        name: ProblemFactory(
            status=status,
            created_at=created,
            investigating_at=investigating,
            resolved_at=resolved,
        )
        for name, (status, created, investigating, resolved) in rows.items()
    }


def problem_report() -> ReportFilter:
    return ReportFilter(start=START, end=END, kind="problem")


def test_the_kinds_offered_are_the_registered_kinds_with_milestones(db: None) -> None:
    reported = [kind for kind in kinds() if kind.reporting is not None]
    assert [kind.name for kind in reported] == ["incident", "request"]
    field = DashboardFilterForm().fields["kind"]
    assert list(field.choices) == [("incident", "Incidents"), ("request", "Service requests")]
    assert ReportFilter(start=START, end=END).kind == "incident"
    with pytest.raises(ValidationFailed) as refused:
        ReportFilter.from_params({"kind": "problem"})
    assert refused.value.errors["kind"] == "Choose one of: incident, request."


def test_a_kind_registered_with_milestones_is_measured(problems_reported, problems) -> None:
    assert ReportFilter.from_params({"kind": "problem"}).kind == "problem"
    assert ("problem", "Problems") in DashboardFilterForm().fields["kind"].choices
    report = problem_report()
    resolve, acknowledge = mttr(report), mtta(report)
    assert (resolve.wall.count, resolve.wall.mean) == (2, (4 + 24) / 2 * HOUR)
    assert resolve.business.count == 0  # no SLA clocks
    assert (acknowledge.wall.count, acknowledge.wall.mean) == (3, (1 + 2 + 3) / 3 * HOUR)
    assert backlog(report, now=END).total.total == 2  # C and D
    assert (volume(report).created, volume(report).resolved) == (5, 2)
    assert (first_contact(report).total.whole, first_contact(report).total.part) == (2, 2)


def test_what_only_some_kinds_measure_is_refused_by_the_others(problems_reported, db) -> None:
    report = problem_report()
    with pytest.raises(ValidationFailed) as no_mtbf:
        mtbf(report, now=END)
    assert no_mtbf.value.errors == {"kind": "MTBF is measured on incidents only."}
    with pytest.raises(ValidationFailed) as no_reopens:
        reopen_rate(report)
    assert no_reopens.value.errors == {"kind": "Only incidents can be reopened."}
    assert summary(report).reopen is None


def test_mtbf_and_reopens_follow_the_declared_extras(db: None) -> None:
    incident = kind_named("incident")
    register(replace(incident, reporting_extras=None))
    try:
        report = ReportFilter(start=START, end=END, kind="incident")
        with pytest.raises(ValidationFailed) as no_mtbf:
            mtbf(report, now=END)
        assert no_mtbf.value.errors == {"kind": "No ticket kind is measured for MTBF."}
        assert summary(report).reopen is None
    finally:
        register(incident)
    assert reopen_rate(report).whole == 0


def test_export_and_metrics_list_the_registered_kind(problems_reported, problems) -> None:
    rows = list(csv.DictReader(io.StringIO("".join(csv_lines(problem_report())))))
    assert len(rows) == 5  # every problem created in the period
    a = rows[0]
    assert (a["number"], a["kind"], a["status"]) == (problems["A"].number, "problem", "resolved")
    assert (a["impact"], a["reopen_count"], a["seconds_to_resolve"]) == ("", "", str(4 * HOUR))
    with time_machine.travel(END, tick=False):
        text = render_metrics()
    assert 'servicedesk_open_tickets{kind="problem",status="investigating",priority="P3"} 1.0' in (
        text
    )
    assert 'servicedesk_mttr_7d_seconds{kind="problem",basis="wall"}' in text


def test_dashboard_links_to_the_kinds_own_queue(
    problems_reported, client_for, manager, agent_l1, settings
) -> None:
    settings.DASHBOARD_CACHE_SECONDS = 0
    ProblemFactory(status=ProblemStatus.INVESTIGATING, assignee=agent_l1)
    ProblemFactory(
        status=ProblemStatus.NEW,
        sla_due_at=timezone.now() - timedelta(hours=1),
        sla_warn_at=timezone.now() - timedelta(hours=2),
    )
    client = client_for(manager)
    url = reverse("reporting:dashboard_tile", args=["workload"]) + "?kind=problem"
    html = client.get(url).content.decode().replace("&amp;", "&")
    assert f"{reverse('problems:agent_list')}?assignee={agent_l1.pk}" in html
    # The problem list declares no tier or SLA-state filter: no link promises one.
    assert "tier=" not in html
    now = client.get(reverse("reporting:dashboard_tile", args=["now"]) + "?kind=problem")
    assert "See all" not in now.content.decode()
    assert "/agent/problems/PRB-" in now.content.decode()


def test_every_tile_and_chart_of_the_registered_kind_renders(
    problems_reported, problems, client_for, manager, settings
) -> None:
    from reporting.dashboard_tiles import CSV_EXPORTS, TILES

    settings.DASHBOARD_CACHE_SECONDS = 0
    client = client_for(manager)
    for name in TILES:
        url = reverse("reporting:dashboard_tile", args=[name]) + "?kind=problem"
        assert client.get(url).status_code == 200, name
    for chart in CSV_EXPORTS:
        response = client.get(reverse("reporting:dashboard_csv", args=[chart]), {"kind": "problem"})
        assert response.status_code == (400 if chart == "mtbf" else 200), chart
    page = client.get(reverse("reporting:dashboard"), {"kind": "problem", "load": "all"})
    assert page.status_code == 200
    assert "Problems" in page.content.decode()
