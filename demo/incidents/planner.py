"""Plans one demo incident in memory: its row, its timeline and maybe a comment. No queries.

A plan follows the lifecycle (incidents.transitions): only the milestones its status has reached
are set, in order (identified ≤ logged ≤ classified ≤ contained ≤ diagnosed ≤ resolved ≤ closed;
a hold or a cancellation comes last), security and major incidents are contained before
diagnosis or resolution, unaccepted incidents are unassigned, and every milestone has its
`status_changed` event at the same instant (demo.incidents.timeline); open incidents have their
SLA clocks (demo.incidents.clocks). Ages depend on the status, so the data looks like a desk
that has been running for two years: closed work spread over the whole period, open work
recent, resolved work younger than the auto-close delay.

This runs once per generated incident (a million times for the largest loads), so weighted
choices use precomputed cumulative weights, times are integer seconds since the epoch (UTC)
until the plan is finished and turned into stored text, and rows are tuples or lists in the
field orders of demo.incidents.shape.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from itertools import accumulate
from operator import itemgetter
from typing import Any

from demo.incidents.clocks import ClockPlanner
from demo.incidents.failures import TEMPLATES, IncidentTemplate
from demo.incidents.notes import CANCEL_NOTES, HOLD_NOTES
from demo.incidents.shape import (
    AUTO_CLOSE_SHARE,
    BUSINESS_HOUR_CUM,
    BUSINESS_HOURS,
    CANCEL_AFTER_MINUTES,
    CANCEL_FROM,
    CANCEL_FROM_CUM,
    CANCELLED,
    CLASSIFIED,
    CLOSED,
    COMMENT_AT,
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
    INCIDENT_FIELDS,
    LEVELS,
    LOGGED,
    MILESTONE_FIELD,
    MINUTE,
    OFF_HOURS_SHARE,
    ON_HOLD,
    OPEN,
    PACE,
    RESOLVED,
    SECURITY,
    STATUS_WEIGHTS,
    STEP_MINUTES,
    WEB,
    Coverage,
    Row,
)
from demo.incidents.timeline import Event, TimelinePlanner
from demo.organisation import SERVICES, SITES
from demo.reference import DemoWorld
from demo.rows import TimestampText
from incidents.choices import CancelReason, Category, HoldReason
from incidents.priority import priority_for

# Times the plan holds as epoch seconds until it is finished (the SLA ones come as text).
TIME_FIELDS = ("identified_at", "created_at", "updated_at", *MILESTONE_FIELD.values())
_incident_row = itemgetter(*INCIDENT_FIELDS)
# Local dates are looked up per quarter of an hour: every time zone's midnight falls on one.
_LOCAL_SLOT = 900


@dataclass
class PlannedIncident:
    """Rows ready to insert: the incident (a tuple in INCIDENT_FIELDS order), its events, maybe
    a comment (lists in EVENT_FIELDS and COMMENT_FIELDS order) and, if it is open, its SLA
    clocks (CLOCK_FIELDS order). Times are stored text."""

    incident: tuple[Any, ...]
    events: list[Event]
    comment: list[Any] | None = None
    clocks: list[tuple[Any, ...]] = field(default_factory=list)


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
        times: TimestampText,
        clocks: ClockPlanner | None = None,
    ) -> None:
        self.world = world
        self.now = int(now.timestamp())
        self.local_tz = local_tz
        self.ticket_type_id = ticket_type_id
        self.autoclose = max(autoclose_days, 1) * DAY
        self.times = times
        self.clocks = clocks
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
        # Enum members' `.value` costs a descriptor call; a million incidents read it millions
        # of times. Plain strings per template: (category, impact, urgency, resolution code).
        self.plain = {
            id(t): (t.category.value, t.impact.value, t.urgency.value, t.resolution_code.value)
            for t in self.templates
        }
        self.priority = {
            (impact, urgency): priority_for(impact, urgency)
            for impact in LEVELS
            for urgency in LEVELS
        }
        self.security_templates = [t for t in self.templates if t.category == SECURITY]
        self.major_templates = [t for t in self.templates if t.can_be_major]
        self.statuses = list(STATUS_WEIGHTS)
        self.status_cum = list(accumulate(STATUS_WEIGHTS.values()))
        self.first_line = world.first_line_group_id
        self.first_line_agents = world.group_members[self.first_line]
        self.timeline = TimelinePlanner(
            world,
            ticket_type_id=ticket_type_id,
            first_line=self.first_line,
            autoclose=self.autoclose,
        )
        self._texts: dict[tuple[int, str], tuple[str, str]] = {}
        self._local_days: dict[int, tuple[int, int]] = {}
        self._midnights: dict[int, int] = {}
        resolved_oldest = max(self.autoclose - DAY, 3 * HOUR)
        # Age of the report in seconds, per status: (youngest, oldest).
        self.start_age: dict[str, tuple[float, float]] = {
            IDENTIFIED: (5 * MINUTE, 3 * DAY),
            LOGGED: (30 * MINUTE, 7 * DAY),
            CLASSIFIED: (1 * HOUR, 21 * DAY),
            CONTAINED: (2 * HOUR, 21 * DAY),
            DIAGNOSED: (3 * HOUR, 30 * DAY),
            ON_HOLD: (3 * HOUR, 60 * DAY),
            RESOLVED: (3 * HOUR, resolved_oldest),
            CLOSED: (self.autoclose + DAY, HISTORY_DAYS * DAY),
            CANCELLED: (1 * HOUR, HISTORY_DAYS * DAY),
        }

    # --- phase 1: what and when -------------------------------------------------------------

    def pick_status(self, rng: random.Random) -> str:
        return rng.choices(self.statuses, cum_weights=self.status_cum)[0]

    def wants_comment(self, rng: random.Random, status: str) -> bool:
        """Whether the incident gets a comment if an agent took it up: drawn in phase 1, so the
        loader reserves comment ids before the batch is planned."""
        return status != IDENTIFIED and rng.random() < COMMENT_SHARE

    def start_time(self, rng: random.Random, status: str) -> int:
        """When the incident was reported (epoch seconds): inside its status's age window,
        mostly during office hours in the local time zone."""
        youngest, oldest = self.start_age[status]
        start = self.now - int(rng.uniform(youngest, oldest))
        if rng.random() < OFF_HOURS_SHARE:
            return start
        day, weekday = self._local_day(start)
        hour = rng.choices(BUSINESS_HOURS, cum_weights=BUSINESS_HOUR_CUM)[0]
        seconds = hour * 3600 + rng.randrange(60) * 60 + rng.randrange(60)
        if weekday >= 5 and rng.random() < 0.9:
            day -= weekday - 4  # back to Friday
        moment = self._local_midnight(day) + seconds
        # Off-hours reports exist: keep the raw time when office hours fall outside the window.
        return moment if youngest <= self.now - moment <= oldest else start

    def _local_day(self, moment: int) -> tuple[int, int]:
        """(ordinal, weekday) of the local date at `moment`; cached, as converting a time to a
        time zone costs more than the rest of start_time."""
        slot = moment // _LOCAL_SLOT
        found = self._local_days.get(slot)
        if found is None:
            local = datetime.fromtimestamp(slot * _LOCAL_SLOT, tz=UTC).astimezone(self.local_tz)
            found = self._local_days[slot] = (local.toordinal(), local.weekday())
        return found

    def _local_midnight(self, ordinal: int) -> int:
        """Epoch seconds of local midnight on a date, on the clock of that day's working hours
        (the UTC offset at noon: a daylight-saving switch happens at night)."""
        found = self._midnights.get(ordinal)
        if found is None:
            day = date.fromordinal(ordinal)
            offset = datetime.combine(day, time(12), tzinfo=self.local_tz).utcoffset()
            midnight = int(datetime.combine(day, time(0), tzinfo=UTC).timestamp())
            found = midnight - int(offset.total_seconds() if offset else 0)
            self._midnights[ordinal] = found
        return found

    # --- phase 2: the whole incident --------------------------------------------------------

    def plan(
        self,
        rng: random.Random,
        *,
        pk: int,
        number: str,
        status: str,
        start: int,
        coverage: Coverage | None = None,
        comment_id: int | None = None,
    ) -> PlannedIncident:
        """The incident with primary key `pk` (reserved by the loader) and everything it has;
        with a comment (primary key `comment_id`) if one is offered and the incident was taken
        up by an agent."""
        world = self.world
        cov = coverage or Coverage(status)
        template = self._template(rng, cov)
        category, impact, urgency, resolution_code = self.plain[id(template)]
        impact, urgency = self._impact_urgency(rng, impact, urgency, cov)
        priority = self.priority[(impact, urgency)]
        site = rng.choice(SITES)
        text = self._texts.get((id(template), site))
        if text is None:
            text = self._texts[(id(template), site)] = (
                template.title.format(site=site, ci=template.ci)[:200],
                f"{template.description}\n\nReported from {site}.",
            )
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
        needs_containment = is_major or (classified and category == SECURITY)
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
            "id": pk,
            "number": number,
            "title": text[0],
            "description": text[1],
            "requester_id": requester,
            "assignee_id": assignee,
            "support_group_id": group,
            "tier": world.group_tier[group],
            "priority": priority,
            "service_id": world.service_id[template.service],
            "configuration_item_id": ci_id,
            "source": WEB if rng.random() < 0.7 else EMAIL,
            "status": status,
            "category": category if classified else "",
            "impact": impact,
            "urgency": urgency,
            "is_major": is_major,
            "on_hold_reason": "",
            "status_before_hold": before if status == ON_HOLD else "",
            "containment_notes": template.containment if CONTAINED in at else "",
            "diagnosis_notes": template.diagnosis if DIAGNOSED in at else "",
            "resolution_code": resolution_code if RESOLVED in at else "",
            "resolution_notes": template.resolution if RESOLVED in at else "",
            "cancel_reason": "",
            "reopen_count": 0,
            "identified_at": start,
            "created_at": start,
            "review_completed_at": None,
        }
        for milestone, name in MILESTONE_FIELD.items():
            incident[name] = at.get(milestone)
        note = ""
        if status == ON_HOLD:
            incident["on_hold_reason"] = cov.hold_reason or rng.choice(HoldReason.values)
            note = rng.choice(HOLD_NOTES[incident["on_hold_reason"]])
        elif status == CANCELLED:
            incident["cancel_reason"] = cov.cancel_reason or rng.choice(CancelReason.values)
            note = rng.choice(CANCEL_NOTES[incident["cancel_reason"]])

        timeline = self.timeline
        events = timeline.events(
            rng, incident, at=at, template=template, accept_agent=accept_agent, note=note
        )
        incident["updated_at"] = events[-1][EVENT_AT]
        # Every transition bumped `version` once, as the services do.
        incident["version"] = len(events)
        comment = None
        if comment_id is not None:
            comment = timeline.comment(
                rng, incident, events, accept_agent=accept_agent, pk=comment_id
            )
        clocks: list[tuple[Any, ...]] = []
        incident["sla_due_at"] = incident["sla_warn_at"] = None
        if status in OPEN and self.clocks is not None:
            planned_clocks = self.clocks.plan(
                ticket_id=pk,
                priority=priority,
                service_id=incident["service_id"],
                reported=start,
                responded=incident["logged_at"],
                held_since=incident["updated_at"] if status == ON_HOLD else None,
            )
            clocks = planned_clocks.rows
            incident["sla_due_at"] = planned_clocks.due_at
            incident["sla_warn_at"] = planned_clocks.warn_at

        times = self.times
        for name in TIME_FIELDS:
            value = incident[name]
            if value is not None:
                incident[name] = times(value)
        for event in events:
            event[EVENT_AT] = times(event[EVENT_AT])
        if comment is not None:
            comment[COMMENT_AT] = times(comment[COMMENT_AT])
        return PlannedIncident(_incident_row(incident), events, comment, clocks)

    def _template(self, rng: random.Random, cov: Coverage) -> IncidentTemplate:
        if cov.security and self.security_templates:
            return rng.choice(self.security_templates)
        if cov.major and self.major_templates:
            return rng.choice(self.major_templates)
        return rng.choices(self.templates, cum_weights=self.template_cum)[0]

    @staticmethod
    def _impact_urgency(
        rng: random.Random, impact: str, urgency: str, cov: Coverage
    ) -> tuple[str, str]:
        if cov.major:
            return HIGH, HIGH
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
