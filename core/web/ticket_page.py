"""The agent's ticket page for every kind (as NetBox's ObjectView serves every object).

A kind's page is a `TicketPage` subclass naming its kind and its template (which extends
templates/tickets/agent/detail.html and fills its blocks), plus `extra_context` for what only
that kind shows. The page offers the legal lifecycle actions of the kind's action table, the
timeline, replies and notes, files, milestones, the SLA clocks, assignment and tier moves; the
generic views in core.web.ticket_views run the posted actions through the table and map a
domain error back onto the form that was sent, once for every kind.
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, partial
from typing import Any, ClassVar

from django.conf import settings
from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from core.choices import Tier
from core.keyset import KeptRows
from core.lifecycle import Transition
from core.models import SupportGroup, TicketBase, User
from core.selectors import attachments_for_user, timeline_for_user, timeline_key
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
    AgentCommentForm,
    AssignForm,
    AttachmentForm,
    TierMoveForm,
    attachment_help_text,
)
from core.web.kept_fragments import frozen_initial, kept_html
from core.web.paged_panel import PagedPanel, paged_panel
from core.web.sla_panel import sla_panel_html


@dataclass(frozen=True)
class ActionItem:
    """A lifecycle action offered now: its row, the table's transition, its URL and its form,
    made when first asked for (a kept "Next steps" card never asks)."""

    action: Action
    transition: Transition
    label: str
    url: str
    make_form: Callable[[], Form]

    @cached_property
    def form(self) -> Form:
        return self.make_form()


@dataclass(frozen=True)
class TierMove:
    """One of the two tier moves offered on the page (escalate / de-escalate); a move with no
    group is still listed so the page can say why it is not offered. Its form is made when
    first asked for."""

    direction: str
    label: str
    to_tier: int
    group: SupportGroup | None
    url: str
    make_form: Callable[[], Form]

    @property
    def group_name(self) -> str:
        return self.group.name if self.group is not None else ""

    @cached_property
    def form(self) -> Form:
        return self.make_form()


_MOVES = (("escalate", 1, "Escalate"), ("deescalate", -1, "De-escalate"))


class TicketPage:
    kind_name: ClassVar[str]
    template: ClassVar[str]
    # The page's forms as kept parts, made with its context (extra_context may use it).
    parts: "PageParts"

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
        return reverse(f"{self.kind.url_namespace}:{name}", args=args)

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
        # Its statement kept: building and compiling the three-table query cost about as much
        # CPU as making the page's entries.
        events = KeptRows(
            timeline_key(ticket=ticket, user=self.user),
            lambda: timeline_for_user(ticket=ticket, user=self.user),
        )
        return paged_panel(
            self.request,
            events,
            param="timeline_older",
            anchor="timeline",
            field="created_at",
            per_page=settings.TIMELINE_PAGE_SIZE,
            newest_first=True,
        )

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


def _composer(bound: dict[str, Form], *, can_reply_publicly: bool) -> str:
    """Which of the two comment forms a re-shown, invalid comment belongs to (a refused public
    reply where the page shows no reply form comes back in the note form, with its reason)."""
    form = bound.get("comment")
    if form is None:
        return ""
    visibility = form.data.get(f"{form.prefix}-visibility")
    return "reply" if can_reply_publicly and visibility == AgentCommentForm.PUBLIC else "note"


def _tier_move_form(bound: Form | None, version: int, direction: str) -> Form:
    return bound or TierMoveForm(initial={"version": version}, prefix=direction)


def _part(template_name: str, values: dict[str, Any], csrf_token: str) -> SafeString:
    """A page part rendered as it is, every time (it shows an invalid post)."""
    html = render_to_string(template_name, {**values, "csrf_token": csrf_token})
    return mark_safe(html.removesuffix("\n"))  # noqa: S308 (rendered by the engine)


_FRAMEWORK = ("django.", "builtins")


_PURE_FORMS: dict[type[Form], bool] = {}


def renders_from_initial(form_class: type[Form]) -> bool:
    """Whether an unbound form of this class is made from its prefix and initial values alone
    (and the memoised select options, the URLconf and the time zone, which kept_html keys by):
    no __init__ of its own, unless the class says that it reads nothing else
    (`renders_from_initial = True`), and no field whose initial value is computed (the time)."""
    pure = _PURE_FORMS.get(form_class)
    if pure is None:
        pure = _PURE_FORMS[form_class] = not any(
            "__init__" in vars(klass)
            and not klass.__module__.startswith(_FRAMEWORK)
            and not vars(klass).get("renders_from_initial", False)
            for klass in form_class.__mro__
        ) and not any(callable(field.initial) for field in form_class.base_fields.values())
    return pure


class PageParts:
    """The ticket page's forms as kept parts (core.web.kept_fragments): each one's key names
    every value its template is given, and a part that shows an invalid post (a bound form) is
    rendered as it is. Each template reads only those values."""

    def __init__(
        self,
        page: TicketPage,
        ticket: TicketBase,
        bound: dict[str, Form],
        urls: dict[str, str],
        csrf_token: str,
    ) -> None:
        self.page = page
        self.ticket = ticket
        self.bound = bound
        self.urls = urls
        self.csrf_token = csrf_token

    def _kept(
        self, template_name: str, key: Hashable | None, values: Callable[[], dict[str, Any]]
    ) -> SafeString:
        if key is None:
            return _part(template_name, values(), self.csrf_token)
        html = kept_html(template_name, key, values, self.csrf_token)
        return mark_safe(html.removesuffix("\n"))  # noqa: S308 (rendered by the engine)

    def actions(
        self, actions: list[ActionItem], moves: list[TierMove], open_form: str, *, is_open: bool
    ) -> SafeString:
        ticket = self.ticket
        plain = {
            "open_form": open_form,
            "is_open": is_open,
            "claim_url": self.urls.get("claim", ""),
            "assign_url": self.urls.get("assign", ""),
            "has_assignee": ticket.assignee_id is not None,
            "assignee_id": ticket.assignee_id,
            "viewer_id": self.page.user.pk,
            "version": ticket.version,
            "number": ticket.number,
        }
        return self._kept(
            "tickets/agent/_actions.html",
            self._actions_key(actions, moves, plain),
            lambda: {"actions": actions, "tier_moves": moves, **plain},
        )

    def _actions_key(
        self, actions: list[ActionItem], moves: list[TierMove], plain: dict[str, Any]
    ) -> Hashable | None:
        """The card's inputs: each action's name, label, URL, form class and initial values (its
        prefix is its name), each tier move's words, group and URL (its form: the version), and
        the plain values. None (not kept) for an invalid post or a form made otherwise."""
        if self.bound:
            return None
        items = []
        for item in actions:
            form = self._form_key(item.action)
            if form is None:
                return None
            items.append((item.label, item.url, form))
        shown_moves = tuple(
            (move.direction, move.label, move.to_tier, move.group_name, move.url) for move in moves
        )
        return (tuple(items), shown_moves, tuple(plain.items()))

    def _form_key(self, action: Action) -> Hashable | None:
        """An unbound action form as part of a key: its action, class and initial values (its
        prefix is the action's name); None when it is made from more than those."""
        form_class = action.form
        if form_class is None or not self.page.keeps_action_forms():
            return None
        initial = frozen_initial(self.page.action_initial(action, self.ticket))
        if initial is None or not renders_from_initial(form_class):
            return None
        return (action.name, form_class, initial)

    def forms(
        self, template_name: str, forms: dict[str, Action | None], plain: dict[str, Any]
    ) -> SafeString:
        """A part showing these actions' forms (its name for each: the action, or None when not
        shown) besides plain values, kept per key of their initial values and the plain values,
        unless one of them shows an invalid post."""
        shown = [
            (name, None if action is None else self._form_key(action))
            for name, action in forms.items()
        ]
        kept = all(
            action is None or (form is not None and action.name not in self.bound)
            for (_, form), action in zip(shown, forms.values(), strict=True)
        )
        key = (tuple(shown), tuple(plain.items())) if kept else None

        def values() -> dict[str, Any]:
            made = {
                name: None
                if action is None
                else self.page.action_form(action, self.ticket, self.bound.get(action.name))
                for name, action in forms.items()
            }
            return {**made, **plain}

        return self._kept(template_name, key, values)

    def assignment(self) -> SafeString:
        ticket = self.ticket
        bound = self.bound.get("assign")
        initial = {
            "version": ticket.version,
            "assignee": ticket.assignee_id,
            "support_group": ticket.support_group_id,
        }
        url = self.urls["assign"]
        shown = frozen_initial(initial)
        return self._kept(
            "tickets/agent/_assignment.html",
            None if bound is not None or shown is None else (shown, url),
            lambda: {
                "assign_form": bound or AssignForm(initial=initial, prefix="assign"),
                "assign_url": url,
            },
        )

    def composer(self, no_reply: str) -> SafeString:
        bound = self.bound.get("comment")
        plain = {
            "can_reply_publicly": not no_reply,
            "public_reply_refusal": no_reply,
            "has_portal": self.page.kind.has_portal,
            "comment_url": self.urls["comment"],
            "requester_name": self.ticket.requester.display_name,
            "composer": _composer(self.bound, can_reply_publicly=not no_reply),
        }
        return self._kept(
            "tickets/agent/_composer.html",
            None if bound is not None else tuple(plain.items()),
            lambda: {"comment_form": bound or AgentCommentForm(prefix="comment"), **plain},
        )

    def attach(self) -> SafeString:
        bound = self.bound.get("attach")
        allow_internal = self.page.kind.has_portal
        url = self.urls["attach"]
        return self._kept(
            "tickets/agent/_attach_form.html",
            None if bound is not None else (allow_internal, url, attachment_help_text()),
            lambda: {
                "attach_form": bound
                or AttachmentForm(allow_internal=allow_internal, prefix="attach"),
                "attach_url": url,
            },
        )
