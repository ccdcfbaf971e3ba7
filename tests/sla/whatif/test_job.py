"""The what-if job: thin tasks, idempotent by token and cursor. A stale token or a second
delivery does nothing; a run interrupted after a page resumes there and ends with the same
results; a failure says so; the outbox row publishes the run on the default queue. A run in
parts gives the results of a run in one, written once by the last part to finish."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine

from core.models import OutboxMessage
from core.outbox import run_outbox_message
from incidents import services
from incidents.choices import Impact, Urgency
from sla.models_whatif import (
    WhatIfAggregate,
    WhatIfFlip,
    WhatIfPart,
    WhatIfScenario,
    WhatIfStatus,
)
from sla.whatif import run as job
from sla.whatif.run import PART_TASK, scenario_part_job, scenario_run_job
from sla.whatif.services import scenario_cancel, scenario_run
from sla.whatif.tasks import RUN_TASK, scenario_part_start, scenario_start
from tests.sla.whatif.helpers import new_scenario

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DRAFT = {"overrides": [{"kind": "incident", "priority": 5, "response_minutes": 10}]}


@pytest.fixture
def desk(end_user, agent_l1, incident_policies):  # type: ignore[no-untyped-def]
    """Six incidents responded to after an hour (each flips under a 10-minute target)."""
    for minute in range(6):
        with time_machine.travel(T0 + timedelta(minutes=minute), tick=False):
            incident = services.incident_create(
                requester=end_user, title="Printer", impact=Impact.LOW, urgency=Urgency.LOW
            )
        with time_machine.travel(T0 + timedelta(hours=1), tick=False):
            services.incident_accept(incident, actor=agent_l1)


def _results(scenario):  # type: ignore[no-untyped-def]
    return (
        sorted(WhatIfFlip.objects.filter(scenario=scenario).values_list("number", "metric")),
        sorted(
            WhatIfAggregate.objects.filter(scenario=scenario).values_list(
                "dimension", "key", "metric", "before_met", "after_breached"
            )
        ),
    )


def test_stale_token_and_second_delivery_do_nothing(desk, manager):
    queued = scenario_run(scenario=new_scenario(manager, draft=DRAFT))
    assert scenario_run_job(queued.pk, "not-a-token") == "skipped"
    assert scenario_run_job(queued.pk, "00000000-0000-0000-0000-000000000000") == "skipped"
    assert scenario_run_job(queued.pk, str(queued.run_token)) == "done"
    first = _results(queued)
    assert scenario_run_job(queued.pk, str(queued.run_token)) == "skipped"
    assert _results(queued) == first
    assert len(first[0]) == 6


def test_an_interrupted_run_resumes_after_its_last_page(desk, manager):
    queued = scenario_run(scenario=new_scenario(manager, draft=DRAFT))
    real_page = job.page_after
    pages = []

    def two_then_crash(kind, scenario, after_pk, size=2, upto=None):  # type: ignore[no-untyped-def]
        pages.append(after_pk)
        if len(pages) == 3:
            raise SystemExit("worker killed")
        return real_page(kind, scenario, after_pk, size=2, upto=upto)

    with mock.patch.object(job, "page_after", two_then_crash), pytest.raises(SystemExit):
        scenario_run_job(queued.pk, str(queued.run_token))
    row = WhatIfScenario.objects.get(pk=queued.pk)
    assert (row.status, row.done, row.total) == (WhatIfStatus.RUNNING, 4, 6)
    assert WhatIfFlip.objects.filter(scenario=row).count() == 4
    # The redelivered message resumes after the fourth ticket.
    with mock.patch.object(
        job, "page_after", lambda k, s, a, upto: real_page(k, s, a, 2, upto=upto)
    ):
        assert scenario_run_job(queued.pk, str(queued.run_token)) == "done"
    resumed = _results(row)
    again = scenario_run(scenario=row)
    assert scenario_run_job(again.pk, str(again.run_token)) == "done"
    assert _results(row) == resumed
    assert WhatIfScenario.objects.get(pk=row.pk).done == 6


def test_a_cancelled_run_stops_before_its_next_page(desk, manager):
    queued = scenario_run(scenario=new_scenario(manager, draft=DRAFT))
    real_page = job.page_after

    def cancel_after_first(kind, scenario, after_pk, upto):  # type: ignore[no-untyped-def]
        if after_pk:
            WhatIfScenario.objects.filter(pk=scenario.pk).update(status=WhatIfStatus.CANCELLED)
        return real_page(kind, scenario, after_pk, size=2, upto=upto)

    with mock.patch.object(job, "page_after", cancel_after_first):
        assert scenario_run_job(queued.pk, str(queued.run_token)) == "stopped"
    row = WhatIfScenario.objects.get(pk=queued.pk)
    assert row.status == WhatIfStatus.CANCELLED
    assert not WhatIfAggregate.objects.filter(scenario=row).exists()


def test_a_failing_run_says_why(desk, manager):
    queued = scenario_run(scenario=new_scenario(manager, draft=DRAFT))
    with mock.patch.object(job, "replay_page", side_effect=ValueError("bad history")):
        assert scenario_run_job(queued.pk, str(queued.run_token)) == "failed"
    row = WhatIfScenario.objects.get(pk=queued.pk)
    assert row.status == WhatIfStatus.FAILED
    assert row.error == "ValueError: bad history"


def test_the_outbox_row_publishes_the_run(desk, manager, settings):
    queued = scenario_run(scenario=new_scenario(manager, draft=DRAFT))
    message = OutboxMessage.objects.get(task_name="sla_whatif.start")
    with mock.patch("sla.whatif.tasks.scenario_run_task.apply_async") as publish:
        assert run_outbox_message(message.pk, scenario_start.handler)
    publish.assert_called_once_with(args=(queued.pk, str(queued.run_token)), retry=False)
    # Not routed to the sweeper's queue: `sla.*` goes to "sla", the job to the default queue.
    from config.celery import app

    route = app.amqp.router.route
    assert route({}, "sla.sweep")["queue"].name == "sla"
    assert route({}, RUN_TASK)["queue"].name == app.conf.task_default_queue == "default"


def test_parts_replay_side_by_side_and_the_last_one_writes_the_results(
    desk, manager, settings, monkeypatch
):
    whole = scenario_run(scenario=new_scenario(manager, draft=DRAFT))
    assert scenario_run_job(whole.pk, str(whole.run_token)) == "done"
    settings.SLA_WHATIF_PARTS = 3
    monkeypatch.setattr(job, "MIN_PART_SIZE", 1)
    queued = scenario_run(scenario=new_scenario(manager, draft=DRAFT))
    token = str(queued.run_token)
    assert scenario_run_job(queued.pk, token) == "finished"
    parts = list(WhatIfPart.objects.filter(scenario=queued).order_by("index"))
    assert [p.index for p in parts] == [0, 1, 2]
    assert [p.finished for p in parts] == [True, False, False]
    # Each further part is queued through the outbox, once, with the run's token.
    queued_parts = OutboxMessage.objects.filter(task_name=PART_TASK).order_by("pk")
    assert [m.payload for m in queued_parts] == [
        {"scenario": queued.pk, "token": token, "part": index} for index in (1, 2)
    ]
    with mock.patch("sla.whatif.tasks.scenario_part_task.apply_async") as publish:
        assert run_outbox_message(queued_parts[0].pk, scenario_part_start.handler)
    publish.assert_called_once_with(args=(queued.pk, token, 1), retry=False)
    assert scenario_part_job(queued.pk, "00000000-0000-0000-0000-000000000000", 2) == "skipped"
    assert scenario_part_job(queued.pk, token, 2) == "finished"
    assert scenario_part_job(queued.pk, token, 2) == "skipped"
    row = WhatIfScenario.objects.get(pk=queued.pk)
    assert row.status == WhatIfStatus.RUNNING
    assert row.done == sum(p.done for p in WhatIfPart.objects.filter(scenario=row)) < 6
    assert not WhatIfAggregate.objects.filter(scenario=row).exists()
    assert scenario_part_job(queued.pk, token, 1) == "done"
    row = WhatIfScenario.objects.get(pk=queued.pk)
    assert (row.status, row.done, row.total) == (WhatIfStatus.DONE, 6, 6)
    assert sorted(p.done for p in WhatIfPart.objects.filter(scenario=row)) == [2, 2, 2]
    assert _results(row) == _results(whole)
    assert scenario_part_job(queued.pk, token, 1) == "skipped"


def test_a_part_interrupted_resumes_and_a_cancelled_run_stops_every_part(
    desk, manager, settings, monkeypatch
):
    settings.SLA_WHATIF_PARTS = 2
    monkeypatch.setattr(job, "MIN_PART_SIZE", 1)
    queued = scenario_run(scenario=new_scenario(manager, draft=DRAFT))
    token = str(queued.run_token)
    real_page = job.page_after
    calls = []

    def one_then_crash(kind, scenario, after_pk, upto):  # type: ignore[no-untyped-def]
        calls.append(after_pk)
        if len(calls) == 2:
            raise SystemExit("worker killed")
        return real_page(kind, scenario, after_pk, 2, upto=upto)

    with mock.patch.object(job, "page_after", one_then_crash), pytest.raises(SystemExit):
        scenario_run_job(queued.pk, token)
    part = WhatIfPart.objects.get(scenario=queued, index=0)
    assert (part.done, part.finished) == (2, False)
    with mock.patch.object(
        job, "page_after", lambda k, s, a, upto: real_page(k, s, a, 2, upto=upto)
    ):
        assert scenario_run_job(queued.pk, token) == "finished"
        assert WhatIfPart.objects.get(pk=part.pk).done == 3
        scenario_cancel(scenario=WhatIfScenario.objects.get(pk=queued.pk))
        assert scenario_part_job(queued.pk, token, 1) == "skipped"
    row = WhatIfScenario.objects.get(pk=queued.pk)
    assert (row.status, row.done) == (WhatIfStatus.CANCELLED, 3)
    assert not WhatIfAggregate.objects.filter(scenario=row).exists()
