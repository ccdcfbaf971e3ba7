"""Celery entry points of the what-if job. Thin: ids and the run's token in, sla.whatif.run
called.

Named `sla_whatif.*`, not `sla.*`: settings.CELERY_TASK_ROUTES sends `sla.*` to the sla queue,
which must stay free for the sweeper; a replay of a year is report work and runs on the default
queue. The run request is an outbox row (sla.whatif.services.scenario_run); its handler here
only publishes the job, so the long replay never holds an outbox row's running lease.
"""

from typing import Any

from celery import shared_task

from core.outbox import TransientError, outbox_task
from sla.whatif.run import scenario_run_job
from sla.whatif.services import START_TASK

RUN_TASK = "sla_whatif.run"


@shared_task(name=RUN_TASK, acks_late=True, ignore_result=True)
def scenario_run_task(scenario_id: int, token: str) -> str:
    """Run or resume the scenario's current run (a stale token or a finished run: nothing)."""
    return scenario_run_job(scenario_id, token)


@outbox_task(START_TASK)
def scenario_start(payload: dict[str, Any]) -> None:
    """Publish the run; an unreachable broker is retried by the outbox."""
    try:
        scenario_run_task.apply_async(
            args=(int(payload["scenario"]), str(payload["token"])), retry=False
        )
    except Exception as exc:
        if isinstance(exc, (KeyError, ValueError, TypeError)):
            raise
        raise TransientError(f"publish: {exc}") from exc
