"""The demo loader: progress bar, stored times, worker processes, the PostgreSQL bulk path."""

import io
from datetime import UTC, datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import OutputWrapper

from core.choices import EventKind
from core.models import (
    Comment,
    TimelineEvent,
)
from demo.progress import ProgressBar
from demo.rows import TimestampText
from incidents.models import Incident
from tests.demo.seeding import seed

pytestmark = pytest.mark.django_db


def test_progress_bar_shows_count_rate_and_eta() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    bar = ProgressBar(OutputWrapper(stream), total=1000, label="Incidents")
    bar.update(250)
    line = bar.line()
    bar.close()

    assert "250/1,000" in line
    assert "/s" in line
    assert "ETA" in line
    assert stream.getvalue().startswith("\rIncidents [")
    assert stream.getvalue().endswith("\n")
    assert "1,000/1,000" not in line


def test_progress_bar_off_a_terminal_writes_plain_lines() -> None:
    stream = io.StringIO()
    bar = ProgressBar(OutputWrapper(stream), total=100, label="Incidents")
    for done in range(10, 101, 10):
        bar.update(done)
    bar.close()

    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()
    assert 9 <= len(lines) <= 11
    assert lines[-1].startswith("Incidents [") and "100/100" in lines[-1]


def test_timestamps_are_written_as_django_stores_them() -> None:
    moment = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    sqlite_text = TimestampText("")
    assert sqlite_text(int(moment.timestamp())) == "2023-11-14 22:13:20"
    assert sqlite_text(moment.replace(microsecond=5)) == "2023-11-14 22:13:20.000005"
    assert TimestampText("+00:00")(int(moment.timestamp())) == "2023-11-14 22:13:20+00:00"
    # Read back through the ORM, a seeded time is the same instant on either database.
    seed(incidents=16)
    first = Incident.objects.order_by("identified_at").first()
    assert first is not None
    created = TimelineEvent.objects.get(
        ticket_type=ContentType.objects.get_for_model(Incident),
        ticket_id=first.pk,
        kind=EventKind.CREATED,
    )
    assert created.created_at == first.identified_at == first.created_at
    assert first.identified_at.tzinfo is not None


def test_worker_processes_plan_the_same_incidents() -> None:
    from demo.incidents.batches import can_fork
    from demo.incidents.loader import load_incidents
    from demo.reference import seed_reference_data

    if not can_fork():
        pytest.skip("this platform cannot fork worker processes")
    from demo.sla import seed_sla_demo

    # Times move with the clock between the two loads; everything else must repeat.
    fields = ("title", "status", "priority", "requester_id", "assignee_id", "version")
    world = seed_reference_data()
    seed_sla_demo()

    load_incidents(world, count=90, seed=11, batch_size=30, workers=1)
    first = list(Incident.objects.order_by("number").values_list(*fields))
    first_events = TimelineEvent.objects.count()
    first_comments = Comment.objects.count()
    load_incidents(world, count=90, seed=11, batch_size=30, workers=2)
    second = list(Incident.objects.order_by("number").values_list(*fields))[90:]

    assert second == first
    assert TimelineEvent.objects.count() == 2 * first_events
    assert Comment.objects.count() == 2 * first_comments


def _schema_of_loaded_tables() -> dict[str, list[tuple[str, str]]]:
    from django.db import connection

    tables = ["incidents_incident", "core_timelineevent", "core_comment", "sla_slaclock"]
    schema: dict[str, list[tuple[str, str]]] = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                "WHERE indrelid = %s::regclass ORDER BY 1",
                [table],
            )
            schema[f"{table} indexes"] = list(cursor.fetchall())
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) || ' ' || convalidated::text "
                "FROM pg_constraint WHERE conrelid = %s::regclass ORDER BY 1",
                [table],
            )
            schema[f"{table} constraints"] = list(cursor.fetchall())
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal "
                "ORDER BY 1",
                [table],
            )
            schema[f"{table} triggers"] = list(cursor.fetchall())
    return schema


@pytest.mark.postgres
def test_bulk_load_rebuilds_every_index_and_checks_every_foreign_key() -> None:
    from demo.incidents.loader import INDEXING, LOADING, load_incidents
    from demo.reference import seed_reference_data
    from demo.sla import seed_sla_demo

    world = seed_reference_data()
    seed_sla_demo()
    before = _schema_of_loaded_tables()
    stages: list[tuple[str, int, int]] = []

    result = load_incidents(
        world,
        count=400,
        seed=5,
        batch_size=100,
        bulk=True,
        workers=2,
        progress=lambda stage, done, total: stages.append((stage, done, total)),
    )

    assert result.bulk and result.incidents == Incident.objects.count() == 400
    assert _schema_of_loaded_tables() == before
    assert any(
        index.startswith("incident_open_sla_due")
        for index, _ in before["incidents_incident indexes"]
    )
    assert stages[0] == (LOADING, 0, 400)
    assert (LOADING, 400, 400) in stages
    assert stages[-1][0] == INDEXING and stages[-1][1] == stages[-1][2]
    assert TimelineEvent.objects.count() == result.events
    assert Comment.objects.count() == result.comments
    assert not TimelineEvent.objects.filter(kind=EventKind.COMMENTED, comment__isnull=True).exists()


@pytest.mark.postgres
def test_a_failed_bulk_load_leaves_tables_and_schema_as_they_were() -> None:
    from demo.incidents.loader import INDEXING, load_incidents
    from demo.reference import seed_reference_data
    from demo.sla import seed_sla_demo

    world = seed_reference_data()
    seed_sla_demo()
    before = _schema_of_loaded_tables()

    def fail_while_indexing(stage: str, done: int, total: int) -> None:
        if stage == INDEXING and done == 2:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        load_incidents(
            world, count=200, seed=5, batch_size=100, bulk=True, progress=fail_while_indexing
        )

    assert not Incident.objects.exists()
    assert not TimelineEvent.objects.exists()
    assert _schema_of_loaded_tables() == before
