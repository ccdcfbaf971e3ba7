"""The Changes panel for the incident and problem pages. Their views never import changes:
their templates load this tag, which reads through changes.selectors."""

from typing import Any

from django import template

from changes.panel_rows import CAUSED_OR_FIXING
from changes.permissions import can_work_changes
from changes.selectors import changes_for_ticket
from core.tickets.kinds import find_kind
from core.tickets.panel_rows import has_panel_rows

register = template.Library()


@register.inclusion_tag("changes/agent/_ticket_panel.html", takes_context=True)
def ticket_changes_panel(context: template.Context, ticket: Any) -> dict[str, Any]:
    """The changes that fix a problem, or that caused an incident (agents only)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    kind = find_kind(ticket)
    if request is None or kind is None or not can_work_changes(user):
        return {"show": False}
    return {
        "show": True,
        "changes": list(changes_for_ticket(user, ticket))  # type: ignore[arg-type]
        if has_panel_rows(ticket, CAUSED_OR_FIXING)
        else [],
        "relation": "fix it" if kind.name == "problem" else "caused it",
    }
