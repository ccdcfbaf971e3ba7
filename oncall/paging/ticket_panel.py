"""Reads of pages for the desk: a ticket's pages with their notifications (the "Paging" panel of
every kind's agent page), the triggered pages that notified a person ("Pages for me"), and
whether a user may act on a page.

Each read is a fixed number of queries whatever the number of pages and notifications: the
pages (with their people through joins), then one prefetch of all their notifications.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from core.config_memo import ConfigMemo
from core.models import SupportGroup, TicketBase, User
from core.tickets.kinds import TicketKind, kind_for_content_type
from core.tickets.panel_rows import EVERY_KIND, PanelRows, panel_rows_register
from oncall.models import EscalationPolicy, Page, PageNotification, PageStatus


@dataclass(frozen=True)
class PagePosition:
    """Where a page is in its snapshot: the tier's group and policy, the step and the round."""

    tier: int
    group: str
    policy: str
    step: int
    steps: int
    round: int
    rounds: int


def page_position(page: Page) -> PagePosition | None:
    """The page's place in its policy snapshot (None for a snapshot that has no such tier)."""
    snapshot: list[dict[str, Any]] = page.policy_snapshot or []
    if page.tier_index >= len(snapshot):
        return None
    tier = snapshot[page.tier_index]
    return PagePosition(
        tier=int(tier.get("tier", 0)),
        group=str(tier.get("group", "")),
        policy=str(tier.get("policy", "")),
        step=page.step_index + 1,
        steps=len(tier.get("steps") or []),
        round=page.round + 1,
        rounds=int(tier.get("repeat", 0)) + 1,
    )


def _with_people(pages: QuerySet[Page]) -> QuerySet[Page]:
    notifications = PageNotification.objects.select_related("person").order_by("due_at", "pk")
    return pages.select_related(
        "triggered_by", "acknowledged_by", "support_group"
    ).prefetch_related(Prefetch("notifications", queryset=notifications))


# The Paging panel's rows, for core.tickets.panel_rows: most tickets were never paged, and then
# the panel skips the pages' query. Registered in OncallConfig.ready().
PAGES = "oncall.pages"


def register_panel_rows() -> None:
    panel_rows_register(
        PAGES, PanelRows("oncall.Page", "ticket_id", "ticket_type"), kinds=(EVERY_KIND,)
    )


def ticket_pages(ticket: TicketBase) -> list[Page]:
    """Every page of `ticket`, newest first, each with its notifications (oldest first) and
    the people on them: two queries. The caller has checked the user may see the ticket."""
    pages = Page.objects.filter(
        ticket_type=ContentType.objects.get_for_model(ticket), ticket_id=ticket.pk
    ).order_by("-created_at", "-pk")
    return list(_with_people(pages))


# The groups one can page, per process (core.config_memo): every open ticket's page offers
# them, and they change only with a group or a policy. Connected in OncallConfig.ready().
PAGING_GROUPS_MEMO = ConfigMemo(
    "oncall-paging-groups", ["core.SupportGroup", "oncall.EscalationPolicy"]
)


def paging_groups() -> list[SupportGroup]:
    """The groups one can page by hand: active groups with an active escalation policy (a
    short list, so the choice stays small). Read once per process; treat as read-only. The
    page view validates a posted group against the database."""

    def load() -> list[SupportGroup]:
        with_policy = EscalationPolicy.objects.filter(is_active=True).values("support_group_id")
        groups = SupportGroup.objects.filter(pk__in=with_policy, is_active=True)
        return list(groups.order_by("tier", "name"))

    return PAGING_GROUPS_MEMO.get("groups", load)


@dataclass(frozen=True)
class PageForMe:
    """A triggered page that notified the user, with where its ticket's agent page is."""

    page: Page
    ticket_url: str


def pages_for_person(person: User) -> list[PageForMe]:
    """Triggered pages that notified `person` (a notification row of theirs, sent or not),
    oldest first: the ones waiting for their acknowledgement."""
    mine = PageNotification.objects.filter(person=person).values("page_id")
    pages = (
        Page.objects.filter(pk__in=mine, status=PageStatus.TRIGGERED)
        .select_related("support_group", "triggered_by")
        .order_by("created_at", "pk")
    )
    found = []
    for page in pages:
        kind = _kind_or_none(page.ticket_type_id)
        url = kind.agent_path(page.ticket_number) if kind is not None else ""
        found.append(PageForMe(page, url))
    return found


def _kind_or_none(content_type_id: int) -> TicketKind | None:
    try:
        return kind_for_content_type(content_type_id)
    except LookupError:
        return None


def page_get_for_user(user: User, pk: int) -> tuple[Page, TicketBase]:
    """The page and its ticket, when `user` may act on it: they see the ticket through its
    kind's scoped selector, or the page notified them. Anything else is a 404."""
    page = Page.objects.select_related("acknowledged_by").filter(pk=pk).first()
    kind = _kind_or_none(page.ticket_type_id) if page is not None else None
    if page is None or kind is None:
        raise Http404("No such page.")
    ticket = kind.list_for_user(user).filter(pk=page.ticket_id).first()
    if ticket is None:
        if not PageNotification.objects.filter(page=page, person=user).exists():
            raise Http404("No such page.")
        ticket = kind.model._default_manager.get(pk=page.ticket_id)
    return page, ticket
