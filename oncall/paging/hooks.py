"""The on-call app's side of the kernel's paging registry (core.tickets.paging_hooks),
registered in OncallConfig.ready()."""

from collections.abc import Sequence

from django.contrib.contenttypes.models import ContentType
from django.db.models import OuterRef, Subquery

from core.choices import EventKind
from core.config_memo import ConfigMemo
from core.exceptions import DomainError
from core.models import TicketBase, TimelineEvent, User
from core.tickets.kinds import kind_named
from core.tickets.paging_hooks import PagingHooks
from oncall.models import EscalationPolicy, Page, PageNotification, PageReason, PageStatus
from oncall.paging.services import page_acknowledge, page_start

# (group id, service id or None) -> priorities that page, for the active policies that page
# on priority: read once per process, forgotten when a policy changes.
PRIORITY_RULES_MEMO = ConfigMemo("oncall-priority-rules", ["oncall.EscalationPolicy"])


def _priority_rules() -> dict[tuple[int, int | None], frozenset[int]]:
    def load() -> dict[tuple[int, int | None], frozenset[int]]:
        rules: dict[tuple[int, int | None], frozenset[int]] = {}
        for group_id, service_id, priorities in EscalationPolicy.objects.filter(
            is_active=True
        ).values_list("support_group_id", "service_id", "page_priorities"):
            if priorities:
                rules[(group_id, service_id)] = frozenset(int(p) for p in priorities)
        return rules

    return PRIORITY_RULES_MEMO.get("rules", load)


def _pages_for_priority(ticket: TicketBase) -> bool:
    priority = getattr(ticket, "priority", None)
    if priority is None or ticket.support_group_id is None:
        return False
    rules = _priority_rules()
    wanted = rules.get((ticket.support_group_id, ticket.service_id))
    if wanted is None:
        wanted = rules.get((ticket.support_group_id, None), frozenset())
    return priority in wanted


def _raises_priority(event: TimelineEvent) -> bool:
    if event.kind == EventKind.CREATED:
        return True
    return "priority" in (event.changes or {})


def after_events(pairs: Sequence[tuple[TicketBase, TimelineEvent]]) -> None:
    """A ticket created at, or moved to, a priority its group's policy pages for starts a page
    (one live page per ticket: a later trigger joins it)."""
    if not _priority_rules():
        return
    seen: set[tuple[type, int]] = set()
    for ticket, event in pairs:
        if event.kind == EventKind.PAGE or not _raises_priority(event):
            continue
        if (type(ticket), ticket.pk) in seen or not _pages_for_priority(ticket):
            continue
        seen.add((type(ticket), ticket.pk))
        page_start(ticket, reason=PageReason.PRIORITY)


def request(
    ticket: TicketBase, *, reason: str, actor: User | None = None, message: str = ""
) -> Page | None:
    if reason == PageReason.SLA_BREACH and (
        ticket.support_group_id is None
        or not EscalationPolicy.objects.filter(
            support_group_id=ticket.support_group_id, is_active=True, page_on_breach=True
        ).exists()
    ):
        return None
    return page_start(ticket, reason=reason, actor=actor, message=message)


def acknowledge_by_email(ticket: TicketBase, person: User, source: str) -> str | None:
    """Acknowledge the ticket's live page for `person`, who must have been paged by it."""
    page = Page.objects.filter(
        ticket_type=ContentType.objects.get_for_model(ticket),
        ticket_id=ticket.pk,
        status=PageStatus.TRIGGERED,
    ).first()
    if page is None:
        return f"{ticket.number} has no page waiting for an acknowledgement."
    if not PageNotification.objects.filter(page=page, person=person).exists():
        return f"You were not paged for {ticket.number}."
    try:
        page_acknowledge(page, actor=person, source=source)
    except DomainError as exc:
        return str(exc)
    return None


def live_page_tier(kind_name: str) -> Subquery:
    live = Page.objects.filter(
        ticket_type_id=kind_named(kind_name).content_type_id,
        ticket_id=OuterRef("pk"),
        status=PageStatus.TRIGGERED,
    )
    return Subquery(live.values("tier_index")[:1])


def groups_paging_on_breach(group_ids: set[int]) -> set[int]:
    return set(
        EscalationPolicy.objects.filter(
            support_group_id__in=group_ids, is_active=True, page_on_breach=True
        ).values_list("support_group_id", flat=True)
    )


HOOKS = PagingHooks(
    request=request,
    after_events=after_events,
    acknowledge_by_email=acknowledge_by_email,
    live_page_tier=live_page_tier,
    groups_paging_on_breach=groups_paging_on_breach,
)
