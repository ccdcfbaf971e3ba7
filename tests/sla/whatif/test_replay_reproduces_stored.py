"""The same replay under the current policies reproduces the stored outcomes: tickets driven
through the real services (holds, priority changes, reopens, a cancellation, a late resolution)
and a scenario with no overrides give zero flips and identical before/after aggregates. A draft
that tightens a target flips exactly the clocks it should, and no stored clock moves."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents import services
from incidents.bulk import incident_change_priority
from incidents.choices import Category, Impact, ResolutionCode, Urgency
from sla.models import SlaClock
from sla.models_whatif import FlipDirection, WhatIfAggregate, WhatIfFlip, WhatIfStatus
from tests.sla.whatif.helpers import new_scenario, run_now

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 6, 1, tzinfo=UTC)


def at(hours: float):  # type: ignore[no-untyped-def]
    return time_machine.travel(T0 + timedelta(hours=hours), tick=False)


def _desk(end_user, agent, service):  # type: ignore[no-untyped-def]
    """Five incidents at priority 5 (respond 5h, resolve 40h) with every kind of history."""

    def new():  # type: ignore[no-untyped-def]
        return services.incident_create(
            requester=end_user, title="VPN drops", impact=Impact.LOW, urgency=Urgency.LOW
        )

    def classify(incident):  # type: ignore[no-untyped-def]
        return services.incident_classify(
            incident,
            actor=agent,
            category=Category.SOFTWARE,
            impact=Impact.LOW,
            urgency=Urgency.LOW,
            service=service,
        )

    def resolve(incident):  # type: ignore[no-untyped-def]
        incident = classify(incident) if incident.status == "logged" else incident
        return services.incident_resolve(
            incident, actor=agent, resolution_code=ResolutionCode.FIXED, resolution_notes="ok"
        )

    with at(0):
        held, reopened, bumped, late, cancelled = (new() for _ in range(5))
    with at(1):
        held = services.incident_accept(held, actor=agent)
        reopened = services.incident_accept(reopened, actor=agent)
        bumped = services.incident_accept(bumped, actor=agent)
        services.incident_cancel(cancelled, actor=agent, cancel_reason="duplicate")
        reopened = classify(reopened)
    with at(2):
        held = services.incident_hold(held, actor=agent, on_hold_reason="awaiting_user")
        incident_change_priority(bumped, actor=agent, priority=4, reason="VIP")
    with at(12):
        held = services.incident_resume(held, actor=agent)
        reopened = resolve(reopened)
    with at(14):
        reopened = services.incident_reopen(reopened, actor=end_user, reason="Still broken")
    with at(30):
        resolve(held)
        resolve(reopened)
    with at(50):
        late = services.incident_accept(late, actor=agent)
    with at(60):
        resolve(late)


def _aggregates(scenario):  # type: ignore[no-untyped-def]
    return list(
        WhatIfAggregate.objects.filter(scenario=scenario)
        .order_by("kind", "dimension", "key", "metric")
        .values_list(
            "dimension",
            "key",
            "metric",
            "before_met",
            "before_breached",
            "before_escalations",
            "after_met",
            "after_breached",
            "after_escalations",
        )
    )


def _stored():  # type: ignore[no-untyped-def]
    return list(SlaClock.objects.order_by("pk").values())


def test_no_overrides_reproduce_the_stored_outcomes(
    end_user, agent_l1, l1_group, service, incident_policies, manager
):
    _desk(end_user, agent_l1, service)
    stored = _stored()
    with time_machine.travel(LATER, tick=False):
        scenario = run_now(new_scenario(manager))
    assert scenario.status == WhatIfStatus.DONE
    assert (scenario.done, scenario.total) == (5, 5)
    assert WhatIfFlip.objects.filter(scenario=scenario).count() == 0
    rows = _aggregates(scenario)
    assert rows, "a run with tickets has results"
    for _dim, _key, _metric, bm, bb, be, am, ab, ae in rows:
        assert (bm, bb, be) == (am, ab, ae)
    by_metric = {(d, k, m): r for d, k, m, *r in rows}
    # The late incident breached both targets (responded at 50h > 5h, resolved at 60h > 40h);
    # the one bumped to P4 responded in 1h; the held one met both (10h on hold never count).
    # Per group: the late incident breached both targets (responded at 50h > 5h, resolved at
    # 60h > 40h); the one bumped to P4 breached its resolution (never resolved); the cancelled
    # one counts neither way.
    response = by_metric[("group", l1_group.pk, "response")]
    resolution = by_metric[("group", l1_group.pk, "resolution")]
    assert response[:2] == [3, 1]
    assert resolution[:2] == [2, 2]
    assert _stored() == stored


def test_a_tighter_target_flips_met_clocks_and_counts_escalations(
    end_user, agent_l1, service, incident_policies, manager
):
    _desk(end_user, agent_l1, service)
    stored = _stored()
    draft = {
        "overrides": [
            {
                "kind": "incident",
                "priority": 5,
                "service": None,
                "response_minutes": 30,
                "thresholds": [{"percent": 50, "action": "escalate"}],
            }
        ]
    }
    with time_machine.travel(LATER, tick=False):
        scenario = run_now(new_scenario(manager, draft=draft))
    flips = list(WhatIfFlip.objects.filter(scenario=scenario).order_by("number"))
    # Accepted after 1h under a 30 min response target: met before, breached after.
    assert {f.metric for f in flips} == {"response"}
    assert {f.direction for f in flips} == {FlipDirection.MET_TO_BREACHED}
    assert len(flips) == 3
    assert all(f.due_after < f.due_before for f in flips)
    # One of the three is now P4 (bumped after its response): results go by current priority.
    by_priority = {
        row.key: row
        for row in WhatIfAggregate.objects.filter(
            scenario=scenario, dimension="priority", metric="response"
        )
    }
    assert by_priority[5].after_breached == by_priority[5].before_breached + 2
    assert by_priority[4].after_breached == by_priority[4].before_breached + 1
    group = WhatIfAggregate.objects.get(scenario=scenario, dimension="group", metric="response")
    assert (group.before_met, group.after_met) == (3, 0)
    # Under the draft each clock past 15 min crosses the 50 % "escalate" threshold and each
    # breach escalates: +2 for the three flipped, +1 for the late one (it breached before too),
    # +2 for the cancelled one (it breached at 30 min, before its cancellation at 1h, though a
    # cancelled clock counts neither met nor breached).
    assert group.after_escalations == group.before_escalations + 2 * 3 + 1 + 2
    assert _stored() == stored
