"""The demo paging's picks (demo.paging._pick) read the candidates only until every pick is made:
a big desk has tens of thousands of them in four weeks."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from core.models import SupportGroup
from demo.paging import ACKNOWLEDGED_PAGES, NIGHT_PAGES, STORIES, _pick
from incidents.choices import IncidentStatus
from incidents.models import Incident

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Berlin")
NIGHT = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # 02:00 in Berlin
DAY = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # 11:00, resolved by the afternoon


def _incident(pk: int, created_at: datetime, *, tier: int, status: str) -> Incident:
    incident = Incident(pk=pk, created_at=created_at, status=status, priority=2)
    incident.support_group = SupportGroup(pk=tier, tier=tier)
    if status == IncidentStatus.CLOSED:
        incident.resolved_at = created_at + timedelta(hours=3)
    return incident


def _desk(read: list[int]) -> Iterator[Incident]:
    """Endless candidates: two L1 incidents, then by turns a night one and two by day, with an
    open one early on; `read` collects the pks handed out."""
    closed = IncidentStatus.CLOSED
    pk = 0
    while True:
        pk += 1
        read.append(pk)
        if pk <= len(STORIES):
            yield _incident(pk, DAY, tier=1, status=closed)
        elif pk == 5:
            yield _incident(pk, NOW - timedelta(days=1), tier=2, status=IncidentStatus.LOGGED)
        else:
            yield _incident(pk, NIGHT if pk % 3 == 0 else DAY, tier=2, status=closed)


def test_the_picks_stop_reading_once_made() -> None:
    read: list[int] = []
    picks = _pick(_desk(read), NOW, ZONE)
    assert picks.live is not None and picks.live.pk == 5
    assert [i.pk for i in picks.first_tier] == [1, 2]
    assert [i.pk for i, _ in picks.nights] == [3, 6, 9, 12]
    assert all(start == NIGHT + timedelta(minutes=2) for _, start in picks.nights)
    days = [i.pk for i in picks.days[: ACKNOWLEDGED_PAGES - NIGHT_PAGES]]
    # Once four pages are told at night, incidents open at night are acknowledged by day too.
    assert days == [4, 7, 8, 10, 11, 13, 14, 15, 16, 17, 18, 19]
    assert read[-1] == days[-1]
