"""The on-call review (reporting.metrics.oncall) against figures computed by hand.

Site zone Europe/Berlin (CET = UTC+1 until Sun 29 March 2026 01:00 UTC, then CEST = UTC+2).
alice reads dates on the site's clock; bob in America/New_York (EST = UTC-5 until Sun 8 March
2026 07:00 UTC, then EDT = UTC-4). Times below are UTC.

P1  team A  Mon 03-02 10:00, acked by alice after 120 s. alice: email sent 10:00:05 and webhook
            10:02 (one interruption; 11:00 Berlin Monday: business). bob: cancelled (none).
P2  team A  Tue 03-03 23:30 (Wed 00:30 Berlin, still week 10), acked by alice after 600 s.
            alice 00:30 Berlin: sleep. bob 18:30 New York (EST): off hours.
P3  team A  Sat 03-07 12:00, exhausted. alice 13:00 Berlin Saturday: off hours; bob: failed.
P4  team B  Mon 03-09 13:30, acked by bob after 60 s. bob 09:30 EDT: business (on EST it would
            be 08:30, off hours).
P5  team B  Sun 03-29 05:30, acked by alice after 1800 s. alice 07:30 CEST Sunday: off hours
            (on CET 06:30: sleep). Sunday: week 13 (Monday 03-23).
P6  team A  Sun 04-05: after the period.

Acknowledged, all: 60, 120, 600, 1800 -> median 360, p90 600 + 0.7 * 1200 = 1440.
Team A: 3 pages, 1 exhausted; 120, 600 -> median 360, p90 552; interruptions b1 o2 s1.
Team B: 2 pages; 60, 1800 -> median 930, p90 1626; interruptions b1 o1.
alice: 4 pages (b1 o2 s1); acknowledged 120, 600, 1800 -> median 600, p90 1560.
bob: 2 pages (b1 o1); acknowledged 60.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.choices import Role
from core.models import SupportGroup, User
from oncall.models import ContactMethod, Page, PageNotification, PageNotificationStatus, PageStatus
from reporting.filters import ReportFilter
from reporting.metrics.oncall import oncall_review
from reporting.metrics.oncall_counts import hour_class, percentile_cont
from reporting.sql import is_postgres
from tests.factories import SupportGroupFactory, UserFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 3, 2, tzinfo=BERLIN)
END = datetime(2026, 4, 1, tzinfo=BERLIN)
SENT = PageNotificationStatus.SENT


def utc(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def make_page(
    group: SupportGroup | None,
    created: datetime,
    *,
    acked: tuple[User, int] | None = None,
    status: str = PageStatus.RESOLVED,
) -> Page:
    person, seconds = acked if acked else (None, 0)
    return Page.objects.create(
        ticket_type=ContentType.objects.get_for_model(User),
        ticket_id=1,
        ticket_number="INC-1",
        ticket_title="Down",
        priority=1,
        support_group=group,
        status=PageStatus.ACKNOWLEDGED if acked else status,
        reason="priority",
        step_started_at=created,
        created_at=created,
        acknowledged_by=person,
        acknowledged_at=created + timedelta(seconds=seconds) if acked else None,
    )


def notify(
    page: Page, person: User, sent: datetime | None, *, status: str = SENT, kind: str = "email"
) -> None:
    method, _ = ContactMethod.objects.get_or_create(
        person=person, kind=kind, address=f"{person.username}-{kind}", defaults={"label": kind}
    )
    PageNotification.objects.create(
        page=page,
        step_key="0.0.0",
        person=person,
        contact_method=method,
        method_kind=kind,
        delay_minutes=0 if kind == "email" else 2,
        status=status,
        due_at=sent or page.created_at,
        sent_at=sent if status == SENT else None,
    )


@pytest.fixture
def desk(settings: pytest.FixtureRequest) -> dict[str, object]:
    settings.TIME_ZONE = "Europe/Berlin"  # type: ignore[attr-defined]
    team_a = SupportGroupFactory(name="Team A", tier=1)
    team_b = SupportGroupFactory(name="Team B", tier=2)
    alice = UserFactory(username="alice", first_name="Alice", last_name="A", role=Role.AGENT)
    bob = UserFactory(
        username="bob",
        first_name="Bob",
        last_name="B",
        role=Role.AGENT,
        time_zone="America/New_York",
    )
    p1 = make_page(team_a, utc(3, 2, 10), acked=(alice, 120))
    notify(p1, alice, utc(3, 2, 10, 0, 5))
    notify(p1, alice, utc(3, 2, 10, 2), kind="webhook")
    notify(p1, bob, None, status=PageNotificationStatus.CANCELLED)
    p2 = make_page(team_a, utc(3, 3, 23, 30), acked=(alice, 600))
    notify(p2, alice, utc(3, 3, 23, 30))
    notify(p2, bob, utc(3, 3, 23, 30))
    p3 = make_page(team_a, utc(3, 7, 12), status=PageStatus.EXHAUSTED)
    notify(p3, alice, utc(3, 7, 12))
    notify(p3, bob, None, status=PageNotificationStatus.FAILED)
    p4 = make_page(team_b, utc(3, 9, 13, 30), acked=(bob, 60))
    notify(p4, bob, utc(3, 9, 13, 30))
    p5 = make_page(team_b, utc(3, 29, 5, 30), acked=(alice, 1800))
    notify(p5, alice, utc(3, 29, 5, 30))
    p6 = make_page(team_a, utc(4, 5, 10), acked=(alice, 30))
    notify(p6, alice, utc(4, 5, 10))
    return {"a": team_a, "b": team_b, "alice": alice, "bob": bob}


def review(group: SupportGroup | None = None, *, portable: bool = False):  # type: ignore[no-untyped-def]
    report = ReportFilter(start=START, end=END, group_id=group.pk if group else None)
    return oncall_review(report, week_zone=BERLIN, portable=portable)


def split(interruptions) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    return interruptions.business, interruptions.off_hours, interruptions.sleep


def ack(figures) -> tuple[int, float | None, float | None]:  # type: ignore[no-untyped-def]
    return figures.count, figures.median, figures.p90


@pytest.mark.parametrize("portable", [False, True])
def test_the_hand_computed_review(desk, portable) -> None:
    result = review(portable=portable)

    assert (result.pages, result.exhausted) == (5, 1)
    assert ack(result.acknowledged) == (4, pytest.approx(360), pytest.approx(1440))
    assert split(result.interruptions) == (2, 3, 1)
    team_a, team_b = result.teams
    assert (team_a.name, team_a.pages, team_a.exhausted) == ("Team A", 3, 1)
    assert ack(team_a.acknowledged) == (2, pytest.approx(360), pytest.approx(552))
    assert split(team_a.interruptions) == (1, 2, 1)
    assert [(w.week, w.pages) for w in team_a.weeks] == [("2026-W10", 3)]
    assert (team_b.name, team_b.pages, team_b.exhausted) == ("Team B", 2, 0)
    assert ack(team_b.acknowledged) == (2, pytest.approx(930), pytest.approx(1626))
    assert split(team_b.interruptions) == (1, 1, 0)
    assert [(w.week, w.pages) for w in team_b.weeks] == [("2026-W11", 1), ("2026-W13", 1)]
    assert team_b.weeks[1].week_start == date(2026, 3, 23)

    alice, bob = result.people
    assert (alice.name, alice.time_zone, alice.pages) == ("Alice A", "Europe/Berlin", 4)
    assert split(alice.interruptions) == (1, 2, 1)
    assert ack(alice.acknowledged) == (3, pytest.approx(600), pytest.approx(1560))
    assert [(w.week, w.pages, split(w.interruptions)) for w in alice.weeks] == [
        ("2026-W10", 3, (1, 1, 1)),
        ("2026-W13", 1, (0, 1, 0)),
    ]
    assert (bob.name, bob.time_zone, bob.pages) == ("Bob B", "America/New_York", 2)
    assert split(bob.interruptions) == (1, 1, 0)
    assert ack(bob.acknowledged) == (1, pytest.approx(60), pytest.approx(60))
    assert [(w.week, w.pages, w.acknowledged.count) for w in bob.weeks] == [
        ("2026-W10", 1, 0),
        ("2026-W11", 1, 1),
    ]
    assert [p.name for p in result.top_interrupted] == ["Alice A", "Bob B"]


def test_one_group(desk) -> None:
    result = review(desk["b"])  # type: ignore[arg-type]

    assert result.pages == 2
    assert [team.name for team in result.teams] == ["Team B"]
    assert [(p.name, p.pages, split(p.interruptions)) for p in result.people] == [
        ("Alice A", 1, (0, 1, 0)),
        ("Bob B", 1, (1, 0, 0)),
    ]


def test_an_empty_period(desk) -> None:
    report = ReportFilter(
        start=datetime(2025, 1, 1, tzinfo=UTC), end=datetime(2025, 2, 1, tzinfo=UTC)
    )
    result = oncall_review(report, week_zone=BERLIN)

    assert (result.pages, result.exhausted, result.teams, result.people) == (0, 0, [], [])
    assert ack(result.acknowledged) == (0, None, None)
    assert result.interruptions.total == 0
    assert result.top_interrupted == []


def test_a_zone_name_no_longer_known_reads_on_the_site_clock(desk) -> None:
    User.objects.filter(pk=desk["bob"].pk).update(time_zone="Mars/Olympus_Mons")  # type: ignore[attr-defined]

    bob = next(p for p in review().people if p.name == "Bob B")

    # P2 at 00:30 Berlin: sleep; P4 at 14:30 Berlin, Monday: business.
    assert (bob.time_zone, split(bob.interruptions)) == ("Europe/Berlin", (1, 0, 1))


def test_hour_classes_at_their_edges() -> None:
    monday = datetime(2026, 3, 2)
    assert hour_class(monday.replace(hour=8, minute=59)) == "off_hours"
    assert hour_class(monday.replace(hour=9)) == "business"
    assert hour_class(monday.replace(hour=17, minute=59)) == "business"
    assert hour_class(monday.replace(hour=18)) == "off_hours"
    assert hour_class(monday.replace(hour=21, minute=59)) == "off_hours"
    assert hour_class(monday.replace(hour=22)) == "sleep"
    assert hour_class(monday.replace(hour=6, minute=59)) == "sleep"
    assert hour_class(monday.replace(hour=7)) == "off_hours"
    assert hour_class(datetime(2026, 3, 7, 11)) == "off_hours"  # Saturday


def test_percentile_cont_interpolates_like_postgres() -> None:
    assert percentile_cont([], 0.5) is None
    assert percentile_cont([7.0], 0.9) == 7.0
    assert percentile_cont([60.0, 120.0, 600.0, 1800.0], 0.9) == pytest.approx(1440)


def _queries(pages: int) -> int:
    group = SupportGroupFactory()
    for n in range(pages):
        person = UserFactory(role=Role.AGENT, time_zone="Asia/Tokyo" if n % 2 else "")
        page = make_page(group, utc(3, 2 + n % 20, 10), acked=(person, 30 + n))
        notify(page, person, utc(3, 2 + n % 20, 10, 1))
    with CaptureQueriesContext(connection) as captured:
        result = review()
    assert len(result.people) == pages
    return len(captured.captured_queries)


def test_the_number_of_queries_does_not_grow_with_pages(settings) -> None:
    settings.TIME_ZONE = "Europe/Berlin"
    one = _queries(1)
    Page.objects.all().delete()
    assert _queries(20) == one


@pytest.mark.postgres
def test_postgres_and_the_portable_path_agree_on_irregular_data(desk) -> None:
    assert is_postgres()
    group = desk["a"]
    for n in range(40):
        person = desk["alice"] if n % 3 else desk["bob"]
        created = utc(3, 2, 0) + timedelta(hours=17 * n, minutes=7 * n)
        page = make_page(group, created, acked=(person, 13 * n * n + 5) if n % 4 else None)  # type: ignore[arg-type]
        notify(page, person, created + timedelta(seconds=n))  # type: ignore[arg-type]
    assert review() == review(portable=True)
