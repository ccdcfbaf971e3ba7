"""The timeline of one planned incident, as the services would have written it, and maybe one
comment. No queries.

Each step of the incident's walk through the lifecycle (demo.walks) is one `status_changed`
event from its source to its target status; what the event records (actor, changed fields,
message, source) is what the service behind that action writes (TimelinePlanner.writers).
Around the walk come what else a live desk writes: a reopened incident's first resolution and
the reopen (the walk itself never passes a status twice); the sweeper's escalation at each SLA
breach (one tier up, unassigned, as core.tickets.escalation does; a note at L3, the top); an
agent of the new group claiming the ticket before working it; and the requester's rating.

Events are lists in shape.EVENT_FIELDS order with the time still in epoch seconds until the
planner stores it; `changes` is JSON text, encoded once per distinct value
because most events repeat (the same template notes, the same impact and urgency).
"""

import json
import random
from collections.abc import Callable
from typing import Any, NamedTuple

from core.choices import EventKind, Tier
from core.tickets.rating import SCORE_LABELS
from demo.incidents.clocks import RESPONSE, Breach
from demo.incidents.failures import IncidentTemplate
from demo.incidents.notes import AGENT_REPLIES, INTERNAL_NOTES, REQUESTER_REPLIES
from demo.incidents.shape import (
    ACCEPT,
    CLASSIFY,
    CLOSE,
    EVENT_AT,
    EVENT_COMMENT,
    RESOLVED,
    STATUS_CHANGED,
    SYSTEM,
    WEB,
    Row,
)
from demo.reference import DemoWorld
from demo.walks import Step, Walk

CREATED = EventKind.CREATED.value
COMMENTED = EventKind.COMMENTED.value
ESCALATED = EventKind.ESCALATED.value
ASSIGNED = EventKind.ASSIGNED.value
RATED = EventKind.RATED.value
SLA = EventKind.SLA.value
NO_CHANGES = "{}"
AUTO_CLOSE_MESSAGE = "Closed automatically: the resolution was not disputed."
RESOLVE = "resolve"
# The actions an agent works the ticket with: an unassigned ticket is claimed first.
WORK_ACTIONS = frozenset({"contain", "diagnose", "resolve", "hold"})
Event = list[Any]
# actor, changes (JSON text), message, source
Written = tuple[int | None, str, str, str]


class Reopen(NamedTuple):
    """A reopened incident: first resolved at `resolved`, reopened at `reopened` (epoch
    seconds, by the `back` step) with the requester's reason, then worked back to resolved by
    the lifecycle's walk from where the reopen leads (`again`: each step with its moment; the
    last is the walk's own resolution)."""

    resolved: int
    reopened: int
    reason: str
    back: Step
    again: tuple[tuple[Step, int], ...]


class Rating(NamedTuple):
    """The requester's rating: score 1-5, comment, when (epoch seconds)."""

    score: int
    comment: str
    at: int


class Story(NamedTuple):
    """One planned incident as its timeline needs it: the row (times still epoch seconds),
    its walk and when it reached each status, the template it was made from, the agent who
    accepted it (if anyone did), the note that goes with its hold or cancellation, and what
    else happened: a reopen, the SLA breaches (in time order), a rating."""

    incident: Row
    walk: Walk
    at: dict[str, int]
    template: IncidentTemplate
    accept_agent: int | None
    note: str
    reopen: Reopen | None = None
    breaches: tuple[Breach, ...] = ()
    rating: Rating | None = None


class Desk:
    """Who has the ticket at a moment of its history: group, tier, assignee, and since when
    it has been in its tier (for the time-in-tier of the next escalation)."""

    __slots__ = ("assignee", "group", "since", "tier")

    def __init__(self, group: int, tier: int, since: int) -> None:
        self.group = group
        self.tier = tier
        self.assignee: int | None = None
        self.since = since


class Timeline:
    """The events of one incident as they are written, and how many bumped its `version`."""

    __slots__ = ("desk", "events", "versions")

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.events: list[Event] = []
        self.versions = 0


Writer = Callable[[random.Random, Story, Step, Desk], Written]


