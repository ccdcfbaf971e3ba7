"""The kind registry: what a ticket kind *is*, declared once (DESIGN.md §3, "The ticket kernel").

Each domain app registers one `TicketKind` from its `AppConfig.ready()`. Everything that needs
"all ticket kinds" — the SLA engine, webhooks, reporting, roles, notifications, the portal, the
API — iterates this registry or looks a kind up in it; none of them keeps its own list, and
none of them imports a domain app.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.urls import reverse

from core.lifecycle import Lifecycle
from core.models import TicketBase, User
from core.tickets.portal_spec import PortalSpec

ListForUser = Callable[[User], QuerySet[Any]]
GetForUser = Callable[[User, str], Any]
# permission(actor, ticket, action) -> None when allowed, else the refusal said to the user.
# The actor None is the system (auto-close, alert intake, the SLA sweeper).
Permission = Callable[[User | None, Any, str], str | None]
# context(ticket, action) -> what the lifecycle's guards read besides the ticket.
GuardContext = Callable[[Any, str], Any]


@dataclass(frozen=True)
class ClockRules:
    """How a kind's SLA clocks follow its lifecycle (the SLA engine applies them).

    Entering a `cancel_on` status cancels every clock; while in a `pause_in` status the clocks
    are paused; entering a `response_met_on` status stops the response clock, entering a
    `resolution_met_on` status the resolution clock, and leaving one for a non-final status
    reopens it. A change to a `retarget_on` field moves the running clocks to the policy the
    ticket now falls under.
    """

    cancel_on: frozenset[str]
    pause_in: frozenset[str]
    response_met_on: frozenset[str]
    resolution_met_on: frozenset[str]
    retarget_on: frozenset[str] = frozenset()
    # What the agent page calls each target ("Start fulfilment"); by default the metric's name.
    metric_labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportingMilestones:
    """Which timestamps reporting measures: started → acknowledged (MTTA) → resolved (MTTR).
    The resolved one is the kind's `resolved_field`."""

    started: str
    acknowledged: str


@dataclass(frozen=True)
class ReportingExtras:
    """What reporting reads on some kinds only, besides the milestones and the fields every
    ticket has.

    `impact` names the field holding a ticket's impact on its service, one of `impacts`: the
    CSV export shows it, and MTBF counts the kind's tickets whose impact is among
    REPORTING_OUTAGE_IMPACTS as outages of their service and configuration item.
    `reopen_count` names the field counting a ticket's reopens (the reopen rate).
    `restored` names the field an agent sets to when the service was back (it defaults to the
    resolution): MTBF ends an outage there rather than at the resolution. Each earlier pass of
    a reopened ticket ended at the value it held before the reopen (read from the timeline).
    `cancel_reason` names the field holding why a ticket was cancelled, and
    `unmeasured_cancel_reasons` those reasons that say it was never real work (a duplicate,
    not an incident): MTTA leaves such tickets out even when an agent acknowledged them.
    `queue_filters` are the query parameters the kind's agent list (`<url_namespace>:agent_list`)
    understands among support_group, assignee, priority, tier, service and sla_state: the
    dashboard links to that list only when it narrows it by every dimension in use.
    """

    impact: str | None = None
    impacts: tuple[str, ...] = ()
    reopen_count: str | None = None
    restored: str | None = None
    cancel_reason: str | None = None
    unmeasured_cancel_reasons: tuple[str, ...] = ()
    queue_filters: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RatingRules:
    """The requester may rate the outcome once the ticket reached the kind's `resolved_status`
    (its `resolved_field` is set), while it is there, and once more after it closed unrated."""

    # Words in refusals: "Only the person who {asked_verb} an incident can rate it.", and
    # "INC-000001 is logged; {wait_text}"
    asked_verb: str
    wait_text: str


@dataclass(frozen=True)
class AutoClose:
    """Close tickets left in the kind's `resolved_status` for `days()` days after their
    `resolved_field` (a function, so the setting it reads is read when the sweep runs)."""

    days: Callable[[], int]


