"""The agent's ticket page for every kind (as NetBox's ObjectView serves every object).

A kind's page is a `TicketPage` subclass naming its kind and its template (which extends
templates/tickets/agent/detail.html and fills its blocks), plus `extra_context` for what only
that kind shows. The page offers the legal lifecycle actions of the kind's action table, the
timeline, replies and notes, files, milestones, the SLA clocks, assignment and tier moves; the
generic views in core.web.ticket_views run the posted actions through the table and map a
domain error back onto the form that was sent, once for every kind.
"""

from datetime import datetime
from functools import partial
from typing import Any, ClassVar

from django.conf import settings
from django.contrib import messages
from django.core.signals import setting_changed
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone

from core.choices import Tier
from core.keyset import KeptRows
from core.models import SupportGroup, TicketBase, User
from core.process_memos import KeptTexts
from core.selectors import (
    attachments_for_user,
    timeline_for_user,
    timeline_key,
    with_actors,
)
from core.tickets import clocks
from core.tickets.actions import Action, ActionTable, actions_of
from core.tickets.escalation import next_tier_group
from core.tickets.kinds import TicketKind, kind_named
from core.tickets.panel_rows import FILES, has_panel_rows
from core.tickets.visibility import is_restricted
from core.tickets.work import public_reply_refusal
from core.web.access import current_user
from core.web.forms import (
    CHOICES_MEMO,
    TierMoveForm,
)
from core.web.paged_panel import PagedPanel, paged_panel
from core.web.sla_panel import sla_panel_html
from core.web.ticket_page_parts import ActionItem, PageParts, TierMove

_MOVES = (("escalate", 1, "Escalate"), ("deescalate", -1, "De-escalate"))

# The page's URLs (its actions', its forms', the list's), reversed once per name, arguments,
# URLconf and script prefix: about seven reverse() calls a page, ~40 µs each. At most
# URLS_KEPT per process; when full, the memo starts over.
URLS_KEPT = 4096
_urls = KeptTexts(URLS_KEPT)


def kept_reverse(name: str, args: tuple[Any, ...]) -> str:
    """`reverse(name, args=args)`, kept (a setting changed forgets them: tests)."""
    return _urls.get((name, args, get_urlconf(), get_script_prefix()), reverse, name, None, args)


forget_urls = _urls.clear


setting_changed.connect(forget_urls, dispatch_uid="core.web.ticket_page")


