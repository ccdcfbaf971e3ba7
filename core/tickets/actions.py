"""Action tables: what can be done to a ticket of a kind, declared once (DESIGN.md §3).

Each kind registers one table (from its AppConfig.ready()) mapping an action to its service, its
HTML form, its API input serializer, the message a person reads when it is done and who may do
it. The agent page, the bulk bar (every transition) and the API actions are generated from it:
adding an action is a row in the lifecycle table, a row here, and a service wrapper if it needs
one.

`transition=True` actions are lifecycle transitions: the page offers them when the table allows
them now. The others are work on an open ticket (assign, claim, escalate...), offered by the
page's own panels and by the API.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.lifecycle import Transition
from core.models import TicketBase, User
from core.roles import is_agent
from core.tickets.kinds import TicketKind, kind_of

# who(actor, ticket) -> None when allowed, else the refusal said to the person.
Who = Callable[[User, Any], str | None]


def agents_only(actor: User, ticket: Any) -> str | None:
    return None if is_agent(actor) else "Only agents can do this."


@dataclass(frozen=True)
class Action:
    """One row of a kind's action table.

    `service(ticket, *, actor, source, expected_version, **data)` does the work (without
    `expected_version` when `versioned` is False); `data` is the form's cleaned data or the
    serializer's validated data without `version`. `done` is the success message, formatted with
    `{number}` and the returned ticket (`{ticket.priority}`...), or a function of (the ticket
    before, what the service returned). `who` decides who may; None means the kind's permission
    for this action name.
    """

    name: str
    service: Callable[..., Any]
    done: str | Callable[[Any, Any], str]
    form: type[Any] | None = None
    serializer: type[Any] | None = None
    summary: str = ""
    label: str = ""
    transition: bool = True
    versioned: bool = True
    who: Who | None = None
    # Initial form values taken from the ticket (besides its version).
    initial: Callable[[Any], dict[str, Any]] | None = None
    # Where a ValidationFailed field the form lacks goes ("reason" -> "note").
    aliases: Mapping[str, str] = field(default_factory=dict)
    # The URL segment in the API (`known-error` for `known_error`); the name when empty.
    api_path: str = ""

    def refusal(self, kind: TicketKind, actor: User, ticket: Any) -> str | None:
        if self.who is not None:
            return self.who(actor, ticket)
        return kind.permission(actor, ticket, self.name)

    def run(
        self,
        ticket: TicketBase,
        *,
        actor: User,
        source: str,
        expected_version: int | None,
        data: Mapping[str, Any],
    ) -> Any:
        kwargs = {key: value for key, value in data.items() if key != "version"}
        if self.versioned:
            kwargs["expected_version"] = expected_version
        return self.service(ticket, actor=actor, source=source, **kwargs)

    def done_message(self, before: Any, result: Any) -> str:
        if callable(self.done):
            return self.done(before, result)
        ticket = result if isinstance(result, TicketBase) else before
        return self.done.format(number=before.number, ticket=ticket)


@dataclass(frozen=True)
class ActionTable:
    kind: TicketKind
    actions: tuple[Action, ...]

    def __iter__(self) -> Iterator[Action]:
        return iter(self.actions)

    def get(self, name: str) -> Action | None:
        return next((action for action in self.actions if action.name == name), None)

    def label(self, action: Action) -> str:
        if action.label:
            return action.label
        transition = self.kind.lifecycle.table.get(action.name)
        return transition.label if transition is not None else action.name.capitalize()

    def legal_now(self, user: User, ticket: Any) -> list[tuple[Action, Transition]]:
        """The lifecycle actions this user may take on this ticket now, in table order."""
        context = self.kind.guard_context(ticket, "")
        legal = {t.action: t for t in self.kind.lifecycle.legal_actions(ticket, context)}
        return [
            (action, legal[action.name])
            for action in self.actions
            if action.transition
            and action.name in legal
            and action.refusal(self.kind, user, ticket) is None
        ]


_TABLES: dict[str, ActionTable] = {}


def register_actions(
    kind: TicketKind, actions: tuple[Action, ...], *, system_only: tuple[str, ...] = ()
) -> ActionTable:
    """Register a kind's action table (from its AppConfig.ready(), after the kind). Every
    transition of the lifecycle must have a row, except those only the system runs
    (`system_only`: a request is sent for approval as it is submitted); a forgotten one is an
    error at start-up."""
    names = {action.name for action in actions} | set(system_only)
    missing = [t.action for t in kind.lifecycle.transitions if t.action not in names]
    if missing:
        raise LookupError(f"{kind.label} actions missing for: {', '.join(missing)}")
    table = ActionTable(kind, actions)
    _TABLES[kind.name] = table
    return table


def actions_of(ticket_or_kind: TicketBase | TicketKind) -> ActionTable:
    kind = ticket_or_kind if isinstance(ticket_or_kind, TicketKind) else kind_of(ticket_or_kind)
    try:
        return _TABLES[kind.name]
    except KeyError:
        raise LookupError(f"no action table is registered for {kind.label}") from None