@dataclass(frozen=True)
class Conversion:
    """How a kind takes part in conversions (core.tickets.conversion).

    `create_from(origin, *, actor, source, message, **options)` opens one of this kind's tickets
    from another kind's (None: nothing converts into this kind); `cancel_reasons` is the cancel
    reason this kind's tickets get when converted into the kind of that name. `form` asks an
    agent for the `options` (a versioned form: its `version` is the origin's; its class
    `prefix` names it on a page), so the page of another kind can offer the conversion without
    knowing this kind.
    """

    create_from: Callable[..., Any] | None = None
    cancel_reasons: Mapping[str, str] = field(default_factory=dict)
    form: type[Any] | None = None


@dataclass(frozen=True)
class ClosedLoop:
    """How this kind's tickets are resolved by the fix of a ticket they are linked to (a
    problem's permanent fix resolves its incidents; a change can fix problems the same way).

    `resolve_with_fix(ticket, *, actor, resolution_code, notes, source)` resolves one open
    ticket with the fix through the kind's own services (its lock, timeline event, requester
    notice), first taking it out of any side state that would refuse it (a hold), and returns
    it; all or nothing: a ticket that cannot be resolved yet raises a DomainError and is left
    unchanged. `resolution_codes` are the (value, label) codes such a resolution may carry,
    the usual one first.
    """

    resolve_with_fix: Callable[..., Any]
    resolution_codes: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Review:
    """Post-incident reviews of this kind's tickets (the problems app runs the review itself).

    `is_needed(ticket)`: whether the ticket gets a review (a major incident). `findings(ticket)`:
    what the ticket already records about the cause, to start the review's root cause from.
    `mark_completed(ticket, *, actor, summary, source)` records on the ticket that its review
    is completed, which is what lets it be closed; idempotent, and a DomainError, changing
    nothing, while the ticket is not done yet.
    """

    is_needed: Callable[[Any], bool]
    findings: Callable[[Any], str]
    mark_completed: Callable[..., Any]


@dataclass(frozen=True)
class Restriction:
    """Which of a kind's tickets only some agents may see (security incidents); the rule of
    who may is the kernel's, in core.tickets.visibility.

    `rows` selects the restricted tickets in the database; `applies(ticket)` says the same of
    one ticket in memory (emails, webhooks): the two must agree. `noun` names them on pages
    and in refusals ("security incident").
    """

    rows: Q
    applies: Callable[[Any], bool]
    noun: str


@dataclass(frozen=True)
class EmailIntake:
    """How new mail opens one of this kind's tickets (the email_intake app).

    `open_ticket(*, requester, title, description, service, support_group, catalog_item,
    source)` opens the ticket through the kind's own service, with the mailbox's defaults (any
    of them may be None; `catalog_item` is only read by kinds that need one) and returns it;
    a ValidationFailed says why it cannot (the message is then refused with that reason).
    """

    open_ticket: Callable[..., Any]


# What `Recovery.resolve_recovered` did with a ticket.
RECOVERY_RESOLVED = "resolved"  # nobody worked on it: the system resolved it
RECOVERY_TOUCHED = "touched"  # people worked on it: left as it is, for them to resolve
RECOVERY_REFUSED = "refused"  # the lifecycle refused a step: left as it was (`reason`)
RECOVERY_DONE = "done"  # no longer open: nothing to do


@dataclass(frozen=True)
class RecoveryOutcome:
    """The result of one `Recovery.resolve_recovered` call: one of the RECOVERY_* values, and
    for a refusal the lifecycle's reason in words."""

    result: str
    reason: str = ""


@dataclass(frozen=True)
class Recovery:
    """How a ticket the system opened for an alert is resolved when what fired recovered (an
    SLO's fast burn that ended), by the rule alert intake follows: only a ticket nobody worked
    on is resolved.

    `resolve_recovered(ticket, *, notes, source)` re-reads the ticket under lock and resolves
    it with `notes` through the kind's own transitions, credited to the system, when no person
    acted on it besides opening it; all steps or none. It records no note of its own: the
    caller writes its typed event saying what the outcome was. Call inside a transaction.
    """

    resolve_recovered: Callable[..., RecoveryOutcome]


def _everyone(actor: User | None, ticket: Any, action: str) -> str | None:
    return None


def _no_context(ticket: Any, action: str) -> None:
    return None


def _always_open(ticket: Any) -> str | None:
    return None


