"""The agent ticket page's forms as kept parts (core.web.kept_fragments): the "Next steps"
card, the reply and note forms, the upload and the Assignment card, each written once per key
of everything it is made of, and rendered as it is when it shows an invalid post. Made by
core.web.ticket_page.TicketPage for each page it renders.
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

from django.forms import Form
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from core.lifecycle import Transition
from core.models import SupportGroup, TicketBase, User
from core.tickets.actions import Action
from core.tickets.kinds import TicketKind
from core.web.forms import AgentCommentForm, AssignForm, AttachmentForm, attachment_help_text
from core.web.kept_fragments import frozen_initial, kept_html


class PartsPage(Protocol):
    """What the parts read of their page (core.web.ticket_page.TicketPage)."""

    @property
    def user(self) -> User: ...
    @property
    def kind(self) -> TicketKind: ...
    def keeps_action_forms(self) -> bool: ...
    def action_initial(self, action: Action, ticket: TicketBase) -> dict[str, Any]: ...
    def action_form(self, action: Action, ticket: TicketBase, bound: Form | None) -> Form: ...


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


def _composer(bound: dict[str, Form], *, can_reply_publicly: bool) -> str:
    """Which of the two comment forms a re-shown, invalid comment belongs to (a refused public
    reply where the page shows no reply form comes back in the note form, with its reason)."""
    form = bound.get("comment")
    if form is None:
        return ""
    visibility = form.data.get(f"{form.prefix}-visibility")
    return "reply" if can_reply_publicly and visibility == AgentCommentForm.PUBLIC else "note"


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
        page: PartsPage,
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
