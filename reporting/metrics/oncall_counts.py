"""The raw figures of the on-call review (reporting.metrics.oncall), read two ways that give the
same numbers:

- PostgreSQL: three aggregate statements. Weeks are cut with date_trunc('week', ... AT TIME
  ZONE), percentiles come from percentile_cont over GROUPING SETS (team-week, team, all; and
  person-week, person), and each interruption is put in its hour class in the person's own zone
  by `AT TIME ZONE` on a per-row zone name, so no page or notification row leaves the database.
- Anywhere else (SQLite, development and tests), or with `portable=True`: the period's pages and
  first notifications are read as rows and the same figures computed in Python (zoneinfo,
  percentile_cont's linear interpolation). `portable=True` on PostgreSQL is how a test proves
  both give the same numbers.

An interruption is one person reached by one page: its first notification with status sent
(several methods, rules or steps for the same person and page are still one interruption).
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Min, QuerySet
from django.db.models.functions import Coalesce

from core.models import User
from core.read_replica import read_connection
from core.time_zones import zone_of
from oncall.models import Page, PageNotification, PageNotificationStatus, PageStatus
from reporting.sql import PERCENTILES, compiled, fetch_all, is_postgres, number

BUSINESS = "business"
OFF_HOURS = "off_hours"
SLEEP = "sleep"
HOUR_CLASSES = (BUSINESS, OFF_HOURS, SLEEP)

# Local hours, [start, end): sleep wins over the rest; business is Monday-Friday only.
SLEEP_FROM, SLEEP_UNTIL = 22, 7
BUSINESS_FROM, BUSINESS_UNTIL = 9, 18

# A key of the figures: (group or person id, the Monday of the week or None for the period).
Key = tuple[int | None, date | None]
PersonKey = tuple[int, date | None]


@dataclass(frozen=True)
class AckFigures:
    """Pages acknowledged and the median and 90th percentile of their seconds to acknowledge."""

    count: int = 0
    median: float | None = None
    p90: float | None = None


@dataclass
class PageFigures:
    pages: int = 0
    exhausted: int = 0
    ack: AckFigures = field(default_factory=AckFigures)


@dataclass
class Counts:
    """Everything the review shows, by key. `teams` holds (group id, week) and (group id, None)
    keys; `total` the whole period; `people_ack` the pages each person acknowledged by
    (person id, week) and (person id, None); `interruptions` counts by (person id, group id,
    week, hour class)."""

    teams: dict[Key, PageFigures] = field(default_factory=dict)
    total: PageFigures = field(default_factory=PageFigures)
    people_ack: dict[PersonKey, AckFigures] = field(default_factory=dict)
    interruptions: dict[tuple[int, int | None, date, str], int] = field(default_factory=dict)


def hour_class(local: datetime) -> str:
    """The class of a wall-clock instant: sleep 22:00-07:00 any day, business Monday-Friday
    09:00-18:00, off hours the rest."""
    hour = local.hour
    if hour >= SLEEP_FROM or hour < SLEEP_UNTIL:
        return SLEEP
    if local.isoweekday() <= 5 and BUSINESS_FROM <= hour < BUSINESS_UNTIL:
        return BUSINESS
    return OFF_HOURS


def week_of(moment: datetime, zone: tzinfo) -> date:
    """The Monday of the ISO week holding `moment` in `zone`."""
    day = moment.astimezone(zone).date()
    return day - timedelta(days=day.weekday())


def percentile_cont(ordered: Sequence[float], fraction: float) -> float | None:
    """percentile_cont of sorted values: linear interpolation between the two closest ranks."""
    if not ordered:
        return None
    rank = fraction * (len(ordered) - 1)
    low = math.floor(rank)
    above = ordered[low + 1] if low + 1 < len(ordered) else ordered[low]
    return ordered[low] + (rank - low) * (above - ordered[low])


def _ack_figures(seconds: Iterable[float]) -> AckFigures:
    ordered = sorted(seconds)
    median, p90 = (percentile_cont(ordered, fraction) for fraction in PERCENTILES)
    return AckFigures(len(ordered), median, p90)


def known_zone_names() -> list[str]:
    """The zone names people chose that this system knows (zone_of falls back on the others)."""
    names = (
        User.objects.exclude(time_zone="").order_by().values_list("time_zone", flat=True).distinct()
    )
    known = []
    for name in names:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        known.append(name)
    return sorted(known)


def review_counts(
    pages: QuerySet[Page], *, week_zone: tzinfo, site_zone: str, portable: bool = False
) -> Counts:
    """The figures of the pages in `pages` (already narrowed to the period and group)."""
    if is_postgres() and not portable:
        return _counts_postgres(pages, week_zone=str(week_zone), site_zone=site_zone)
    return _counts_python(pages, week_zone=week_zone)


# --- PostgreSQL -----------------------------------------------------------------------------


def _pages_sql(pages: QuerySet[Page]) -> tuple[str, tuple[Any, ...]]:
    return compiled(
        pages.order_by().values(
            "id",
            "support_group_id",
            "created_at",
            "acknowledged_at",
            "acknowledged_by_id",
            "status",
        )
    )


def _ack_row(values: Sequence[Any]) -> AckFigures:
    count, percentiles = values
    median, p90 = percentiles if percentiles else (None, None)
    return AckFigures(int(count), number(median), number(p90))


def _counts_postgres(pages: QuerySet[Page], *, week_zone: str, site_zone: str) -> Counts:
    base_sql, base_params = _pages_sql(pages)
    # The planner cannot estimate these joins of aggregates (it guessed 50 million rows for
    # 200,000) and would compile them with JIT: 0.6 s of a 1.8 s query, saving nothing.
    # SET LOCAL lasts until the end of the report's transaction (reporting.sql.tuned).
    with read_connection().cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
    fractions = ", ".join(str(p) for p in PERCENTILES)
    with_pages = f"""
        WITH p AS (
          SELECT t.*, (date_trunc('week', t.created_at AT TIME ZONE %s))::date AS week,
            date_part('epoch', t.acknowledged_at - t.created_at) AS ack
          FROM ({base_sql}) t
        )
    """  # noqa: S608 — only compiled SQL is interpolated
    pages_params = (week_zone, *base_params)
    percentile = f"percentile_cont(ARRAY[{fractions}]) WITHIN GROUP (ORDER BY p.ack)"
    counts = Counts()
    for row in fetch_all(
        f"""{with_pages}
        SELECT GROUPING(p.support_group_id), GROUPING(p.week), p.support_group_id, p.week,
          COUNT(*), SUM(CASE WHEN p.status = %s THEN 1 ELSE 0 END), COUNT(p.ack), {percentile}
        FROM p GROUP BY GROUPING SETS ((p.support_group_id, p.week), (p.support_group_id), ())
        """,  # noqa: S608
        (*pages_params, PageStatus.EXHAUSTED),
    ):
        all_groups, all_weeks, group_id, week, total, exhausted, *ack = row
        figures = PageFigures(int(total), int(exhausted or 0), _ack_row(ack))
        if all_groups:
            counts.total = figures
        else:
            counts.teams[(group_id, None if all_weeks else week)] = figures
    for row in fetch_all(
        f"""{with_pages}
        SELECT GROUPING(p.week), p.acknowledged_by_id, p.week, COUNT(p.ack), {percentile}
        FROM p WHERE p.acknowledged_by_id IS NOT NULL AND p.ack IS NOT NULL
        GROUP BY GROUPING SETS ((p.acknowledged_by_id, p.week), (p.acknowledged_by_id))
        """,  # noqa: S608
        pages_params,
    ):
        all_weeks, person_id, week, *ack = row
        counts.people_ack[(person_id, None if all_weeks else week)] = _ack_row(ack)
    notifications = PageNotification._meta.db_table
    users = User._meta.db_table
    # Sleep first: 22:00-07:00 is sleep whatever the day; then Mon-Fri 09:00-18:00.
    classify = f"""
        CASE WHEN date_part('hour', x.local) >= {SLEEP_FROM}
               OR date_part('hour', x.local) < {SLEEP_UNTIL} THEN '{SLEEP}'
             WHEN date_part('isodow', x.local) <= 5
               AND date_part('hour', x.local) >= {BUSINESS_FROM}
               AND date_part('hour', x.local) < {BUSINESS_UNTIL} THEN '{BUSINESS}'
             ELSE '{OFF_HOURS}' END
    """
    for person_id, group_id, week, klass, total in fetch_all(
        f"""
        SELECT x.person_id, x.support_group_id, x.week, {classify}, COUNT(*)
        FROM (
          SELECT f.person_id, f.support_group_id,
            (date_trunc('week', f.created_at AT TIME ZONE %s))::date AS week,
            f.first_sent AT TIME ZONE (
              CASE WHEN u.time_zone = ANY(%s) THEN u.time_zone ELSE %s END
            ) AS local
          FROM (
            SELECT n.person_id, t.support_group_id, t.created_at,
              MIN(COALESCE(n.sent_at, n.due_at)) AS first_sent
            FROM {notifications} n JOIN ({base_sql}) t ON t.id = n.page_id
            WHERE n.status = %s
            GROUP BY n.person_id, n.page_id, t.support_group_id, t.created_at
          ) f JOIN {users} u ON u.id = f.person_id
          -- OFFSET 0 keeps this subquery whole: each row's local time is computed once, not
          -- once per use in the CASE above.
          OFFSET 0
        ) x
        GROUP BY 1, 2, 3, 4
        """,  # noqa: S608 — table names, constants and compiled SQL only
        (week_zone, known_zone_names(), site_zone, *base_params, PageNotificationStatus.SENT),
    ):
        counts.interruptions[(person_id, group_id, week, klass)] = int(total)
    return counts


# --- Portable: rows, then Python ------------------------------------------------------------


def _counts_python(pages: QuerySet[Page], *, week_zone: tzinfo) -> Counts:
    rows = list(
        pages.order_by().values_list(
            "id",
            "support_group_id",
            "created_at",
            "acknowledged_at",
            "acknowledged_by_id",
            "status",
        )
    )
    counts = Counts()
    team_acks: dict[Key, list[float]] = defaultdict(list)
    person_acks: dict[PersonKey, list[float]] = defaultdict(list)
    team_pages: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    all_acks: list[float] = []
    page_of: dict[int, tuple[int | None, date]] = {}
    exhausted_total = 0
    for page_id, group_id, created, acked_at, acked_by, status in rows:
        week = week_of(created, week_zone)
        page_of[page_id] = (group_id, week)
        exhausted = int(status == PageStatus.EXHAUSTED)
        exhausted_total += exhausted
        for key in ((group_id, week), (group_id, None)):
            team_pages[key][0] += 1
            team_pages[key][1] += exhausted
        if acked_at is None:
            continue
        seconds = (acked_at - created).total_seconds()
        all_acks.append(seconds)
        for key in ((group_id, week), (group_id, None)):
            team_acks[key].append(seconds)
        if acked_by is not None:
            for person_key in ((acked_by, week), (acked_by, None)):
                person_acks[person_key].append(seconds)
    for team_key, (total, exhausted) in team_pages.items():
        acks = team_acks.get(team_key, [])
        counts.teams[team_key] = PageFigures(total, exhausted, _ack_figures(acks))
    counts.total = PageFigures(len(rows), exhausted_total, _ack_figures(all_acks))
    counts.people_ack = {key: _ack_figures(values) for key, values in person_acks.items()}
    firsts = list(
        PageNotification.objects.filter(page__in=pages.values("id"))
        .filter(status=PageNotificationStatus.SENT)
        .order_by()
        .values("person_id", "page_id")
        .annotate(first=Min(Coalesce("sent_at", "due_at")))
        .values_list("person_id", "page_id", "first")
    )
    people = User.objects.filter(pk__in={person_id for person_id, _, _ in firsts})
    zones = {person.pk: zone_of(person) for person in people.only("pk", "time_zone")}
    interruptions: dict[tuple[int, int | None, date, str], int] = defaultdict(int)
    for person_id, page_id, first in firsts:
        page_group, page_week = page_of[page_id]
        klass = hour_class(first.astimezone(zones[person_id]))
        interruptions[(person_id, page_group, page_week, klass)] += 1
    counts.interruptions = dict(interruptions)
    return counts
