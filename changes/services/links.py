"""Links from a change: the problems it fixes and the incidents it caused, made and removed with
an event on both timelines. The other tickets are read through their kinds' scoped selectors
(one the agent may not see does not exist); linking changes nothing else on them."""

from typing import Any

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from changes.models import Change, ChangeIncident, ChangeProblem
from changes.permissions import require_change_worker
from core.choices import Source
from core.exceptions import TransitionError, ValidationFailed
from core.models import User
from core.tickets.events import linked_events
from core.tickets.executor import refuse_final, ticket_lock
from core.tickets.kinds import kind_named


def linked_ticket_for_user(user: User, kind_name: str, number: str) -> Any:
    """The problem or incident of that number as `user` may see it; a ValidationFailed on the
    field when it does not exist for them."""
    kind = kind_named(kind_name)
    text = (number or "").strip().upper()
    digits = text.removeprefix(f"{kind.prefix}-").lstrip("0")
    if digits.isdigit():
        text = f"{kind.prefix}-{int(digits):06d}"
    try:
        return kind.get_for_user(user, text)
    except Http404:
        raise ValidationFailed({kind_name: f"No {kind.noun} {text or number}."}) from None


def _link(
    change: Change,
    *,
    model: type[ChangeProblem] | type[ChangeIncident],
    field: str,
    other: Any,
    actor: User,
    source: str,
    phrase: tuple[str, str],
) -> Any:
    require_change_worker(actor)
    with transaction.atomic():
        locked = ticket_lock(change)
        refuse_final(locked)
        kind = kind_named(field)
        if other.status in kind.lifecycle.final:
            label = other.get_status_display().lower()
            raise TransitionError(f"{other.number} is {label}; it cannot be linked.")
        try:
            with transaction.atomic():
                link = model.objects.create(
                    change=locked, **{field: other}, linked_by=actor, linked_at=timezone.now()
                )
        except IntegrityError as exc:
            raise ValidationFailed({field: _taken(locked, field, other)}) from exc
        linked_events(
            locked,
            other,
            actor=actor,
            source=source,
            messages=(
                f"{phrase[0]} {other.number}: {other.title}",
                f"{phrase[1]} change {locked.number}: {locked.title}",
            ),
        )
    return link


def _taken(change: Change, field: str, other: Any) -> str:
    if field == "incident":
        cause = ChangeIncident.objects.filter(incident=other).select_related("change").first()
        if cause is not None and cause.change_id != change.pk:
            return f"{other.number} is already marked as caused by {cause.change.number}."
    return f"{other.number} is already linked to {change.number}."


def _unlink(
    change: Change,
    *,
    model: type[ChangeProblem] | type[ChangeIncident],
    field: str,
    other: Any,
    actor: User,
    source: str,
    phrase: tuple[str, str],
) -> None:
    require_change_worker(actor)
    with transaction.atomic():
        locked = ticket_lock(change)
        refuse_final(locked)
        deleted, _ = model.objects.filter(change=locked, **{field: other}).delete()
        if not deleted:
            raise ValidationFailed({field: f"{other.number} is not linked to {locked.number}."})
        linked_events(
            locked,
            other,
            actor=actor,
            source=source,
            messages=(f"{phrase[0]} {other.number}.", f"{phrase[1]} change {locked.number}."),
            linked=False,
        )


def change_link_problem(
    change: Change, *, problem: Any, actor: User, source: str = Source.WEB
) -> ChangeProblem:
    """The change is the permanent fix of `problem` (closing it implemented can resolve it)."""
    link: ChangeProblem = _link(
        change,
        model=ChangeProblem,
        field="problem",
        other=problem,
        actor=actor,
        source=source,
        phrase=("Fixes problem", "To be fixed by"),
    )
    return link


def change_unlink_problem(
    change: Change, *, problem: Any, actor: User, source: str = Source.WEB
) -> None:
    _unlink(
        change,
        model=ChangeProblem,
        field="problem",
        other=problem,
        actor=actor,
        source=source,
        phrase=("No longer fixes problem", "No longer to be fixed by"),
    )


def change_link_incident(
    change: Change, *, incident: Any, actor: User, source: str = Source.WEB
) -> ChangeIncident:
    """`incident` was caused by the change (an incident has one cause)."""
    link: ChangeIncident = _link(
        change,
        model=ChangeIncident,
        field="incident",
        other=incident,
        actor=actor,
        source=source,
        phrase=("Caused incident", "Caused by"),
    )
    return link


def change_unlink_incident(
    change: Change, *, incident: Any, actor: User, source: str = Source.WEB
) -> None:
    _unlink(
        change,
        model=ChangeIncident,
        field="incident",
        other=incident,
        actor=actor,
        source=source,
        phrase=("Did not cause incident", "Not caused by"),
    )