class TicketPage:
    kind_name: ClassVar[str]
    template: ClassVar[str]
    # The page's forms as kept parts, made with its context (extra_context may use it).
    parts: PageParts

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.user: User = current_user(request)

    @property
    def kind(self) -> TicketKind:
        return kind_named(self.kind_name)

    @property
    def table(self) -> ActionTable:
        return actions_of(self.kind)

    def url(self, name: str, *args: Any) -> str:
        return kept_reverse(f"{self.kind.url_namespace}:{name}", args)

    def get(self, number: str) -> Any:
        """The ticket through the kind's scoped selector (out of scope: 404)."""
        return self.kind.get_for_user(self.user, number)

    def back(self, number: str) -> HttpResponse:
        """Back to the ticket's page, or to the list when what was just done took the ticket
        out of the user's sight (they made it a security incident, or handed over a restricted
        one: core.tickets.visibility)."""
        restriction = self.kind.restriction
        if restriction is not None and not (
            self.kind.list_for_user(self.user).filter(number=number).exists()
        ):
            messages.info(
                self.request,
                f"{number} is a {restriction.noun} now out of your sight: only the security team, "
                "its assignee, its requester and managers see it.",
            )
            return redirect(self.url("agent_list"))
        return redirect(self.url("agent_detail", number))

    # --- what the page shows ----------------------------------------------------------------

    def action_form(self, action: Action, ticket: TicketBase, bound: Form | None) -> Form:
        if bound is not None:
            return bound
        assert action.form is not None
        form: Form = action.form(initial=self.action_initial(action, ticket), prefix=action.name)
        return form

    def action_items(self, ticket: TicketBase, bound: dict[str, Form]) -> list[ActionItem]:
        return [
            ActionItem(
                action,
                transition,
                self.table.label(action),
                self.url("agent_transition", ticket.number, action.name),
                partial(self.action_form, action, ticket, bound.get(action.name)),
            )
            for action, transition in self.table.legal_now(self.user, ticket)
            if action.form is not None
        ]

    def tier_moves(self, ticket: TicketBase, bound: dict[str, Form]) -> list[TierMove]:
        if not self.kind.escalates or not self.is_open(ticket):
            return []
        moves = []
        for direction, step, verb in _MOVES:
            to_tier = ticket.tier + step
            if not Tier.L1 <= to_tier <= Tier.L3 or self.table.get(direction) is None:
                continue
            moves.append(
                TierMove(
                    direction,
                    f"{verb} to L{to_tier}",
                    to_tier,
                    _offered_group(ticket, to_tier),
                    self.url(f"agent_{direction}", ticket.number),
                    partial(_tier_move_form, bound.get(direction), ticket.version, direction),
                )
            )
        return moves

    def milestones(self, ticket: TicketBase) -> list[tuple[str, datetime]]:
        lifecycle = self.kind.lifecycle
        rows: list[tuple[str, str]] = []
        if lifecycle.initial not in lifecycle.milestones:
            rows.append((lifecycle.initial, "created_at"))
        rows.extend(lifecycle.milestones.items())
        labels = self.kind.milestone_labels
        shown = []
        for status, field in rows:
            moment = getattr(ticket, field)
            if moment is not None:
                label = labels.get(status) or str(lifecycle.statuses(status).label)
                shown.append((label, moment))
        return shown

    def is_open(self, ticket: TicketBase) -> bool:
        return getattr(ticket, "status", "") in self.kind.lifecycle.open

    def sla_context(self, ticket: TicketBase) -> dict[str, Any]:
        if not self.kind.has_sla:
            return {}
        context = clocks.page_context(ticket, self.kind, timezone.now())
        panel = sla_panel_html(context.get("sla_clocks", []), noun=self.kind.noun)
        return {**context, "sla_panel": panel}

    def timeline(self, ticket: TicketBase) -> PagedPanel:
        """The newest entries of the timeline (TIMELINE_PAGE_SIZE), oldest first, and the link
        to the ones before them (?timeline_older=)."""
        # Its statement kept: building and compiling the query cost about as much CPU as
        # making the page's entries. The people it names come from memory (with_actors): joined
        # in, PostgreSQL hashed the whole users' table for a dozen entries.
        events = KeptRows(
            ("without actors", timeline_key(ticket=ticket, user=self.user)),
            lambda: timeline_for_user(ticket=ticket, user=self.user, actors=False),
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
        """The ticket's files, oldest first, FILES_PAGE_SIZE at a time (?files_after=)."""
        if not self.request.GET.get("files_after") and not has_panel_rows(ticket, FILES):
            return PagedPanel([], "", "")  # no file, and no cursor to check
        return paged_panel(
            self.request,
            attachments_for_user(ticket=ticket, user=self.user),
            param="files_after",
            anchor="files",
            field="created_at",
            per_page=settings.FILES_PAGE_SIZE,
            newest_first=False,
        )

    def context(self, ticket: TicketBase, bound: dict[str, Form]) -> dict[str, Any]:
        open_now = self.is_open(ticket)
        no_reply = public_reply_refusal(ticket)
        timeline = self.timeline(ticket)
        urls = self.urls(ticket)
        actions = self.action_items(ticket, bound)
        tier_moves = self.tier_moves(ticket, bound)
        open_form = next(iter(bound), "")
        # The page's one CSRF token, in every form of it (the kept parts' slots included).
        csrf_token = str(get_token(self.request))
        parts = self.parts = PageParts(self, ticket, bound, urls, csrf_token)
        return {
            "ticket": ticket,
            "kind": self.kind,
            "actions": actions,
            "actions_html": parts.actions(actions, tier_moves, open_form, is_open=open_now),
            "open_form": open_form,
            "is_open": open_now,
            "tier_moves": tier_moves,
            "milestones": self.milestones(ticket),
            "timeline": timeline,
            "events": timeline.rows,
            "files": self.files(ticket),
            "can_claim": open_now and self.table.get("claim") is not None,
            "assign_form": bound.get("assign"),
            "assignment_html": parts.assignment() if open_now and "assign" in urls else "",
            "comment_form": bound.get("comment"),
            "public_reply_refusal": no_reply,
            "can_reply_publicly": not no_reply,
            "composer_html": parts.composer(no_reply),
            "attach_form": bound.get("attach"),
            "attach_html": parts.attach(),
            "urls": urls,
            "csrf_token": csrf_token,
            **self.sla_context(ticket),
            **self.extra_context(ticket, bound),
        }

    def keeps_action_forms(self) -> bool:
        """Whether an unbound action form is made from its class, prefix and initial values
        alone: a page that changes its forms (the problem page words its resolve form with the
        problem's open incidents) renders its "Next steps" card every time."""
        return type(self).action_form is TicketPage.action_form

    def action_initial(self, action: Action, ticket: TicketBase) -> dict[str, Any]:
        return {"version": ticket.version, **(action.initial(ticket) if action.initial else {})}

    def urls(self, ticket: TicketBase) -> dict[str, str]:
        urls = {"list": self.url("agent_list")}
        for name in ("comment", "attach", "assign", "claim"):
            if name in ("comment", "attach") or self.table.get(name) is not None:
                urls[name] = self.url(f"agent_{name}", ticket.number)
        return urls

    def extra_context(self, ticket: Any, bound: dict[str, Form]) -> dict[str, Any]:
        """What only this kind shows (override)."""
        return {}

    def render(self, ticket: TicketBase, bound: dict[str, Form] | None = None) -> HttpResponse:
        context = self.context(ticket, bound or {})
        # A bad cursor in any of the page's panels: the page shows their start, and says so.
        panels = [value for value in context.values() if isinstance(value, PagedPanel)]
        status = max((panel.status for panel in panels), default=200)
        return render(self.request, self.template, context, status=status)


def _offered_group(ticket: TicketBase, to_tier: int) -> SupportGroup | None:
    """The group a move of `ticket` to `to_tier` lands in, as the page offers it: kept in
    CHOICES_MEMO, which a change of a support group or service forgets (two queries a page
    before, a tenth of an open incident's page). The move itself finds its group again when it
    is made (core.tickets.escalation)."""
    restricted = is_restricted(ticket)
    return CHOICES_MEMO.get(
        ("tier move group", to_tier, ticket.service_id, restricted),
        lambda: next_tier_group(to_tier, ticket.service, restricted=restricted),
    )


def _tier_move_form(bound: Form | None, version: int, direction: str) -> Form:
    return bound or TierMoveForm(initial={"version": version}, prefix=direction)
