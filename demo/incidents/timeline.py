"""The timeline of one planned incident, as the services would have written it, and maybe one
comment. No queries.

Each step of the incident's walk through the lifecycle (demo.walks) is one `status_changed`
event from its source to its target status; what the event records (actor, changed fields,
message, source) is what the service behind that action writes (TimelinePlanner.writers).

Events are lists in shape.EVENT_FIELDS order with the time still in epoch seconds until the
planner stores it; `changes` is JSON text, encoded once per distinct value
because most events repeat (the same template notes, the same impact and urgency).
"""

import json
import random
from collections.abc import Callable
from typing import Any, NamedTuple

from core.choices import EventKind
from demo.incidents.failures import IncidentTemplate
from demo.incidents.notes import AGENT_REPLIES, INTERNAL_NOTES, REQUESTER_REPLIES
from demo.incidents.shape import (
    ACCEPT,
    CLASSIFY,
    CLOSE,
    EVENT_AT,
    EVENT_COMMENT,
    STATUS_CHANGED,
    SYSTEM,
    WEB,
    Row,
)
from demo.reference import DemoWorld
from demo.walks import Step, Walk

CREATED = EventKind.CREATED.value
COMMENTED = EventKind.COMMENTED.value
NO_CHANGES = "{}"
AUTO_CLOSE_MESSAGE = "Closed automatically: the resolution was not disputed."
Event = list[Any]
# actor, changes (JSON text), message, source
Written = tuple[int | None, str, str, str]


class Story(NamedTuple):
    """One planned incident as its timeline needs it: the row (times still epoch seconds),
    its walk and when it reached each status, the template it was made from, the agent who
    accepted it (if anyone did) and the note that goes with its hold or cancellation."""

    incident: Row
    walk: Walk
    at: dict[str, int]
    template: IncidentTemplate
    accept_agent: int | None
    note: str


Writer = Callable[[random.Random, Story, Step], Written]


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

    def classified(
        self, incident: Row, template: IncidentTemplate, accept_agent: int | None
    ) -> str:
        """What classification set, as JSON text. Nearly every incident has its own mix
        (template, levels, group, agent), so this formats the text json.dumps would give
        from pieces encoded once, instead of building and encoding a dict each time."""
        world, q = self.world, self._quoted
        text = (
            f'{{"category": {q(incident["category"])}, "impact": {q(incident["impact"])}, '
            f'"urgency": {q(incident["urgency"])}, "priority": {incident["priority"]}, '
            f'"service": {q(template.service)}, '
            f'"configuration_item": {q(world.ci_label.get(incident["configuration_item_id"]))}, '
            f'"is_major": {"true" if incident["is_major"] else "false"}'
        )
        group = incident["support_group_id"]
        if group != self.first_line:
            text += f', "support_group": {q(world.group_label[group])}, "tier": {incident["tier"]}'
        assignee = incident["assignee_id"]
        if assignee != accept_agent and assignee is not None:
            text += f', "assignee": {q(world.user_label[assignee])}'
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

    def events(self, rng: random.Random, story: Story) -> list[Event]:
        """The timeline as the services write it: `created`, then one `status_changed` event
        per step of the walk, at the instant it reached its target, with what that action
        set (`writers`). The accepting agent takes the incident; classification names the
        resolving group and agent."""
        incident, walk, at = story.incident, story.walk, story.at
        pk = incident["id"]
        priority, impact, urgency = incident["priority"], incident["impact"], incident["urgency"]
        created = self.same(
            ("created", priority, impact, urgency),
            ("priority", priority),
            ("impact", impact),
            ("urgency", urgency),
        )
        events = [
            self.event(
                pk,
                at[walk.start],
                incident["requester_id"],
                kind=CREATED,
                move=("", walk.start),
                changes=created,
                source=incident["source"],
            )
        ]
        writers = self._writers.get(walk)
        if writers is None:
            writers = self._writers[walk] = tuple(
                (self.writers[step.action], step) for step in walk.steps
            )
        for write, step in writers:
            actor, changes, message, source = write(rng, story, step)
            events.append(
                self.event(
                    pk,
                    at[step.target],
                    actor,
                    move=(step.source, step.target),
                    changes=changes,
                    message=message,
                    source=source,
                )
            )
        return events

    # What each action of the walk writes: (actor, changes as JSON text, message, source).

    def _accept(self, rng: random.Random, story: Story, step: Step) -> Written:
        agent = story.accept_agent
        label = self.world.user_label[agent] if agent is not None else None
        return agent, self.same(("logged", label), ("assignee", label)), "", WEB

    def _classify(self, rng: random.Random, story: Story, step: Step) -> Written:
        changes = self.classified(story.incident, story.template, story.accept_agent)
        return story.accept_agent, changes, "", WEB

    def _notes(self, field: str, story: Story) -> Written:
        notes = story.incident[field]
        return story.incident["assignee_id"], self.same((field, notes), (field, notes)), notes, WEB

    def _contain(self, rng: random.Random, story: Story, step: Step) -> Written:
        return self._notes("containment_notes", story)

    def _diagnose(self, rng: random.Random, story: Story, step: Step) -> Written:
        return self._notes("diagnosis_notes", story)

    def _resolve(self, rng: random.Random, story: Story, step: Step) -> Written:
        incident = story.incident
        code, notes = incident["resolution_code"], incident["resolution_notes"]
        resolution = self.same(
            ("resolved", code, notes), ("resolution_code", code), ("resolution_notes", notes)
        )
        return incident["assignee_id"], resolution, notes, WEB

    def _close(self, rng: random.Random, story: Story, step: Step) -> Written:
        if story.at[step.target] - story.at[step.source] >= self.autoclose:
            return None, NO_CHANGES, AUTO_CLOSE_MESSAGE, SYSTEM
        return story.incident["requester_id"], NO_CHANGES, "", WEB

    def _hold(self, rng: random.Random, story: Story, step: Step) -> Written:
        reason, before = story.incident["on_hold_reason"], step.source
        hold = self.same(
            ("hold", reason, before), ("on_hold_reason", reason), ("status_before_hold", before)
        )
        return story.incident["assignee_id"], hold, story.note, WEB

    def _cancel(self, rng: random.Random, story: Story, step: Step) -> Written:
        canceller = story.incident["assignee_id"] or rng.choice(self.first_line_agents)
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