@dataclass(frozen=True, eq=False)
class TicketKind:
    """One ticket kind's declaration.

    `name` is the kind's word in payloads, webhook event types and SLA policies ("incident");
    `url_namespace` holds the kind's HTML routes under uniform names (`agent_list`,
    `agent_detail`, `portal_detail`, …), by default the app's label; `api_basename` its DRF
    routes (`<basename>-detail`), by default the same; `label` and `plural` default to the
    model's verbose names.
    The selectors return only what a user may see (out of scope is a 404).
    """

    name: str
    model: type[TicketBase]
    lifecycle: Lifecycle
    list_for_user: ListForUser
    get_for_user: GetForUser
    # Default to the model's verbose names and app label (see __post_init__).
    label: str = ""
    plural: str = ""
    url_namespace: str = ""
    api_basename: str = ""
    # Milestone names on the agent page where the status's label would not do ("Raised" for a
    # new problem, "Fulfilment started" for in_fulfilment).
    milestone_labels: Mapping[str, str] = field(default_factory=dict)
    # "reported the incident": what the timeline says the creator did.
    created_verb: str = "created it"
    # What `<name>.created` means, in the webhook catalogue.
    created_description: str = "A ticket was created."
    # Requesters follow this kind in the portal (problems are for agents only).
    has_portal: bool = True
    # Why agents never reply publicly on this kind's tickets, as the end of "No public reply:
    # …" ("": they reply to the requester). The composer then offers internal notes only, and
    # a public reply (page, API, email) is refused with this reason.
    no_public_reply: str = ""
    permission: Permission = _everyone
    # Why the requester may not reply on their ticket now (None: they may).
    reply_refusal: Callable[[Any], str | None] = _always_open
    guard_context: GuardContext = _no_context
    # Rows the executor's lock reads with the ticket (never locked: FOR UPDATE OF the ticket).
    lock_related: tuple[str, ...] = ("requester",)
    # What a refusal says when a required field is empty ("Record the root cause first.").
    required_messages: Mapping[str, str] = field(default_factory=dict)
    # Long texts a transition records: in the event they read "(recorded)" unless they are the
    # event's message, which the timeline shows in full.
    note_fields: frozenset[str] = frozenset()
    clock_rules: ClockRules | None = None
    reporting: ReportingMilestones | None = None
    rating: RatingRules | None = None
    autoclose: AutoClose | None = None
    # The status in which the ticket's work is done (resolved, fulfilled): webhooks announce
    # `<name>.resolved` when a ticket reaches it; rating waits for it, auto-close closes from it
    # and reporting measures up to its milestone, `resolved_field`. None: no such status (and
    # then neither reporting, rating nor auto-close).
    resolved_status: str | None = None
    escalates: bool = True
    conversion: Conversion | None = None
    # What the requester's portal home and "My tickets" show for this kind; None keeps the kind
    # out of them.
    portal: PortalSpec | None = None
    # How another ticket's fix resolves this kind's tickets linked to it; None: it does not.
    closed_loop: ClosedLoop | None = None
    # Post-incident reviews of this kind's tickets; None: they get none.
    review: Review | None = None
    # What reporting measures on this kind only (MTBF, reopen rate, links to its queue); None:
    # nothing beyond what every reported kind has.
    reporting_extras: ReportingExtras | None = None
    # The roles (core.choices.Role values) whose groups get the model's view permission, which
    # the Django admin reads; admins have every permission anyway (core.roles).
    view_roles: frozenset[str] = frozenset()
    # Which tickets of this kind only the security team, their assignee, their requester and
    # managers see (core.tickets.visibility); None: every agent sees every ticket. The kind's
    # selectors apply it; emails, webhooks and escalation read it here.
    restriction: Restriction | None = None
    # How new mail opens this kind's tickets; None: mailboxes cannot route to this kind.
    email: EmailIntake | None = None
    # How a ticket the system opened for an alert is resolved when the alert recovers; None:
    # it is not.
    recovery: Recovery | None = None
    # The lifecycle action that acknowledges a ticket (its reporting milestone `acknowledged`):
    # acknowledging a page runs it when it is legal then (core.tickets.paging). "": none.
    ack_action: str = ""

    def __post_init__(self) -> None:
        meta = self.model._meta
        defaults = {
            "label": str(meta.verbose_name).capitalize(),
            "plural": str(meta.verbose_name_plural),
            "url_namespace": meta.app_label,
        }
        for name, value in defaults.items():
            if not getattr(self, name):
                object.__setattr__(self, name, value)
        if not self.api_basename:
            object.__setattr__(self, "api_basename", self.url_namespace)
        needs_resolved = {
            "reporting": self.reporting,
            "rating": self.rating,
            "autoclose": self.autoclose,
        }
        for part, rules in needs_resolved.items():
            if rules is not None and not (self.resolved_field and self.closed_status):
                raise ValueError(
                    f"{self.name}: {part} needs a resolved_status with a milestone and a "
                    "close action in the lifecycle"
                )

    @property
    def resolved_field(self) -> str:
        """The milestone `resolved_status` sets ("resolved_at"); "" without one."""
        if self.resolved_status is None:
            return ""
        return self.lifecycle.milestones.get(self.resolved_status, "")

    @property
    def closed_status(self) -> str:
        """Where the `close` action leads (a done ticket, confirmed); "" without one."""
        transition = self.lifecycle.table.get("close")
        return next(iter(transition.targets)) if transition is not None else ""

    @property
    def resolved_statuses(self) -> tuple[str, ...]:
        """The statuses in which `resolved_field` is set: done, then closed."""
        if not self.resolved_field:
            return ()
        return tuple(s for s in (self.resolved_status, self.closed_status) if s)

    @property
    def has_sla(self) -> bool:
        return self.clock_rules is not None

    @property
    def prefix(self) -> str:
        return self.model.NUMBER_PREFIX

    @property
    def noun(self) -> str:
        """The kind in a sentence: "incident", "request"."""
        return self.lifecycle.noun.partition(" ")[2]

    @property
    def content_type_id(self) -> int:
        # Django's content-type cache answers this without a query after the first call.
        return ContentType.objects.get_for_model(self.model).pk

    def agent_path(self, number: str) -> str:
        return reverse(f"{self.url_namespace}:agent_detail", args=[number])

    def portal_path(self, number: str) -> str:
        return reverse(f"{self.url_namespace}:portal_detail", args=[number])

    def agent_url(self, number: str) -> str:
        return f"{settings.SITE_URL.rstrip('/')}{self.agent_path(number)}"

    def portal_url(self, number: str) -> str:
        """Where the requester follows the ticket (the agent page for agent-only kinds)."""
        path = self.portal_path(number) if self.has_portal else self.agent_path(number)
        return f"{settings.SITE_URL.rstrip('/')}{path}"


