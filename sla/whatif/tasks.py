"""Celery entry points of the what-if job. Thin: ids and the run's token in, sla.whatif.run
called.

Named `sla_whatif.*`, not `sla.*`: settings.CELERY_TASK_ROUTES sends `sla.*` to the sla queue,
which must stay free for the sweeper; a replay of a year is report work and runs on the default
queue. The run request is an outbox row (sla.whatif.services.scenario_run), and so is each
further part of a run (sla.whatif.run.PART_TASK); their handlers here only publish the jobs, so
a long replay never holds an outbox row's running lease.
"""

from typing import Any

from celery import shared_task

from core.outbox import TransientError, outbox_task
from sla.whatif.run import PART_TASK, scenario_part_job, scenario_run_job
from sla.whatif.services import START_TASK

RUN_TASK = "sla_whatif.run"
RUN_PART_TASK = "sla_whatif.run_part"


@shared_task(name=RUN_TASK, acks_late=True, ignore_result=True)
def scenario_run_task(scenario_id: int, token: str) -> str:
    """Start or resume the scenario's current run and replay its first part (a stale token or
    a finished run: nothing)."""
    return scenario_run_job(scenario_id, token)


@shared_task(name=RUN_PART_TASK, acks_late=True, ignore_result=True)
def scenario_part_task(scenario_id: int, token: str, index: int) -> str:
    """Replay or resume one further part of the scenario's current run."""
    return scenario_part_job(scenario_id, token, index)


def _publish(task: Any, args: tuple[Any, ...]) -> None:
    try:
        task.apply_async(args=args, retry=False)
    except Exception as exc:
        raise TransientError(f"publish: {exc}") from exc


@outbox_task(START_TASK)
def scenario_start(payload: dict[str, Any]) -> None:
    """Publish the run; an unreachable broker is retried by the outbox."""
    _publish(scenario_run_task, (int(payload["scenario"]), str(payload["token"])))


@outbox_task(PART_TASK)
def scenario_part_start(payload: dict[str, Any]) -> None:
    """Publish one further part of a run; an unreachable broker is retried by the outbox."""
    _publish(
        scenario_part_task,
        (int(payload["scenario"]), str(payload["token"]), int(payload["part"])),
    )
