"""The replays a what-if page skips (sla.whatif.page_replay) change nothing: over the demo
generator's incidents (every status, holds, reopens, cancellations, priority changes, business
hours and 24x7), the page gives the same totals and flips as replaying every ticket twice,
under its stored snapshots and under the draft, for drafts that touch some priorities, none,
or add escalating thresholds — and the shortcuts were taken."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from core.models import Service
from core.tickets.kinds import kind_named
from incidents import services
from incidents.choices import Category, Impact, ResolutionCode, Urgency
from incidents.models import Incident
from sla.models import Calendar, SlaClock
from sla.models_whatif import WhatIfFlip
from sla.replay.engine import METRICS, replay
from sla.replay.inputs import policy_book
from sla.whatif import page_replay
from sla.whatif.draft import draft_book, overrides_of
from sla.whatif.inputs import Page, page_after
from sla.whatif.outcomes import Totals, flip_direction, keys_of, replayed_outcome, stored_outcome
from sla.whatif.page_replay import Books, replay_page
from sla.whatif.services import calendar_parts
from tests.demo.seeding import seed
from tests.sla.whatif.helpers import new_scenario

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _full(kind, page: Page, books: Books, as_of: datetime, totals: Totals) -> set:  # type: ignore[no-untyped-def]
    """The definition: every ticket replayed under its stored snapshots and under the draft."""
    rules, final = kind.clock_rules, kind.lifecycle.final
    flips = set()
    for history in page.histories:
        stored = page.stored.get(history.ticket_id, {})
        pinned = {metric: clock.snapshot for metric, clock in stored.items()}
        common = {"rules": rules, "final_statuses": final, "now": as_of}
        before = {
            c.metric: c
            for c in replay(history, lookup=books.current.lookup, pinned=pinned, **common)
        }
        after = {c.metric: c for c in replay(history, lookup=books.draft.lookup, **common)}
        priority, group_id = page.current[history.ticket_id]
        for metric in METRICS:
            was, will = stored.get(metric), after.get(metric)
            if was is None and will is None:
                continue
            outcome_before, outcome_after = stored_outcome(was, as_of), replayed_outcome(will)
            totals.add(
                kind.name,
                metric,
                keys=keys_of(priority, group_id),
                before=outcome_before,
                after=outcome_after,
                escalations=(
                    before[metric].escalations if metric in before else 0,
                    will.escalations if will is not None else 0,
                ),
            )
            direction = flip_direction(outcome_before, outcome_after)
            if direction:
                flips.add((history.ticket_id, metric, direction, will.due_at if will else None))
    return flips


def _drafts() -> list[dict]:
    always = Calendar.objects.filter(is_24x7=True).values_list("pk", flat=True).first()
    return [
        {"overrides": []},
        {
            "overrides": [
                {"kind": "incident", "priority": 3, "service": None, "response_minutes": 15},
                {"kind": "incident", "priority": 4, "service": None, "calendar": always},
                {
                    "kind": "incident",
                    "priority": 2,
                    "service": None,
                    "thresholds": [{"percent": 50, "action": "escalate"}],
                },
            ]
        },
        {
            "overrides": [
                {"kind": "incident", "priority": p, "service": None, "resolution_minutes": 600}
                for p in (1, 5)
            ]
        },
    ]


def _met_at_its_due_time(end_user, agent) -> Incident:  # type: ignore[no-untyped-def]
    """An incident responded to at the very instant its response was due, then resolved well
    in time: stored met, while the replay's punctual sweeper dates a response breach at that
    instant (and escalates)."""
    with time_machine.travel(timezone.now() - timedelta(days=2), tick=False):
        incident = services.incident_create(
            requester=end_user, title="At the edge", impact=Impact.MEDIUM, urgency=Urgency.HIGH
        )
    due = SlaClock.objects.get(ticket_id=incident.pk, metric="response").due_at
    with time_machine.travel(due, tick=False):
        incident = services.incident_accept(incident, actor=agent)
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        incident = services.incident_classify(
            incident,
            actor=agent,
            category=Category.SOFTWARE,
            impact=Impact.MEDIUM,
            urgency=Urgency.HIGH,
            service=Service.objects.order_by("pk").first(),
        )
        return services.incident_resolve(
            incident, actor=agent, resolution_code=ResolutionCode.FIXED, resolution_notes="ok"
        )


def test_skipped_replays_give_what_full_replays_give(
    manager, end_user, agent_l1, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    seed(incidents=400)
    edge = _met_at_its_due_time(end_user, agent_l1)
    kind = kind_named("incident")
    first = Incident.objects.order_by("created_at").values_list("created_at", flat=True)[0]
    as_of = timezone.now()
    edge_clocks = SlaClock.objects.filter(ticket_id=edge.pk).order_by("metric")
    assert [(c.state, c.stopped_at == c.due_at) for c in edge_clocks] == [
        ("met", False),
        ("met", True),
    ]
    current = policy_book(kind)
    replays = []
    real_replay = page_replay.replay
    monkeypatch.setattr(
        page_replay, "replay", lambda *a, **k: replays.append(1) or real_replay(*a, **k)
    )
    for draft in _drafts():
        scenario = new_scenario(manager, since=first, until=as_of, draft=draft)
        books = Books(
            current, draft_book(current, "incident", overrides_of(scenario.draft), calendar_parts())
        )
        fast, slow = Totals.empty(), Totals.empty()
        fast_flips, slow_flips = set(), set()
        tickets = last = 0
        replays.clear()
        while (page := page_after(kind, scenario, last, size=100)) is not None:
            tickets += len(page.ids)
            last = page.ids[-1]
            flips: list[WhatIfFlip] = replay_page(
                kind, page, books=books, as_of=as_of, totals=fast, scenario_id=scenario.pk
            )
            fast_flips |= {(f.ticket_id, f.metric, f.direction, f.due_after) for f in flips}
            slow_flips |= _full(kind, page, books, as_of, slow)
        assert tickets >= 400
        assert fast.counts == slow.counts
        assert fast_flips == slow_flips
        # The shortcuts were taken: far fewer replays than two per ticket.
        assert len(replays) < tickets
    assert any(v[1] for v in slow.counts.values()), "the set has breaches"
