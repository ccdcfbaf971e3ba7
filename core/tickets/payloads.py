"""Typed payloads of the timeline's kernel events: what an event records, written by the
constructors in core.tickets.events and read back by core.tickets.describe."""

from dataclasses import asdict, dataclass
from typing import Any

from core.models import TimelineEvent


@dataclass(frozen=True)
class Assignment:
    """`assigned`: what changed — the assignee (`unassigned` when it became nobody), the group
    and the tier that follows it; `claimed` when an agent took an unassigned ticket themselves."""

    assignee: str | None = None
    unassigned: bool = False
    support_group: str | None = None
    tier: int | None = None
    claimed: bool = False

    def as_changes(self) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if self.assignee is not None or self.unassigned:
            changes["assignee"] = self.assignee
        if self.support_group is not None:
            changes["support_group"] = self.support_group
        if self.tier is not None:
            changes["tier"] = self.tier
        if self.claimed:
            changes["claimed"] = True
        return changes

    @property
    def is_empty(self) -> bool:
        return not self.as_changes()

    @classmethod
    def read(cls, event: TimelineEvent) -> "Assignment":
        changes = event.changes or {}
        return cls(
            assignee=changes.get("assignee"),
            unassigned="assignee" in changes and changes["assignee"] is None,
            support_group=changes.get("support_group"),
            tier=changes.get("tier"),
            # Events written before `claimed` existed said so in their message.
            claimed=bool(changes.get("claimed")) or event.message == "Claimed",
        )


@dataclass(frozen=True)
class TierMove:
    """`escalated` / `deescalated`: the route, the groups, and the time spent in the tier left."""

    from_tier: int
    to_tier: int
    from_group: str | None
    to_group: str
    time_in_tier_seconds: int

    def as_changes(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def read(cls, event: TimelineEvent) -> "TierMove":
        changes = event.changes or {}
        return cls(
            from_tier=int(changes.get("from_tier") or 0),
            to_tier=int(changes.get("to_tier") or 0),
            from_group=changes.get("from_group"),
            to_group=str(changes.get("to_group") or ""),
            time_in_tier_seconds=int(changes.get("time_in_tier_seconds") or 0),
        )


@dataclass(frozen=True)
class Rating:
    """`rated`: the score given, and the one it replaced."""

    satisfaction_score: int
    previous_score: int | None = None

    def as_changes(self) -> dict[str, Any]:
        return {name: value for name, value in asdict(self).items() if value is not None}

    @classmethod
    def read(cls, event: TimelineEvent) -> "Rating":
        changes = event.changes or {}
        previous = changes.get("previous_score")
        return cls(int(changes.get("satisfaction_score") or 0), previous)
