"""Plans one demo incident in memory: its walk through the lifecycle, its row, its timeline
and maybe a comment. No queries.

A plan follows the incident lifecycle table (incidents.transitions.LIFECYCLE, from the kind
registry): its walk (demo.incidents.routes, demo.walks) takes only transitions the table has;
the milestone field of each status it passes (`lifecycle.milestones`) is set to the instant
it got there, and no other is; the fields a transition requires are filled exactly when the
walk takes it; every step is a `status_changed` event at that instant
(demo.incidents.timeline). Every incident has its SLA clocks (cancelled ones cancelled)
(demo.incidents.clocks), and each breach is the sweeper's escalation on its timeline. Some
resolved incidents were reopened once and resolved again, and some were rated by their
requester. Security and major incidents are contained before diagnosis or resolution, and
unaccepted incidents are unassigned.

This runs once per generated incident (a million times for the largest loads), so walks are
looked up rather than searched, weighted choices use precomputed cumulative weights, times are
integer seconds since the epoch (UTC) until the plan is finished and turned into stored text,
and rows are tuples or lists in the field orders of demo.incidents.shape.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from itertools import accumulate
from operator import itemgetter
from typing import Any

from core.lifecycle import Lifecycle
from demo.incidents.clocks import ClockHistory, ClockPlanner, PlannedClocks
from demo.incidents.failures import TEMPLATES, IncidentTemplate
from demo.incidents.notes import CANCEL_NOTES, HOLD_NOTES, RATING_COMMENTS, REOPEN_NOTES
from demo.incidents.routes import Routes
from demo.incidents.shape import (
    ACCEPT,
    CANCELLED,
    CLASSIFY,
    CLOSE,
    CLOSED,
    COMMENT_AT,
    COMMENT_SHARE,
    DAY,
    EMAIL,
    EVENT_AT,
    HIGH,
    LEVELS,
    MINUTE,
    ON_HOLD,
    RATED_SHARE,
    RATING_COMMENT_SHARE,
    REOPEN,
    REOPEN_SHARE,
    RESOLVED,
    SCORE_CUM,
    SCORE_CUM_AFTER_BREACH,
    SCORES,
    SECURITY,
    STATUS_WEIGHTS,
    STEP_MINUTES,
    UNPACED_MINUTES,
    WEB,
    Coverage,
    Row,
    incident_fields,
)
from demo.incidents.timeline import Event, Rating, Reopen, Story, TimelinePlanner
from demo.incidents.timing import Timing
from demo.organisation import SERVICES, SITES
from demo.reference import DemoWorld
from demo.rows import TimestampText
from demo.walks import NoWalkError, Step, Walk, Walks
from incidents.choices import CancelReason, Category, HoldReason, Impact
from incidents.priority import priority_for


@dataclass
class PlannedIncident:
    """Rows ready to insert: the incident (a tuple in IncidentPlanner.fields order), its
    events, maybe a comment (lists in EVENT_FIELDS and COMMENT_FIELDS order) and, if it is
    open, its SLA clocks (CLOCK_FIELDS order). Times are stored text."""

    incident: tuple[Any, ...]
    events: list[Event]
    comment: list[Any] | None = None
    clocks: list[tuple[Any, ...]] = field(default_factory=list)


class IncidentPlanner:
    """Turns (status, report time, random stream) into a PlannedIncident for one DemoWorld
    and one incident lifecycle."""

    def __init__(
        self,
        world: DemoWorld,
        *,
        lifecycle: Lifecycle,
        now: datetime,
        local_tz: tzinfo,
        ticket_type_id: int,
        autoclose_days: int,
        times: TimestampText,
        clocks: ClockPlanner | None = None,
    ) -> None:
        self.world = world
        self.ticket_type_id = ticket_type_id
        autoclose = max(autoclose_days, 1) * DAY
        self.timing = Timing(now=int(now.timestamp()), local_tz=local_tz, autoclose=autoclose)
        self.times = times
        self.clocks = clocks
        self._pick_templates(world)
        self.priority = {
            (impact, urgency): priority_for(impact, urgency)
            for impact in LEVELS
            for urgency in LEVELS
        }
        self.statuses = list(STATUS_WEIGHTS)
        self.status_cum = list(accumulate(STATUS_WEIGHTS.values()))
        self.first_line = world.first_line_group_id
        self.first_line_agents = world.group_members[self.first_line]
        self.timeline = TimelinePlanner(
            world,
            ticket_type_id=ticket_type_id,
            first_line=self.first_line,
            autoclose=autoclose,
        )
        self.initial = str(lifecycle.initial)
        self.open = frozenset(map(str, lifecycle.open))
        self.milestone_fields = tuple(dict.fromkeys(lifecycle.milestones.values()))
        self._unstamped = dict.fromkeys(
            (
                *self.milestone_fields,
                "sla_due_at",
                "sla_warn_at",
                "satisfaction_score",
                "service_restored_at",
            )
        )
        # The row layout: the shape's fields, then the lifecycle's milestones.
        self.fields = incident_fields(self.milestone_fields)
        self._row = itemgetter(*self.fields)
        # Times the plan holds as epoch seconds until it is finished (the SLA ones come as text).
        self.time_fields = (
            "created_at",
            "updated_at",
            "satisfaction_at",
            "service_restored_at",
            *self.milestone_fields,
        )
        self.routes = Routes(lifecycle)
        self.reopen_walk = self._reopen_walk(lifecycle)
        self._check_walks()
        # Only a classified incident can be major: whether it was, by where it ended up.
        self._classified_before = {
            status: CLASSIFY in self.routes.base(status).actions for status in self.routes.detours
        }
        # Phase 1: when an incident was reported, from where it ends up (Timing.start_time).
        self.start_time = self.timing.start_time
        self._texts: dict[tuple[int, str], tuple[str, str]] = {}

    def _pick_templates(self, world: DemoWorld) -> None:
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
        self.security_templates = [t for t in self.templates if t.category == SECURITY]
        self.major_templates = [t for t in self.templates if t.can_be_major]

    def _check_walks(self) -> None:
        """Refuse to start, naming the action, when the lifecycle leads a demo walk through an
        action this generator cannot time or write an event for: a new action on the way
        needs its line in shape.STEP_MINUTES and in TimelinePlanner.writers."""
        timed = {*STEP_MINUTES, *UNPACED_MINUTES, CLOSE}
        walks = list(self.routes.every_walk())
        if self.reopen_walk is not None:
            walks.append(self.reopen_walk[1])
        for walk in walks:
            for step in walk.steps:
                if step.action not in timed or step.action not in self.timeline.writers:
                    raise RuntimeError(
                        f"The demo walk to '{walk.end}' takes the action '{step.action}', "
                        "which the demo incident generator does not know."
                    )

    # --- phase 1: what and when -------------------------------------------------------------

    def pick_status(self, rng: random.Random) -> str:
        return rng.choices(self.statuses, cum_weights=self.status_cum)[0]

    def wants_comment(self, rng: random.Random, status: str) -> bool:
        """Whether the incident gets a comment if an agent took it up: drawn in phase 1, so the
        loader reserves comment ids before the batch is planned."""
        return status != self.initial and rng.random() < COMMENT_SHARE

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
        cov = coverage or Coverage(status)
        template = self._template(rng, cov)
        category, impact, urgency, _ = self.plain[id(template)]
        impact, urgency = self._impact_urgency(rng, impact, urgency, cov)
        text = self._text(rng, template)
        if coverage is not None or rng.random() < 0.03:
            requester = self.world.demo_requester_id
        else:
            requester = rng.choice(self.world.requester_ids)
        walk, is_major = self._walk(rng, status, template, category, impact=impact, cov=cov)
        priority = self.priority[(impact, urgency)]
        at = self.timing.moments(rng, start, walk, priority=priority)
        incident, accept_agent = self._incident(
            rng, template, walk, is_major=is_major, pk=pk, number=number, text=text
        )
        incident["requester_id"] = requester
        incident["priority"] = priority
        incident["impact"] = impact
        incident["urgency"] = urgency
        incident["created_at"] = start
        incident.update(self._unstamped)
        for milestone, name in walk.milestones:
            incident[name] = at[milestone]
        note = self._reasons(rng, incident, walk, cov)
        reopen = self._reopen(rng, walk, at)
        if reopen is not None:
            incident["reopen_count"] = 1
        # A reopen clears the restore time; the final resolution sets it again.
        incident["service_restored_at"] = (
            incident.get("resolved_at") if reopen is not None else self._restored(incident)
        )
        clocks = self._clocks(incident, walk, at, reopen)
        rating = self._rating(rng, incident, walk, at, clocks)

        story = Story(
            incident,
            walk,
            at,
            template,
            accept_agent,
            note,
            reopen=reopen,
            breaches=tuple(clocks.breaches),
            rating=rating,
        )
        timeline = self.timeline.events(rng, story)
        events = timeline.events
        incident["updated_at"] = events[-1][EVENT_AT]
        # Every transition, escalation, claim and rating bumped `version` once, as the
        # services do.
        incident["version"] = timeline.versions
        comment = None
        if comment_id is not None:
            comment = self.timeline.comment(
                rng, incident, events, accept_agent=accept_agent, pk=comment_id
            )
        return self._finished(incident, events, comment, clocks.rows)

    def _clocks(
        self, incident: Row, walk: Walk, at: dict[str, int], reopen: Reopen | None
    ) -> PlannedClocks:
        """The SLA clocks of an incident, and its nearest running deadlines. A cancelled
        incident keeps its clocks as the engine leaves them: cancelled (they count neither way),
        or met if the response came before the cancellation."""
        if self.clocks is None:
            return PlannedClocks([], None, None)
        planned = self.clocks.plan(
            ticket_id=incident["id"],
            priority=incident["priority"],
            service_id=incident["service_id"],
            history=ClockHistory(
                reported=incident["created_at"],
                responded=incident["logged_at"],
                resolved=incident["resolved_at"],
                held_since=at[ON_HOLD] if walk.end == ON_HOLD else None,
                reopen=(reopen.resolved, reopen.reopened) if reopen else None,
                cancelled=at[CANCELLED] if walk.end == CANCELLED else None,
            ),
        )
        incident["sla_due_at"] = planned.due_at
        incident["sla_warn_at"] = planned.warn_at
        return planned

    def _restored(self, incident: Row) -> int | None:
        """When users had the service back (what MTBF ends an outage at): the resolution, as the
        service records it. A high-impact incident's service came back earlier, as it does on a
        desk that works around an outage first: at containment when there was one, else 30 min
        to 6 h after the report (spread by the primary key, so the seed's random stream and every
        other figure stay as they were) — for open work too, once that moment has passed."""
        resolved = incident.get("resolved_at")
        if incident["impact"] != Impact.HIGH or incident["status"] == CANCELLED:
            return resolved
        contained = incident.get("contained_at")
        if contained is not None:
            return contained if resolved is None else min(contained, resolved)
        back = incident["created_at"] + 1800 + (incident["id"] * 2654435761) % 19800
        back = max(back, incident.get("logged_at") or back)
        if resolved is not None:
            return int(min(resolved, back))
        return int(back) if back < self.timing.now else None

    def _reopen_walk(self, lifecycle: Lifecycle) -> tuple[Step, Walk] | None:
        """The reopen step and the table's walk from where it leads back to resolved (None
        when the table has no reopen from resolved, or no way back)."""
        reopen = lifecycle.table.get(REOPEN)
        if reopen is None or RESOLVED not in reopen.sources or len(reopen.targets) != 1:
            return None
        target = str(next(iter(reopen.targets)))
        try:
            again = Walks(lifecycle).to(RESOLVED, start=target)
        except NoWalkError:
            return None
        return Step(REOPEN, RESOLVED, target), again

    def _reopen(self, rng: random.Random, walk: Walk, at: dict[str, int]) -> Reopen | None:
        """Whether a resolved incident was reopened once: the first resolution, the reopen
        and the steps back fall between the step before the resolution and the last
        resolution, so the rest of the history (and the close) keeps its times. Only when the
        way back passes no status the incident had not reached (its milestones and the fields
        those steps fill are already there)."""
        if RESOLVED not in at or self.reopen_walk is None or rng.random() >= REOPEN_SHARE:
            return None
        back, again = self.reopen_walk
        if not set(again.statuses) <= set(walk.statuses):
            return None
        before = at[walk.statuses[walk.statuses.index(RESOLVED) - 1]]
        last = at[RESOLVED]
        if last - before < 10 * MINUTE:
            return None
        resolved = before + int((last - before) * rng.uniform(0.3, 0.55))
        reopened = resolved + int((last - resolved) * rng.uniform(0.2, 0.5))
        steps = len(again.steps)
        moments = [reopened + (last - reopened) * (i + 1) // steps for i in range(steps)]
        return Reopen(
            resolved,
            reopened,
            rng.choice(REOPEN_NOTES),
            back,
            tuple(zip(again.steps, moments, strict=True)),
        )

    def _rating(
        self,
        rng: random.Random,
        incident: Row,
        walk: Walk,
        at: dict[str, int],
        clocks: PlannedClocks,
    ) -> Rating | None:
        """The requester's rating of part of the resolved incidents, after the resolution and
        before the close; lower when the resolution came late."""
        if walk.end not in (RESOLVED, CLOSED) or rng.random() >= RATED_SHARE:
            return None
        resolved = at[RESOLVED]
        until = at[CLOSED] if walk.end == CLOSED else self.timing.now - int(MINUTE)
        if until - resolved < 2 * MINUTE:
            return None
        late = any(breach.metric == "resolution" for breach in clocks.breaches)
        score = rng.choices(SCORES, cum_weights=SCORE_CUM_AFTER_BREACH if late else SCORE_CUM)[0]
        comment = ""
        if rng.random() < RATING_COMMENT_SHARE:
            comment = rng.choice(RATING_COMMENTS["good" if score >= 4 else "bad"])
        moment = resolved + max(1, int((until - resolved) * rng.uniform(0.05, 0.7)))
        incident["satisfaction_score"] = score
        incident["satisfaction_comment"] = comment
        incident["satisfaction_at"] = moment
        return Rating(score, comment, moment)

    def _walk(
        self,
        rng: random.Random,
        status: str,
        template: IncidentTemplate,
        category: str,
        *,
        impact: str,
        cov: Coverage,
    ) -> tuple[Walk, bool]:
        """The incident's walk to `status`, and whether it is a major incident (only a
        classified one can be; major and security incidents make the containment stop)."""
        routes = self.routes
        before = routes.before(rng, status)
        classified = self._classified_before[before]
        is_major = (
            classified
            and template.can_be_major
            and impact == HIGH
            and (cov.major or rng.random() < 0.3)
        )
        contain_first = is_major or (classified and category == SECURITY)
        return routes.walk(rng, before, status, contain_first=contain_first), is_major

    def _incident(
        self,
        rng: random.Random,
        template: IncidentTemplate,
        walk: Walk,
        *,
        is_major: bool,
        pk: int,
        number: str,
        text: tuple[str, str],
    ) -> tuple[Row, int | None]:
        """The row's people and story fields (the caller adds times and levels), and the
        agent who accepted the incident, if anyone did."""
        world = self.world
        group, assignee, accept_agent = self.first_line, None, None
        if ACCEPT in walk.actions:
            accept_agent = assignee = rng.choice(self.first_line_agents)
        ci_id = None
        classified = CLASSIFY in walk.actions
        if classified:
            group = self._resolver_group(rng, template, is_major=is_major)
            if group != self.first_line or rng.random() > 0.7:
                assignee = rng.choice(world.group_members[group])
            ci_id = world.ci_id.get((template.service, template.ci))
            if ci_id is None and world.cis_of_service[template.service]:
                ci_name = rng.choice(world.cis_of_service[template.service])
                ci_id = world.ci_id[(template.service, ci_name)]
        category, _, _, resolution_code = self.plain[id(template)]
        required = walk.required
        row = {
            "id": pk,
            "number": number,
            "title": text[0],
            "description": text[1],
            "assignee_id": assignee,
            "support_group_id": group,
            "tier": world.group_tier[group],
            "service_id": world.service_id[template.service],
            "configuration_item_id": ci_id,
            "source": WEB if rng.random() < 0.7 else EMAIL,
            "status": walk.end,
            "is_major": is_major,
            "status_before_hold": walk.steps[-1].source if walk.end == ON_HOLD else "",
            # What a transition asks for is filled when the walk takes it, and only then.
            "category": category if "category" in required else "",
            "containment_notes": template.containment if "containment_notes" in required else "",
            "diagnosis_notes": template.diagnosis if "diagnosis_notes" in required else "",
            "resolution_code": resolution_code if "resolution_code" in required else "",
            "resolution_notes": template.resolution if "resolution_notes" in required else "",
            "on_hold_reason": "",
            "cancel_reason": "",
            "reopen_count": 0,
            "review_completed_at": None,
            "satisfaction_comment": "",
            "satisfaction_at": None,
        }
        return row, accept_agent

    @staticmethod
    def _reasons(rng: random.Random, incident: Row, walk: Walk, cov: Coverage) -> str:
        """The hold or cancel reason, if the walk's last transition asks for one, and the note
        that goes with it."""
        if "on_hold_reason" in walk.required:
            incident["on_hold_reason"] = cov.hold_reason or rng.choice(HoldReason.values)
            return rng.choice(HOLD_NOTES[incident["on_hold_reason"]])
        if "cancel_reason" in walk.required:
            incident["cancel_reason"] = cov.cancel_reason or rng.choice(CancelReason.values)
            return rng.choice(CANCEL_NOTES[incident["cancel_reason"]])
        return ""

    def _finished(
        self,
        incident: Row,
        events: list[Event],
        comment: list[Any] | None,
        clocks: list[tuple[Any, ...]],
    ) -> PlannedIncident:
        """The plan with its times as stored text."""
        times = self.times
        for name in self.time_fields:
            value = incident[name]
            if value is not None:
                incident[name] = times(value)
        for event in events:
            event[EVENT_AT] = times(event[EVENT_AT])
        if comment is not None:
            comment[COMMENT_AT] = times(comment[COMMENT_AT])
        return PlannedIncident(self._row(incident), events, comment, clocks)

    def _text(self, rng: random.Random, template: IncidentTemplate) -> tuple[str, str]:
        """Title and description, with the site the report comes from."""
        site = rng.choice(SITES)
        text = self._texts.get((id(template), site))
        if text is None:
            text = self._texts[(id(template), site)] = (
                template.title.format(site=site, ci=template.ci)[:200],
                f"{template.description.format(site=site, ci=template.ci)}\n\n"
                f"Reported from {site}.",
            )
        return text

    def _template(self, rng: random.Random, cov: Coverage) -> IncidentTemplate:
        if cov.service:
            of_service = [t for t in self.templates if t.service == cov.service]
            if of_service:
                return rng.choice(of_service)
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
