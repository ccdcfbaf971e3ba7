"""Plans one demo incident in memory: its row, its timeline and maybe a comment. No queries.

A plan follows the lifecycle (incidents.transitions): only the milestones its status has reached
are set, in order (identified ≤ logged ≤ classified ≤ contained ≤ diagnosed ≤ resolved ≤ closed;
a hold or a cancellation comes last), security and major incidents are contained before
diagnosis or resolution, unaccepted incidents are unassigned, and every milestone has its
`status_changed` event at the same instant. Ages depend on the status, so the data looks like a
desk that has been running for six months: closed work spread over the whole period, open work
recent, resolved work younger than the auto-close delay.

This runs once per generated incident (a million times for the largest loads), so weighted
choices use precomputed cumulative weights, times are integer seconds since the epoch (UTC)
rather than datetimes, and events are lists in shape.EVENT_FIELDS order.
"""

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from itertools import accumulate
from typing import Any

from core.choices import EventKind
from incidents.choices import CancelReason, Category, HoldReason
from incidents.demo.catalog import SERVICES, SITES
from incidents.demo.reference import DemoWorld
from incidents.demo.rows import JSONText
from incidents.demo.shape import (
    AUTO_CLOSE_SHARE,
    BUSINESS_HOUR_CUM,
    BUSINESS_HOURS,
    CANCEL_AFTER_MINUTES,
    CANCEL_FROM,
    CANCEL_FROM_CUM,
    CANCELLED,
    CLASSIFIED,
    CLOSED,
    COMMENT_SHARE,
    CONFIRM_CLOSE_HOURS,
    CONTAINED,
    DAY,
    DIAGNOSED,
    EMAIL,
    EVENT_AT,
    HIGH,
    HISTORY_DAYS,
    HOLD_AFTER_MINUTES,
    HOLD_FROM,
    HOLD_FROM_CUM,
    HOUR,
    IDENTIFIED,
    LEVELS,
    LOGGED,
    MILESTONE_FIELD,
    MINUTE,
    OFF_HOURS_SHARE,
    ON_HOLD,
    PACE,
    RESOLVED,
    SECURITY,
    STATUS_CHANGED,
    STATUS_WEIGHTS,
    STEP_MINUTES,
    SYSTEM,
    WEB,
    Coverage,
    Row,
)
from incidents.demo.templates import (
    AGENT_REPLIES,
    CANCEL_NOTES,
    HOLD_NOTES,
    INTERNAL_NOTES,
    REQUESTER_REPLIES,
    TEMPLATES,
    IncidentTemplate,
)
from incidents.priority import priority_for


@dataclass
class PlannedIncident:
    """An incident row (a dict by field attname), its events and maybe a comment (lists in
    EVENT_FIELDS and COMMENT_FIELDS order). Times are epoch seconds.

    The loader fills in the events' and the comment's ticket id once the incident has its id,
    and the comment id of `comment_event` once the comment has its id.
    """

    incident: Row
    events: list[list[Any]]
    comment: list[Any] | None = None
    comment_event: list[Any] | None = None


