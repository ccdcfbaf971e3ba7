"""The on-call operational review (issue 16, point 8), after PagerDuty's: over the pages started
in the period (optionally of one support group, the group the page started with),

- pages per team (support group) and per person, per ISO week and for the period; a person's
  pages are those that reached them (a notification sent), one per page however many methods;
- time to acknowledge a page (acknowledged_at - created_at): median and 90th percentile per
  team, per person (the pages they acknowledged) and overall;
- interruptions (a page reaching a person, counted once) split into business hours (Monday to
  Friday 09:00-18:00), sleep hours (22:00-07:00) and off hours (the other waking hours), on the
  person's own clock (core.time_zones.zone_of: their preference, else the site's zone).

Weeks are cut in the reader's zone (the API's is the site's; the dashboard's the viewer's), from
the page's start. The figures come from reporting.metrics.oncall_counts (database aggregates on
PostgreSQL); this module names the teams and people and puts the figures in order, with a fixed
number of queries whatever the number of pages. Report filter dimensions other than the period
and `group` do not apply: a page is not narrowed by kind, service, CI, tier or priority here.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from core.models import SupportGroup, User
from core.time_zones import zone_of
from oncall.models import Page
from reporting.filters import ReportFilter
from reporting.metrics.oncall_counts import (
    BUSINESS,
    OFF_HOURS,
    SLEEP,
    AckFigures,
    Counts,
    review_counts,
)
from reporting.sql import tuned

NO_GROUP = "No group"
TOP_PEOPLE = 5


@dataclass(frozen=True)
class Interruptions:
    business: int = 0
    off_hours: int = 0
    sleep: int = 0

    @property
    def total(self) -> int:
        return self.business + self.off_hours + self.sleep


@dataclass(frozen=True)
class WeekFigures:
    """One ISO week (`week` "2026-W10", `week_start` its Monday): pages (a team's: started in
    the week; a person's: that reached them), those acknowledged (by the team / by the person)
    with their times, and the interruptions."""

    week_start: date
    pages: int
    acknowledged: AckFigures
    interruptions: Interruptions

    @property
    def week(self) -> str:
        year, number, _ = self.week_start.isocalendar()
        return f"{year}-W{number:02d}"


@dataclass(frozen=True)
class TeamReview:
    group_id: int | None
    name: str
    pages: int
    exhausted: int
    acknowledged: AckFigures
    interruptions: Interruptions
    weeks: list[WeekFigures]


@dataclass(frozen=True)
class PersonReview:
    person_id: int
    name: str
    time_zone: str
    pages: int
    acknowledged: AckFigures
    interruptions: Interruptions
    weeks: list[WeekFigures]


@dataclass(frozen=True)
class OncallReview:
    start: datetime
    end: datetime
    group_id: int | None
    week_zone: str
    pages: int
    exhausted: int
    acknowledged: AckFigures
    interruptions: Interruptions
    teams: list[TeamReview]
    people: list[PersonReview] = field(default_factory=list)

    @property
    def top_interrupted(self) -> list[PersonReview]:
        ranked = sorted(
            (p for p in self.people if p.interruptions.total),
            key=lambda p: (-p.interruptions.total, -p.interruptions.sleep, p.name),
        )
        return ranked[:TOP_PEOPLE]


def pages_in_review(report: ReportFilter) -> QuerySet[Page]:
    """The pages the review reads: started in [start, end), of the report's group if any."""
    pages = Page.objects.filter(created_at__gte=report.start, created_at__lt=report.end)
    if report.group_id is not None:
        pages = pages.filter(support_group_id=report.group_id)
    return pages.order_by()


@tuned
def oncall_review(
    report: ReportFilter, *, week_zone: tzinfo | None = None, portable: bool = False
) -> OncallReview:
    """The review of the report's period and group (see the module docstring)."""
    zone = week_zone or timezone.get_current_timezone()
    counts = review_counts(
        pages_in_review(report), week_zone=zone, site_zone=settings.TIME_ZONE, portable=portable
    )
    return _assemble(report, counts, str(zone))


Split = dict[str, int]


def _interruptions(split: Split | None) -> Interruptions:
    if not split:
        return Interruptions()
    return Interruptions(split.get(BUSINESS, 0), split.get(OFF_HOURS, 0), split.get(SLEEP, 0))


def _weeks_by_owner(keys: Iterable[tuple[Any, date | None]]) -> dict[Any, set[date]]:
    # One pass over the keys: looking up each owner's weeks by scanning every key is
    # people x person-weeks (millions of steps at a year of 300 people).
    weeks: dict[Any, set[date]] = defaultdict(set)
    for owner, week in keys:
        if week is not None:
            weeks[owner].add(week)
    return weeks


def _assemble(report: ReportFilter, counts: Counts, zone: str) -> OncallReview:
    # Plain counters while summing (tens of thousands of rows), dataclasses once at the end.
    team_split: dict[tuple[int | None, date | None], Split] = defaultdict(lambda: defaultdict(int))
    person_split: dict[tuple[int, date | None], Split] = defaultdict(lambda: defaultdict(int))
    overall: Split = defaultdict(int)
    for (person_id, group_id, week, klass), count in counts.interruptions.items():
        team_split[(group_id, week)][klass] += count
        team_split[(group_id, None)][klass] += count
        person_split[(person_id, week)][klass] += count
        person_split[(person_id, None)][klass] += count
        overall[klass] += count
    group_ids = {group_id for group_id, _ in counts.teams if group_id is not None}
    groups = dict(SupportGroup.objects.filter(pk__in=group_ids).values_list("pk", "name"))
    person_ids = {pid for pid, _ in person_split} | {pid for pid, _ in counts.people_ack}
    people = {
        person.pk: person
        for person in User.objects.filter(pk__in=person_ids).only(
            "pk", "username", "first_name", "last_name", "time_zone"
        )
    }
    team_weeks = _weeks_by_owner(counts.teams)
    teams: list[TeamReview] = []
    for group_id, period_week in counts.teams:
        if period_week is not None:
            continue
        period = counts.teams[(group_id, None)]
        teams.append(
            TeamReview(
                group_id=group_id,
                name=groups.get(group_id, NO_GROUP) if group_id else NO_GROUP,
                pages=period.pages,
                exhausted=period.exhausted,
                acknowledged=period.ack,
                interruptions=_interruptions(team_split.get((group_id, None))),
                weeks=[
                    WeekFigures(
                        start,
                        counts.teams[(group_id, start)].pages,
                        counts.teams[(group_id, start)].ack,
                        _interruptions(team_split.get((group_id, start))),
                    )
                    for start in sorted(team_weeks.get(group_id, ()))
                ],
            )
        )
    teams.sort(key=lambda team: (-team.pages, team.name))
    person_weeks = _weeks_by_owner([*person_split, *counts.people_ack])
    reviewed: list[PersonReview] = []
    for pid in person_ids:
        person = people.get(pid)
        if person is None:
            continue
        period_split = _interruptions(person_split.get((pid, None)))
        weeks = []
        for start in sorted(person_weeks.get(pid, ())):
            split = _interruptions(person_split.get((pid, start)))
            ack = counts.people_ack.get((pid, start), AckFigures())
            weeks.append(WeekFigures(start, split.total, ack, split))
        reviewed.append(
            PersonReview(
                person_id=pid,
                name=person.get_full_name() or person.username,
                time_zone=str(zone_of(person)),
                pages=period_split.total,
                acknowledged=counts.people_ack.get((pid, None), AckFigures()),
                interruptions=period_split,
                weeks=weeks,
            )
        )
    reviewed.sort(key=lambda person: (-person.pages, person.name))
    return OncallReview(
        start=report.start,
        end=report.end,
        group_id=report.group_id,
        week_zone=zone,
        pages=counts.total.pages,
        exhausted=counts.total.exhausted,
        acknowledged=counts.total.ack,
        interruptions=_interruptions(overall),
        teams=teams,
        people=reviewed,
    )
