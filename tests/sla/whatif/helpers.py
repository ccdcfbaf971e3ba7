"""Shared steps of the what-if tests: a scenario through the service, run through the job."""

from datetime import UTC, datetime
from typing import Any

from sla.models_whatif import WhatIfScenario
from sla.whatif.run import scenario_run_job
from sla.whatif.services import ScenarioInput, scenario_create, scenario_run

SINCE = datetime(2026, 1, 1, tzinfo=UTC)
UNTIL = datetime(2027, 1, 1, tzinfo=UTC)


def scenario_input(**changes: Any) -> ScenarioInput:
    fields: dict[str, Any] = {
        "name": "Faster P3",
        "since": SINCE,
        "until": UNTIL,
        "kinds": ["incident"],
        "draft": {"overrides": []},
    }
    fields.update(changes)
    return ScenarioInput(**fields)


def new_scenario(manager: Any, **changes: Any) -> WhatIfScenario:
    return scenario_create(actor=manager, data=scenario_input(**changes))


def run_now(scenario: WhatIfScenario) -> WhatIfScenario:
    """Queue a run and run the job in this process (as the worker would)."""
    queued = scenario_run(scenario=scenario)
    assert scenario_run_job(queued.pk, str(queued.run_token)) == "done"
    return WhatIfScenario.objects.get(pk=scenario.pk)
