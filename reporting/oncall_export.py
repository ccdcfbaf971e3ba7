"""CSV of the on-call review (reporting.metrics.oncall): one row per team-week and per
person-week, and for each team and person a row for the whole period (empty `week`), since
medians and percentiles of the period cannot be summed from the weeks. Team rows come first.

The review is a bounded set of rows (teams and people times weeks), computed by the database,
so the export writes it at once rather than streaming from a cursor like the ticket export.
"""

from collections.abc import Iterator
from typing import Any

from django.utils import timezone

from core.web.csv_download import csv_stream
from reporting.filters import ReportFilter
from reporting.metrics.oncall import Interruptions, OncallReview, WeekFigures
from reporting.metrics.oncall_counts import AckFigures

HEADER = (
    "scope",
    "id",
    "name",
    "time_zone",
    "week",
    "week_start",
    "pages",
    "exhausted",
    "acknowledged",
    "ack_median_seconds",
    "ack_p90_seconds",
    "interruptions_business",
    "interruptions_off_hours",
    "interruptions_sleep",
)


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def _figures(
    pages: int, exhausted: Any, ack: AckFigures, interruptions: Interruptions
) -> list[Any]:
    return [
        pages,
        exhausted,
        ack.count,
        _seconds(ack.median),
        _seconds(ack.p90),
        interruptions.business,
        interruptions.off_hours,
        interruptions.sleep,
    ]


def _week(week: WeekFigures, exhausted: Any = "") -> list[Any]:
    return [
        week.week,
        week.week_start.isoformat(),
        *_figures(week.pages, exhausted, week.acknowledged, week.interruptions),
    ]


def review_rows(review: OncallReview) -> Iterator[list[Any]]:
    """The rows under HEADER."""
    for team in review.teams:
        head = ["team", team.group_id or "", team.name, ""]
        yield [
            *head,
            "",
            "",
            *_figures(team.pages, team.exhausted, team.acknowledged, team.interruptions),
        ]
        for week in team.weeks:
            yield [*head, *_week(week)]
    for person in review.people:
        head = ["person", person.person_id, person.name, person.time_zone]
        yield [
            *head,
            "",
            "",
            *_figures(person.pages, "", person.acknowledged, person.interruptions),
        ]
        for week in person.weeks:
            yield [*head, *_week(week)]


def review_csv_lines(review: OncallReview) -> Iterator[str]:
    return csv_stream(HEADER, review_rows(review))


def review_filename(report: ReportFilter) -> str:
    start = timezone.localtime(report.start).date().isoformat()
    end = timezone.localtime(report.end).date().isoformat()
    return f"oncall-review-{start}-to-{end}.csv"