class IncidentPlanner:
    """Turns (status, report time, random stream) into a PlannedIncident for one DemoWorld."""

    def __init__(
        self,
        world: DemoWorld,
        *,
        now: datetime,
        local_tz: tzinfo,
        ticket_type_id: int,
        autoclose_days: int,
    ) -> None:
        self.world = world
        self.now = int(now.timestamp())
        self.local_tz = local_tz
        self.ticket_type_id = ticket_type_id
        self.autoclose = max(autoclose_days, 1) * DAY
        self.templates = [t for t in TEMPLATES if t.service in world.service_id]
        if not self.templates:
            raise RuntimeError("None of the demo services exist; seed the reference data first.")
        weight = {spec.name: spec.weight for spec in SERVICES}
        per_service: dict[str, int] = {}
        for template in self.templates:
            per_service[template.service] = per_service.get(template.service, 0) + 1
        # A service breaks as often as its weight says, however many templates it has.
        self.template_cum = list(
            accumulate(weight[t.service] / per_service[t.service] for t in self.templates)
        )
        self.security_templates = [t for t in self.templates if t.category == SECURITY]
        self.major_templates = [t for t in self.templates if t.can_be_major]
        self.statuses = list(STATUS_WEIGHTS)
        self.status_cum = list(accumulate(STATUS_WEIGHTS.values()))
        self._encoded: dict[tuple[tuple[str, Any], ...], JSONText] = {}
        self.first_line = world.first_line_group_id
        self.first_line_agents = world.group_members[self.first_line]
        resolved_oldest = max(self.autoclose - DAY, 3 * HOUR)
        # Age of the report in seconds, per status: (youngest, oldest).
        self.start_age: dict[str, tuple[float, float]] = {
            IDENTIFIED: (5 * MINUTE, 2 * DAY),
            LOGGED: (30 * MINUTE, 4 * DAY),
            CLASSIFIED: (1 * HOUR, 10 * DAY),
            CONTAINED: (2 * HOUR, 10 * DAY),
            DIAGNOSED: (3 * HOUR, 14 * DAY),
            ON_HOLD: (3 * HOUR, 30 * DAY),
            RESOLVED: (3 * HOUR, resolved_oldest),
            CLOSED: (self.autoclose + DAY, HISTORY_DAYS * DAY),
            CANCELLED: (1 * HOUR, HISTORY_DAYS * DAY),
        }

    # --- phase 1: what and when -------------------------------------------------------------

    def pick_status(self, rng: random.Random) -> str:
        return rng.choices(self.statuses, cum_weights=self.status_cum)[0]

    def start_time(self, rng: random.Random, status: str) -> int:
        """When the incident was reported (epoch seconds): inside its status's age window,
        mostly during office hours in the local time zone."""
        youngest, oldest = self.start_age[status]
        start = self.now - int(rng.uniform(youngest, oldest))
        if rng.random() < OFF_HOURS_SHARE:
            return start
        local = datetime.fromtimestamp(start, tz=UTC).astimezone(self.local_tz)
        hour = rng.choices(BUSINESS_HOURS, cum_weights=BUSINESS_HOUR_CUM)[0]
        candidate = local.replace(
            hour=hour, minute=rng.randrange(60), second=rng.randrange(60), microsecond=0
        )
        if candidate.weekday() >= 5 and rng.random() < 0.9:
            candidate -= timedelta(days=candidate.weekday() - 4)  # back to Friday
        moment = int(candidate.timestamp())
        # Off-hours reports exist: keep the raw time when office hours fall outside the window.
        return moment if youngest <= self.now - moment <= oldest else start

    # --- phase 2: the whole incident --------------------------------------------------------

    def plan(
        self,
        rng: random.Random,
        *,
        number: str,
        status: str,
        start: int,
        coverage: Coverage | None = None,
    ) -> PlannedIncident:
        world = self.world
        cov = coverage or Coverage(status)
        template = self._template(rng, cov)
        impact, urgency = self._impact_urgency(rng, template, cov)
        priority = priority_for(impact, urgency)
        site = rng.choice(SITES)
        if coverage is not None or rng.random() < 0.03:
            requester = world.demo_requester_id
        else:
            requester = rng.choice(world.requester_ids)

        before = status
        if status == ON_HOLD:
            before = rng.choices(HOLD_FROM, cum_weights=HOLD_FROM_CUM)[0]
        elif status == CANCELLED:
            before = rng.choices(CANCEL_FROM, cum_weights=CANCEL_FROM_CUM)[0]
        classified = before not in (IDENTIFIED, LOGGED)
        is_major = (
            classified
            and template.can_be_major
            and impact == HIGH
            and (cov.major or rng.random() < 0.3)
        )
        needs_containment = is_major or (classified and template.category == SECURITY)
        reached = self._reached(rng, before, needs_containment=needs_containment)
        at = self._moments(rng, start, reached, status=status, priority=priority)

        group, assignee, accept_agent = self.first_line, None, None
        if LOGGED in at:
            accept_agent = rng.choice(self.first_line_agents)
            assignee = accept_agent
        ci_id = None
        if classified:
            group = self._resolver_group(rng, template, is_major=is_major)
            if group != self.first_line or rng.random() > 0.7:
                assignee = rng.choice(world.group_members[group])
            ci_id = world.ci_id.get((template.service, template.ci))
            if ci_id is None and world.cis_of_service[template.service]:
                ci_name = rng.choice(world.cis_of_service[template.service])
                ci_id = world.ci_id[(template.service, ci_name)]

        incident: Row = {
            "number": number,
            "title": template.title.format(site=site, ci=template.ci)[:200],
            "description": f"{template.description}\n\nReported from {site}.",
            "requester_id": requester,
            "assignee_id": assignee,
            "support_group_id": group,
            "tier": world.group_tier[group],
            "priority": priority,
            "service_id": world.service_id[template.service],
            "configuration_item_id": ci_id,
            "source": WEB if rng.random() < 0.7 else EMAIL,
            "status": status,
            "category": template.category.value if classified else "",
            "impact": impact,
            "urgency": urgency,
            "is_major": is_major,
            "on_hold_reason": "",
            "status_before_hold": before if status == ON_HOLD else "",
            "containment_notes": template.containment if CONTAINED in at else "",
            "diagnosis_notes": template.diagnosis if DIAGNOSED in at else "",
            "resolution_code": template.resolution_code.value if RESOLVED in at else "",
            "resolution_notes": template.resolution if RESOLVED in at else "",
            "cancel_reason": "",
            "reopen_count": 0,
            "identified_at": start,
            "created_at": start,
        }
        for milestone, field in MILESTONE_FIELD.items():
            incident[field] = at.get(milestone)
        note = ""
        if status == ON_HOLD:
            incident["on_hold_reason"] = cov.hold_reason or rng.choice(HoldReason.values)
            note = rng.choice(HOLD_NOTES[incident["on_hold_reason"]])
        elif status == CANCELLED:
            incident["cancel_reason"] = cov.cancel_reason or rng.choice(CancelReason.values)
            note = rng.choice(CANCEL_NOTES[incident["cancel_reason"]])

        events = self._events(
            rng, incident, at=at, template=template, accept_agent=accept_agent, note=note
        )
        incident["updated_at"] = events[-1][EVENT_AT]
        # Every transition bumped `version` once, as the services do.
        incident["version"] = len(events)
        planned = PlannedIncident(incident=incident, events=events)
        self._comment(rng, planned, accept_agent=accept_agent)
        return planned

    def _template(self, rng: random.Random, cov: Coverage) -> IncidentTemplate:
        if cov.security and self.security_templates:
            return rng.choice(self.security_templates)
        if cov.major and self.major_templates:
            return rng.choice(self.major_templates)
        return rng.choices(self.templates, cum_weights=self.template_cum)[0]

    @staticmethod
    def _impact_urgency(
        rng: random.Random, template: IncidentTemplate, cov: Coverage
    ) -> tuple[str, str]:
        if cov.major:
            return HIGH, HIGH
        impact, urgency = template.impact.value, template.urgency.value
        # A quarter of reporters see it one level worse or milder than the typical case.
        if rng.random() < 0.25:
            level = LEVELS.index(impact) + (1 if rng.random() < 0.5 else -1)
            impact = LEVELS[min(max(level, 0), 2)]
        if rng.random() < 0.25:
            level = LEVELS.index(urgency) + (1 if rng.random() < 0.5 else -1)
            urgency = LEVELS[min(max(level, 0), 2)]
        return impact, urgency

    @staticmethod
    def _reached(rng: random.Random, before: str, *, needs_containment: bool) -> list[str]:
        """The working milestones passed on the way to `before` (which is included)."""
        if before == IDENTIFIED:
            return []
        if before == LOGGED:
            return [LOGGED]
        path = [LOGGED, CLASSIFIED]
        if before == CLASSIFIED:
            return path
        if before == CONTAINED or needs_containment or rng.random() < 0.15:
            path.append(CONTAINED)
        if before == CONTAINED:
            return path
        if before == DIAGNOSED or rng.random() < 0.6:
            path.append(DIAGNOSED)
        if before == DIAGNOSED:
            return path
        path.append(RESOLVED)
        if before == CLOSED:
            path.append(CLOSED)
        return path

    def _moments(
        self,
        rng: random.Random,
        start: int,
        reached: list[str],
        *,
        status: str,
        priority: int,
    ) -> dict[str, int]:
        """When each reached milestone (and the hold or cancellation) happened, never after now."""
        pace = PACE[priority] * MINUTE
        triangular = rng.triangular
        offsets: list[tuple[str, float]] = []
        elapsed = 0.0
        for milestone in reached:
            if milestone != CLOSED:
                elapsed += max(MINUTE, triangular(*STEP_MINUTES[milestone]) * pace)
                offsets.append((milestone, elapsed))
        if status == ON_HOLD:
            elapsed += triangular(*HOLD_AFTER_MINUTES) * MINUTE
            offsets.append((ON_HOLD, elapsed))
        elif status == CANCELLED:
            elapsed += triangular(*CANCEL_AFTER_MINUTES) * MINUTE
            offsets.append((CANCELLED, elapsed))
        room = self.now - start - MINUTE
        auto_closed = False
        if reached and reached[-1] == CLOSED:
            auto_close_at = elapsed + self.autoclose + rng.uniform(0, HOUR)
            if rng.random() < AUTO_CLOSE_SHARE and auto_close_at <= room:
                auto_closed = True
                offsets.append((CLOSED, auto_close_at))
            else:
                elapsed += triangular(*CONFIRM_CLOSE_HOURS) * HOUR
                offsets.append((CLOSED, elapsed))
        if offsets and not auto_closed and offsets[-1][1] > room:
            # Squeeze the whole history between the report and now, keeping its shape.
            scale = max(room, 0.0) / offsets[-1][1]
            offsets = [(milestone, offset * scale) for milestone, offset in offsets]
        moments = {IDENTIFIED: start}
        for milestone, offset in offsets:
            moments[milestone] = start + int(offset)
        return moments

    def _resolver_group(
        self, rng: random.Random, template: IncidentTemplate, *, is_major: bool
    ) -> int:
        world = self.world
        owner = world.service_owner.get(template.service, self.first_line)
        if owner not in world.group_members:
            owner = self.first_line
        roll = rng.random()
        if is_major:
            return world.third_line_group_id if roll < 0.3 else owner
        if roll < 0.5:
            return self.first_line
        if roll < 0.9 or template.category not in (Category.SOFTWARE, Category.DATA):
            return owner
        return world.third_line_group_id

    def _same(self, changes: dict[str, Any]) -> JSONText:
        """`changes` encoded once for all events with the same values (most repeat: the same
        template notes, the same impact and urgency), because encoding is a large part of a load."""
        key = tuple(changes.items())
        text = self._encoded.get(key)
        if text is None:
            text = self._encoded[key] = JSONText(json.dumps(changes))
        return text

    def _event(
        self,
        at: int,
        actor: int | None,
        *,
        kind: str = STATUS_CHANGED,
        move: tuple[str, str] = ("", ""),
        changes: dict[str, Any] | JSONText | None = None,
        message: str = "",
        source: str = WEB,
        is_public: bool = True,
    ) -> list[Any]:
        """One event as a list in EVENT_FIELDS order (ticket and comment ids filled later)."""
        from_status, to_status = move
        return [
            None,
            None,
            self.ticket_type_id,
            actor,
            source,
            kind,
            from_status,
            to_status,
            changes or {},
            message,
            is_public,
            at,
        ]

    def _events(
        self,
        rng: random.Random,
        incident: Row,
        *,
        at: dict[str, int],
        template: IncidentTemplate,
        accept_agent: int | None,
        note: str,
    ) -> list[list[Any]]:
        """The timeline as the services write it: `created`, then one `status_changed` event at
        the instant of each milestone with the fields that transition set. The accepting agent
        takes the incident; classification names the resolving group and agent."""
        world = self.world
        assignee = incident["assignee_id"]
        labels = world.user_label
        created = {
            "priority": incident["priority"],
            "impact": incident["impact"],
            "urgency": incident["urgency"],
        }
        events = [
            self._event(
                at[IDENTIFIED],
                incident["requester_id"],
                kind=EventKind.CREATED.value,
                move=("", IDENTIFIED),
                changes=self._same(created),
                source=incident["source"],
            )
        ]
        status = IDENTIFIED

        def step(
            target: str,
            actor: int | None,
            changes: dict[str, Any] | JSONText | None = None,
            message: str = "",
            source: str = WEB,
        ) -> None:
            nonlocal status
            events.append(
                self._event(
                    at[target],
                    actor,
                    move=(status, target),
                    changes=changes,
                    message=message,
                    source=source,
                )
            )
            status = target

        if accept_agent is not None:
            step(LOGGED, accept_agent, self._same({"assignee": labels[accept_agent]}))
        if CLASSIFIED in at:
            changes: dict[str, Any] = {
                "category": incident["category"],
                "impact": incident["impact"],
                "urgency": incident["urgency"],
                "priority": incident["priority"],
                "service": template.service,
                "configuration_item": world.ci_label.get(incident["configuration_item_id"]),
                "is_major": incident["is_major"],
            }
            if incident["support_group_id"] != self.first_line:
                changes["support_group"] = world.group_label[incident["support_group_id"]]
                changes["tier"] = incident["tier"]
            if assignee != accept_agent and assignee is not None:
                changes["assignee"] = labels[assignee]
            step(CLASSIFIED, accept_agent, changes)
        for milestone, field in (
            (CONTAINED, "containment_notes"),
            (DIAGNOSED, "diagnosis_notes"),
        ):
            if milestone in at:
                notes = incident[field]
                step(milestone, assignee, self._same({field: notes}), notes)
        if RESOLVED in at:
            notes = incident["resolution_notes"]
            resolution = {"resolution_code": incident["resolution_code"], "resolution_notes": notes}
            step(RESOLVED, assignee, self._same(resolution), notes)
        if CLOSED in at:
            if at[CLOSED] - at[RESOLVED] >= self.autoclose:
                message = "Closed automatically: the resolution was not disputed."
                step(CLOSED, None, message=message, source=SYSTEM)
            else:
                step(CLOSED, incident["requester_id"])
        if ON_HOLD in at:
            hold = {"on_hold_reason": incident["on_hold_reason"], "status_before_hold": status}
            step(ON_HOLD, assignee, self._same(hold), note)
        if CANCELLED in at:
            canceller = assignee or rng.choice(self.first_line_agents)
            step(
                CANCELLED, canceller, self._same({"cancel_reason": incident["cancel_reason"]}), note
            )
        return events

    def _comment(
        self, rng: random.Random, planned: PlannedIncident, *, accept_agent: int | None
    ) -> None:
        """Sometimes one reply or note, between the first agent action and the last change (so
        the last change stays the incident's `updated_at`), with its `commented` event."""
        incident, events = planned.incident, planned.events
        logged_at = incident["logged_at"]
        if logged_at is None or rng.random() >= COMMENT_SHARE:
            return
        last = events[-1][EVENT_AT]
        if last - logged_at < 2:
            return
        moment = logged_at + max(1, int((last - logged_at) * rng.uniform(0.1, 0.9)))
        agent = incident["assignee_id"] or accept_agent
        roll = rng.random()
        if roll < 0.4 and agent:
            author, body, internal = agent, rng.choice(AGENT_REPLIES), False
        elif roll < 0.65 or not agent:
            author, body, internal = incident["requester_id"], rng.choice(REQUESTER_REPLIES), False
        else:
            author, body, internal = agent, rng.choice(INTERNAL_NOTES), True
        commented = self._event(
            moment, author, kind=EventKind.COMMENTED.value, is_public=not internal
        )
        # Keep the timeline in time order (ids follow list order when inserted).
        position = next(i for i, event in enumerate(events) if event[EVENT_AT] > moment)
        events.insert(position, commented)
        planned.comment = [None, self.ticket_type_id, author, body, internal, moment]
        planned.comment_event = commented
