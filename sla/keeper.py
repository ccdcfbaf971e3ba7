"""The SLA engine's side of the kernel: how every kind's clocks follow its lifecycle.

Installed into core.tickets.clocks from SlaConfig.ready(). A kind declares its `ClockRules`
(which statuses cancel, pause, meet the response or the resolution target); this applies them
inside the transition's transaction, so a transition and its clocks commit together.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.models import TicketBase, User
from core.tickets.clocks import ClockPlan
from core.tickets.events import event_record, sla_event_build
from core.tickets.kinds import TicketKind
from core.tickets.portal_spec import Expectation
from sla import services as sla
from sla.choices import ClockState, Metric
from sla.models import SlaClock
from sla.row_clocks import row_clocks_for_tickets
from sla.selectors import ClockStatus, clock_status, ticket_sla


@dataclass(frozen=True)
class PanelClock:
    """A clock as the agent page shows it: its status, the kind's name for its target, and its
    warning instant, so the page can turn the badge "at risk" and then "breached" live."""

    status: ClockStatus
    label: str
    warn_at: datetime | None


class SlaClockKeeper:
    def plan(
        self, kind: TicketKind, *, priority: int, service_id: int | None, started_at: datetime
    ) -> ClockPlan:
        clocks = sla.clocks_plan(
            kind=kind.name, priority=priority, service_id=service_id, started_at=started_at
        )
        due, warn = sla.nearest_deadlines(clocks)
        return ClockPlan(clocks, due, warn)

    def start(self, ticket: TicketBase, kind: TicketKind, plan: ClockPlan) -> list[SlaClock]:
        return sla.clocks_save(ticket, plan.clocks)

    def follow(
        self,
        ticket: TicketBase,
        kind: TicketKind,
        *,
        from_status: str,
        to_status: str,
        changed: Mapping[str, Any],
        actor: User | None,
        source: str,
    ) -> None:
        rules = kind.clock_rules
        if rules is None:
            return
        if to_status in rules.cancel_on:
            sla.clocks_cancel(ticket)
            return
        if to_status in rules.pause_in and from_status not in rules.pause_in:
            sla.clocks_pause(ticket)
        elif from_status in rules.pause_in and to_status not in rules.pause_in:
            sla.clocks_resume(ticket)
        if to_status in rules.response_met_on:
            sla.clock_stop(ticket, metric=Metric.RESPONSE)
        if to_status in rules.resolution_met_on:
            sla.clock_stop(ticket, metric=Metric.RESOLUTION)
        elif from_status in rules.resolution_met_on and to_status not in kind.lifecycle.final:
            sla.clock_reopen(ticket, metric=Metric.RESOLUTION)
        if rules.retarget_on & set(changed):
            self.retarget(ticket, kind, actor=actor, source=source)

    def panel(self, ticket: TicketBase, kind: TicketKind, now: datetime) -> dict[str, Any]:
        labels = kind.clock_rules.metric_labels if kind.clock_rules is not None else {}
        # Read as a list row's clocks are (sla.row_clocks: a kept statement, the columns the
        # panel shows, the snapshot's policy name and calendar only): reading whole clocks
        # built the query and decoded every snapshot on every agent ticket page (issue 18).
        clocks = row_clocks_for_tickets([ticket])[ticket.pk]
        statuses = [clock_status(clock, now) for clock in clocks]
        return {
            "sla_clocks": [
                PanelClock(status, labels.get(clock.metric, status.metric_label), clock.warn_at)
                for status, clock in zip(statuses, clocks, strict=True)
            ],
            "sla": ticket_sla(clocks, now),
        }

    def promises(self, ticket: TicketBase, kind: TicketKind, now: datetime) -> list[Expectation]:
        spec = kind.portal
        if spec is None:
            return []
        # The clocks' metric, state and due time, through the kept statement of a list's clocks
        # (sla.row_clocks): the portal ticket page compiled this query on every view.
        clocks = row_clocks_for_tickets([ticket])[ticket.pk]
        lines = []
        for clock in clocks:
            if clock.state != ClockState.RUNNING or clock.due_at is None:
                continue
            aim = spec.sla_aims.get(clock.metric, spec.sla_aims[Metric.RESOLUTION])
            if clock.due_at > now:
                lines.append(Expectation(f"We aim to {aim} by", clock.due_at))
            else:
                lines.append(Expectation(f"We aimed to {aim} by", clock.due_at, tone="late"))
        if any(clock.state == ClockState.PAUSED for clock in clocks):
            lines.append(Expectation(spec.paused(ticket)))
        return lines

    def retarget(
        self, ticket: TicketBase, kind: TicketKind, *, actor: User | None, source: str
    ) -> None:
        retargeted = sla.clocks_retarget(ticket, kind=kind.name)
        if retargeted:
            event_record(
                ticket,
                sla_event_build(
                    ticket,
                    actor=actor,
                    source=source,
                    message=f"SLA re-targeted for priority P{ticket.priority}.",
                    details={"priority": ticket.priority, "clocks": retargeted},
                ),
            )
