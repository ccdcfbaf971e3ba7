"""The requester's ticket page in the portal, for every kind followed there.

Always the requester's view, whoever is signed in: only their own ticket (anything else is a
404), only public timeline events and files. A kind's page is a `PortalTicketPage` subclass
naming its kind, its template (which extends templates/tickets/portal/detail.html) and the
`PortalAction`s the requester may take (confirm, reopen, withdraw...), each running a row of the
kind's action table. The generic views in core.web.portal_views serve every kind.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar

from django.conf import settings
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from core.keyset import KeptRows
from core.models import TicketBase, User
from core.selectors import (
    attachments_for_user,
    timeline_for_user,
    timeline_key,
    with_actors,
)
from core.tickets import clocks
from core.tickets.actions import actions_of
from core.tickets.conversion import conversion_origin, conversion_successor
from core.tickets.kinds import TicketKind, kind_named
from core.tickets.panel_rows import FILES, LINKED_FROM, LINKED_TO, has_panel_rows
from core.tickets.rating import can_rate
from core.web.access import current_user
from core.web.forms import AttachmentForm, ReplyForm, SatisfactionForm
from core.web.paged_panel import PagedPanel, paged_panel
from core.web.timeline_html import timeline_entries


def _without_version(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "version"}


@dataclass(frozen=True)
class PortalAction:
    """Something the requester may do from the portal: `name` is its route segment and form
    prefix, `action` the row of the kind's action table it runs with `data(cleaned_data)`,
    offered while the lifecycle allows it (and, with `statuses`, only in those)."""

    name: str
    action: str
    form: type[Form]
    done: str
    data: Callable[[Mapping[str, Any]], dict[str, Any]] = _without_version
    statuses: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class OfferedAction:
    form: Form
    url: str


class PortalTicketPage:
    kind_name: ClassVar[str]
    template: ClassVar[str]
    actions: ClassVar[tuple[PortalAction, ...]] = ()

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.user: User = current_user(request)

    @property
    def kind(self) -> TicketKind:
        return kind_named(self.kind_name)

    def url(self, name: str, *args: Any) -> str:
        return reverse(f"{self.kind.url_namespace}:{name}", args=args)

    def back(self, number: str) -> HttpResponse:
        return redirect(self.url("portal_detail", number))

    def get(self, number: str) -> Any:
        """The signed-in person's own ticket (the portal is the requester's view even for an
        agent who reported something themselves)."""
        ticket = self.kind.get_for_user(self.user, number)
        if ticket.requester_id != self.user.pk:
            raise Http404(f"No {self.kind.noun} {number}.")
        return ticket

    def action(self, name: str) -> PortalAction | None:
        return next((action for action in self.actions if action.name == name), None)

    def offered(self, ticket: TicketBase) -> list[PortalAction]:
        legal = {row.name for row, _ in actions_of(ticket).legal_now(self.user, ticket)}
        status = getattr(ticket, "status", "")
        return [
            action
            for action in self.actions
            if action.action in legal and (not action.statuses or status in action.statuses)
        ]

    def timeline(self, ticket: TicketBase) -> PagedPanel:
        """The newest public entries (TIMELINE_PAGE_SIZE), oldest first, and the link to the
        ones before them (?timeline_older=), as on the agent page."""
        # Its statement kept and its people from memory, as on the agent page. The key is the
        # agent page's (the database, the ticket, whether the viewer sees internal entries) and
        # that only public entries are read.
        events = KeptRows(
            ("public", "without actors", timeline_key(ticket=ticket, user=self.user)),
            lambda: timeline_for_user(ticket=ticket, user=self.user, actors=False).filter(
                is_public=True
            ),
        )
        panel = paged_panel(
            self.request,
            events,
            param="timeline_older",
            anchor="timeline",
            field="created_at",
            per_page=settings.TIMELINE_PAGE_SIZE,
            newest_first=True,
        )
        with_actors(panel.rows)
        return panel

    def files(self, ticket: TicketBase) -> PagedPanel:
        """The newest public files (FILES_PAGE_SIZE), oldest first, and the link to the ones
        before them (?files_older=)."""
        if not self.request.GET.get("files_older") and not has_panel_rows(ticket, FILES):
            return PagedPanel([], "", "")  # no file, and no cursor to check
        return paged_panel(
            self.request,
            attachments_for_user(ticket=ticket, user=self.user).filter(is_internal=False),
            param="files_older",
            anchor="files",
            field="created_at",
            per_page=settings.FILES_PAGE_SIZE,
            newest_first=True,
        )

    def context(self, ticket: TicketBase, bound: dict[str, Form]) -> dict[str, Any]:
        forms = {
            action.name: OfferedAction(
                bound.get(action.name)
                or action.form(initial={"version": ticket.version}, prefix=action.name),
                self.url("portal_action", ticket.number, action.name),
            )
            for action in self.offered(ticket)
        }
        score, comment = ticket.satisfaction_score, ticket.satisfaction_comment  # type: ignore[attr-defined]
        timeline, files = self.timeline(ticket), self.files(ticket)
        return {
            "ticket": ticket,
            "kind": self.kind,
            "sla_promises": clocks.promises(ticket, self.kind, timezone.now()),
            "timeline": timeline,
            "events": timeline.rows,
            "entries": timeline_entries(timeline.rows, ticket),
            "file_panel": files,
            "files": files.rows,
            # Most tickets were never converted: the probe of the files panel has answered.
            "origin": conversion_origin(self.user, ticket, public_only=True)
            if has_panel_rows(ticket, LINKED_FROM)
            else None,
            "successor": conversion_successor(self.user, ticket)
            if has_panel_rows(ticket, LINKED_TO)
            else None,
            "can_reply": self.kind.reply_refusal(ticket) is None,
            # The forms made when first read: a closed ticket's page shows none of them.
            "reply_form": bound.get("reply") or SimpleLazyObject(ReplyForm),
            "attach_form": bound.get("attach") or SimpleLazyObject(AttachmentForm),
            "action_forms": forms,
            "open_action": next(iter(bound), ""),
            "can_rate": self.kind.rating is not None and can_rate(self.user, ticket),
            "rating_form": bound.get("rating")
            or SimpleLazyObject(
                partial(
                    SatisfactionForm, initial={"score": score, "comment": comment}, prefix="rating"
                )
            ),
            "urls": {
                name: self.url(f"portal_{name}", ticket.number)
                for name in ("reply", "attach", "rate")
            },
            **self.extra_context(ticket, bound),
        }

    def extra_context(self, ticket: Any, bound: dict[str, Form]) -> dict[str, Any]:
        """What only this kind shows (override)."""
        return {}

    def render(self, ticket: TicketBase, bound: dict[str, Form] | None = None) -> HttpResponse:
        context = self.context(ticket, bound or {})
        # A bad cursor in either panel: the page shows its start, says so, and answers 400.
        status = max(context["timeline"].status, context["file_panel"].status)
        return render(self.request, self.template, context, status=status)