class TimelinePlanner:
    """Events and comments for the incidents of one DemoWorld."""

    def __init__(
        self, world: DemoWorld, *, ticket_type_id: int, first_line: int, autoclose: float
    ) -> None:
        self.world = world
        self.ticket_type_id = ticket_type_id
        self.first_line = first_line
        self.first_line_agents = world.group_members[first_line]
        self.autoclose = autoclose
        self._encoded: dict[tuple[Any, ...], str] = {}
        self._strings: dict[str | None, str] = {}
        self.writers: dict[str, Writer] = {
            ACCEPT: self._accept,
            CLASSIFY: self._classify,
            "contain": self._contain,
            "diagnose": self._diagnose,
            "resolve": self._resolve,
            CLOSE: self._close,
            "hold": self._hold,
            "cancel": self._cancel,
        }
        self._writers: dict[Walk, tuple[tuple[Writer, Step], ...]] = {}

    def same(self, key: tuple[Any, ...], *changes: tuple[str, Any]) -> str:
        """The changes (field, value pairs) that `key` stands for, as JSON text: encoded once
        per key."""
        text = self._encoded.get(key)
        if text is None:
            text = self._encoded[key] = json.dumps(dict(changes))
        return text

    def _quoted(self, value: str | None) -> str:
        text = self._strings.get(value)
        if text is None:
            text = self._strings[value] = json.dumps(value)
        return text

    def classified(self, incident: Row, template: IncidentTemplate, desk: Desk) -> str:
        """What classification set, as JSON text: the levels, the service and CI, and the
        group and assignee where they differ from who had the ticket (`desk`, which then
        takes them). Nearly every incident has its own mix (template, levels, group, agent),
        so this formats the text json.dumps would give from pieces encoded once, instead of
        building and encoding a dict each time."""
        world, q = self.world, self._quoted
        text = (
            f'{{"category": {q(incident["category"])}, "impact": {q(incident["impact"])}, '
            f'"urgency": {q(incident["urgency"])}, "priority": {incident["priority"]}, '
            f'"service": {q(template.service)}, '
            f'"configuration_item": {q(world.ci_label.get(incident["configuration_item_id"]))}, '
            f'"is_major": {"true" if incident["is_major"] else "false"}'
        )
        group = incident["support_group_id"]
        if group != desk.group:
            text += f', "support_group": {q(world.group_label[group])}, "tier": {incident["tier"]}'
            desk.group, desk.tier = group, incident["tier"]
        assignee = incident["assignee_id"]
        if assignee != desk.assignee and assignee is not None:
            text += f', "assignee": {q(world.user_label[assignee])}'
            desk.assignee = assignee
        return text + "}"

    def event(
        self,
        ticket_id: int,
        at: int,
        actor: int | None,
        *,
        kind: str = STATUS_CHANGED,
        move: tuple[str, str] = ("", ""),
        changes: str = NO_CHANGES,
        message: str = "",
        source: str = WEB,
        is_public: bool = True,
    ) -> Event:
        """One event in EVENT_FIELDS order (the comment id is filled in by the loader)."""
        from_status, to_status = move
        return [
            ticket_id,
            None,
            self.ticket_type_id,
            actor,
            source,
            kind,
            from_status,
            to_status,
            changes,
            message,
            is_public,
            at,
            None,
        ]

    def events(self, rng: random.Random, story: Story) -> Timeline:
        """The timeline as the services write it: `created`, then one `status_changed` event
        per step of the walk, at the instant it reached its target, with what that action
        set (`writers`); a reopen's two extra steps, the sweeper's escalations, claims and a
        rating where they happened. The accepting agent takes the incident; classification
        names the resolving group and agent. The incident row ends with the group, tier and
        assignee the history leaves it with."""
        incident, walk, at = story.incident, story.walk, story.at
        pk = incident["id"]
        priority, impact, urgency = incident["priority"], incident["impact"], incident["urgency"]
        created = self.same(
            ("created", priority, impact, urgency),
            ("priority", priority),
            ("impact", impact),
            ("urgency", urgency),
        )
        start = at[walk.start]
        timeline = Timeline(Desk(self.first_line, self.world.group_tier[self.first_line], start))
        timeline.events.append(
            self.event(
                pk,
                start,
                incident["requester_id"],
                kind=CREATED,
                move=("", walk.start),
                changes=created,
                source=incident["source"],
            )
        )
        timeline.versions = 1
        writers = self._writers.get(walk)
        if writers is None:
            writers = self._writers[walk] = tuple(
                (self.writers[step.action], step) for step in walk.steps
            )
        breaches = list(story.breaches)
        for write, step in writers:
            if step.action == RESOLVE and story.reopen is not None:
                self._reopened(rng, story, step, timeline, breaches)
                # The last resolution starts where the walk after the reopen left it.
                step = story.reopen.again[-1][0]  # noqa: PLW2901
            if step.action == CLOSE and story.rating is not None:
                self._rated(story, timeline)
            self._step(
                rng,
                story,
                step,
                write=write,
                moment=at[step.target],
                timeline=timeline,
                breaches=breaches,
            )
        if story.rating is not None and walk.end == RESOLVED:
            self._rated(story, timeline)
        self._escalate(story, timeline, breaches, until=None)
        desk = timeline.desk
        incident["support_group_id"], incident["tier"] = desk.group, desk.tier
        incident["assignee_id"] = desk.assignee
        return timeline

    def _step(
        self,
        rng: random.Random,
        story: Story,
        step: Step,
        *,
        write: Writer,
        moment: int,
        timeline: Timeline,
        breaches: list[Breach],
    ) -> None:
        """One status change at `moment`, after the escalations due before it and, if the
        ticket waits unassigned in a queue, an agent of its group claiming it."""
        self._escalate(story, timeline, breaches, until=moment)
        desk = timeline.desk
        if step.action in WORK_ACTIONS and desk.assignee is None:
            self._claim(rng, story, moment, timeline)
        actor, changes, message, source = write(rng, story, step, desk)
        timeline.events.append(
            self.event(
                story.incident["id"],
                moment,
                actor,
                move=(step.source, step.target),
                changes=changes,
                message=message,
                source=source,
            )
        )
        timeline.versions += 1

    def _reopened(
        self,
        rng: random.Random,
        story: Story,
        step: Step,
        timeline: Timeline,
        breaches: list[Breach],
    ) -> None:
        """The first resolution, the reopen that undid it and the steps back to the last
        resolution (`step`'s, written by the caller). The reopen clears the resolution, as
        incidents.services.incident_reopen does; the event records what changed besides the
        milestone."""
        reopen = story.reopen
        assert reopen is not None
        moves = [
            (step, self._resolve, reopen.resolved),
            (reopen.back, self._reopen, reopen.reopened),
            *((again, self.writers[again.action], moment) for again, moment in reopen.again[:-1]),
        ]
        for move, write, moment in moves:
            self._step(
                rng,
                story,
                move,
                write=write,
                moment=moment,
                timeline=timeline,
                breaches=breaches,
            )

    def _reopen(self, rng: random.Random, story: Story, step: Step, desk: Desk) -> Written:
        assert story.reopen is not None
        changes = self.same(("reopen",), ("resolution_code", ""), ("reopen_count", 1))
        return story.incident["requester_id"], changes, story.reopen.reason, WEB

    def _rated(self, story: Story, timeline: Timeline) -> None:
        """The requester's rating (internal, as core.tickets.rating writes it)."""
        rating = story.rating
        assert rating is not None
        message = f"Rated the outcome {rating.score} of 5 ({SCORE_LABELS[rating.score]})."
        if rating.comment:
            message = f"{message}\n\n> {rating.comment}"
        changes = self.same(("rated", rating.score), ("satisfaction_score", rating.score))
        timeline.events.append(
            self.event(
                story.incident["id"],
                rating.at,
                story.incident["requester_id"],
                kind=RATED,
                changes=changes,
                message=message,
                is_public=False,
            )
        )
        timeline.versions += 1

    def _claim(self, rng: random.Random, story: Story, moment: int, timeline: Timeline) -> None:
        """An agent of the ticket's group takes it from the queue (core.tickets.work)."""
        desk = timeline.desk
        agent = rng.choice(self.world.group_members.get(desk.group) or self.first_line_agents)
        label = self.world.user_label[agent]
        changes = self.same(("claimed", label), ("assignee", label), ("claimed", True))
        timeline.events.append(
            self.event(
                story.incident["id"], moment, agent, kind=ASSIGNED, changes=changes, is_public=False
            )
        )
        timeline.versions += 1
        desk.assignee = agent

    def _escalate(
        self, story: Story, timeline: Timeline, breaches: list[Breach], *, until: int | None
    ) -> None:
        """The sweeper's move at each breach before `until` (all that are left if None): one
        tier up to the group core.tickets.escalation picks, unassigned, with the reason and
        the time spent in the tier; at L3 a note that the managers were told."""
        desk, world = timeline.desk, self.world
        while breaches and (until is None or breaches[0].at < until):
            breach = breaches.pop(0)
            label = "Response" if breach.metric == RESPONSE else "Resolution"
            reason = f"{label} target breached (due {breach.due.isoformat()})."
            pk, number = story.incident["id"], story.incident["number"]
            to_tier = desk.tier + 1
            group = world.escalation_group.get((story.template.service, to_tier))
            if to_tier > Tier.L3 or group is None:
                refusal = (
                    f"{number} is already at L3, the top tier."
                    if to_tier > Tier.L3
                    else f"There is no active L{to_tier} support group."
                )
                note = f"{reason} {refusal} Managers notified."
                timeline.events.append(
                    self.event(
                        pk, breach.at, None, kind=SLA, message=note, source=SYSTEM, is_public=False
                    )
                )
                continue
            move = json.dumps(
                {
                    "from_tier": desk.tier,
                    "to_tier": to_tier,
                    "from_group": world.group_label[desk.group],
                    "to_group": world.group_label[group],
                    "time_in_tier_seconds": breach.at - desk.since,
                }
            )
            timeline.events.append(
                self.event(
                    pk,
                    breach.at,
                    None,
                    kind=ESCALATED,
                    changes=move,
                    message=reason,
                    source=SYSTEM,
                    is_public=False,
                )
            )
            timeline.versions += 1
            desk.group, desk.tier, desk.assignee, desk.since = group, to_tier, None, breach.at

    # What each action of the walk writes: (actor, changes as JSON text, message, source).

    def _accept(self, rng: random.Random, story: Story, step: Step, desk: Desk) -> Written:
        agent = desk.assignee = story.accept_agent
        label = self.world.user_label[agent] if agent is not None else None
        return agent, self.same(("logged", label), ("assignee", label)), "", WEB

    def _classify(self, rng: random.Random, story: Story, step: Step, desk: Desk) -> Written:
        changes = self.classified(story.incident, story.template, desk)
        return story.accept_agent, changes, "", WEB

    def _notes(self, field: str, story: Story, desk: Desk) -> Written:
        notes = story.incident[field]
        return desk.assignee, self.same((field, notes), (field, notes)), notes, WEB

    def _contain(self, rng: random.Random, story: Story, step: Step, desk: Desk) -> Written:
        return self._notes("containment_notes", story, desk)

    def _diagnose(self, rng: random.Random, story: Story, step: Step, desk: Desk) -> Written:
        return self._notes("diagnosis_notes", story, desk)

    def _resolve(self, rng: random.Random, story: Story, step: Step, desk: Desk) -> Written:
        incident = story.incident
        code, notes = incident["resolution_code"], incident["resolution_notes"]
        resolution = self.same(
            ("resolved", code, notes), ("resolution_code", code), ("resolution_notes", notes)
        )
        return desk.assignee, resolution, notes, WEB

    def _close(self, rng: random.Random, story: Story, step: Step, desk: Desk) -> Written:
        if story.at[step.target] - story.at[step.source] >= self.autoclose:
            return None, NO_CHANGES, AUTO_CLOSE_MESSAGE, SYSTEM
        return story.incident["requester_id"], NO_CHANGES, "", WEB

    def _hold(self, rng: random.Random, story: Story, step: Step, desk: Desk) -> Written:
        reason, before = story.incident["on_hold_reason"], step.source
        hold = self.same(
            ("hold", reason, before), ("on_hold_reason", reason), ("status_before_hold", before)
        )
        return desk.assignee, hold, story.note, WEB

    def _cancel(self, rng: random.Random, story: Story, step: Step, desk: Desk) -> Written:
        canceller = desk.assignee or rng.choice(self.first_line_agents)
        reason = story.incident["cancel_reason"]
        cancel = self.same(("cancel", reason), ("cancel_reason", reason))
        return canceller, cancel, story.note, WEB

    def comment(
        self,
        rng: random.Random,
        incident: Row,
        events: list[Event],
        *,
        accept_agent: int | None,
        pk: int,
    ) -> list[Any] | None:
        """One reply or note with primary key `pk`, between the first agent action and the last
        change (so the last change stays the incident's `updated_at`), with its `commented`
        event inserted into `events` in time order; None when the incident was never taken
        up. The comment is a list in COMMENT_FIELDS order."""
        logged_at = incident["logged_at"]
        if logged_at is None:
            return None
        last = events[-1][EVENT_AT]
        if last - logged_at < 2:
            return None
        moment = logged_at + max(1, int((last - logged_at) * rng.uniform(0.1, 0.9)))
        agent = incident["assignee_id"] or accept_agent
        roll = rng.random()
        if roll < 0.4 and agent:
            author, body, internal = agent, rng.choice(AGENT_REPLIES), False
        elif roll < 0.65 or not agent:
            author, body, internal = incident["requester_id"], rng.choice(REQUESTER_REPLIES), False
        else:
            author, body, internal = agent, rng.choice(INTERNAL_NOTES), True
        commented = self.event(
            incident["id"], moment, author, kind=COMMENTED, is_public=not internal
        )
        commented[EVENT_COMMENT] = pk
        # Keep the timeline in time order (event ids follow list order when inserted).
        position = next(i for i, event in enumerate(events) if event[EVENT_AT] > moment)
        events.insert(position, commented)
        return [pk, incident["id"], self.ticket_type_id, author, body, internal, moment]