_BY_NAME: dict[str, TicketKind] = {}
_BY_MODEL: dict[type[TicketBase], TicketKind] = {}


def register(kind: TicketKind) -> None:
    """Register a kind (from its AppConfig.ready()); registering the same name again replaces
    it, so a reloaded app does not leave a stale declaration behind."""
    previous = _BY_NAME.get(kind.name)
    if previous is not None:
        _BY_MODEL.pop(previous.model, None)
    _BY_NAME[kind.name] = kind
    _BY_MODEL[kind.model] = kind


def kinds() -> Iterator[TicketKind]:
    """Every registered kind, in registration order (INSTALLED_APPS order)."""
    return iter(list(_BY_NAME.values()))


def kind_named(name: str) -> TicketKind:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise LookupError(f"no ticket kind named {name!r} is registered") from None


def kind_of(ticket: TicketBase | type[TicketBase]) -> TicketKind:
    model = ticket if isinstance(ticket, type) else type(ticket)
    try:
        return _BY_MODEL[model]
    except KeyError:
        raise LookupError(f"{model.__name__} is not a registered ticket kind") from None


def find_kind(ticket: TicketBase | type[TicketBase]) -> TicketKind | None:
    model = ticket if isinstance(ticket, type) else type(ticket)
    return _BY_MODEL.get(model)


def kind_for_content_type(content_type_id: int) -> TicketKind:
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    if model is None or model not in _BY_MODEL:
        raise LookupError(f"no ticket kind is registered for content type {content_type_id}")
    return _BY_MODEL[model]


def kind_for_number(number: str) -> TicketKind | None:
    """The kind whose prefix a human number carries (INC-000042 -> incident), if any."""
    prefix = number.partition("-")[0].upper()
    return next((kind for kind in _BY_NAME.values() if kind.prefix == prefix), None)
