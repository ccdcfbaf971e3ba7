"""The timeline of one planned incident, as the services would have written it, and maybe one
comment. No queries.

Events are lists in shape.EVENT_FIELDS order with the time still in epoch seconds until the
planner stores it; `changes` is JSON text, encoded once per distinct value
because most events repeat (the same template notes, the same impact and urgency).
"""

import json
import random
from typing import Any

from core.choices import EventKind
from demo.incidents.failures import IncidentTemplate
from demo.incidents.notes import AGENT_REPLIES, INTERNAL_NOTES, REQUESTER_REPLIES
from demo.incidents.shape import (
    CANCELLED,
    CLASSIFIED,
    CLOSED,
    CONTAINED,
    DIAGNOSED,
    EVENT_AT,
    EVENT_COMMENT,
    IDENTIFIED,
    LOGGED,
    ON_HOLD,
    RESOLVED,
    STATUS_CHANGED,
    SYSTEM,
    WEB,
    Row,
)
from demo.reference import DemoWorld

CREATED = EventKind.CREATED.value
COMMENTED = EventKind.COMMENTED.value
NO_CHANGES = "{}"
AUTO_CLOSE_MESSAGE = "Closed automatically: the resolution was not disputed."
Event = list[Any]


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

    def events(
        self,
        rng: random.Random,
        incident: Row,
        *,
        at: dict[str, int],
        template: IncidentTemplate,
        accept_agent: int | None,
        note: str,
    ) -> list[Event]:
        """The timeline as the services write it: `created`, then one `status_changed` event at
        the instant of each milestone with the fields that transition set. The accepting agent
        takes the incident; classification names the resolving group and agent."""
        world = self.world
        pk = incident["id"]
        assignee = incident["assignee_id"]
        labels = world.user_label
        same = self.same
        priority, impact, urgency = incident["priority"], incident["impact"], incident["urgency"]
        created = same(
            ("created", priority, impact, urgency),
            ("priority", priority),
            ("impact", impact),
            ("urgency", urgency),
        )
        events = [
            self.event(
                pk,
                at[IDENTIFIED],
                incident["requester_id"],
                kind=CREATED,
                move=("", IDENTIFIED),
                changes=created,
                source=incident["source"],
            )
        ]
        status = IDENTIFIED

        def step(
            target: str,
            actor: int | None,
            changes: str = NO_CHANGES,
            message: str = "",
            source: str = WEB,
        ) -> None:
            nonlocal status
            events.append(
                self.event(
                    pk,
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
            label = labels[accept_agent]
            step(LOGGED, accept_agent, same(("logged", label), ("assignee", label)))
        if CLASSIFIED in at:
            step(CLASSIFIED, accept_agent, self.classified(incident, template, accept_agent))
        for milestone, field in (
            (CONTAINED, "containment_notes"),
            (DIAGNOSED, "diagnosis_notes"),
        ):
            if milestone in at:
                notes = incident[field]
                step(milestone, assignee, same((field, notes), (field, notes)), notes)
        if RESOLVED in at:
            code, notes = incident["resolution_code"], incident["resolution_notes"]
            resolution = same(
                ("resolved", code, notes), ("resolution_code", code), ("resolution_notes", notes)
            )
            step(RESOLVED, assignee, resolution, notes)
        if CLOSED in at:
            if at[CLOSED] - at[RESOLVED] >= self.autoclose:
                step(CLOSED, None, message=AUTO_CLOSE_MESSAGE, source=SYSTEM)
            else:
                step(CLOSED, incident["requester_id"])
        if ON_HOLD in at:
            reason, before = incident["on_hold_reason"], status
            hold = same(
                ("hold", reason, before), ("on_hold_reason", reason), ("status_before_hold", before)
            )
            step(ON_HOLD, assignee, hold, note)
        if CANCELLED in at:
            canceller = assignee or rng.choice(self.first_line_agents)
            reason = incident["cancel_reason"]
            cancel = same(("cancel", reason), ("cancel_reason", reason))
            step(CANCELLED, canceller, cancel, note)
        return events

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
