"""Problem panels for the incident pages. The incident views never import problems: their
templates load these tags, which read through problems.selectors.

- `incident_problem_panel` (agent incident page): linked problems, a form to link the incident
  to an open problem, matching known errors with their workarounds, and for a major incident the
  state of its post-incident review.
- `incident_known_errors` (portal incident page): the published workarounds of known errors on
  the requester's incident's service or configuration item.
"""

from typing import Any

from django import template

from core.tickets.describe import span_words
from core.tickets.panel_rows import has_panel_rows
from problems.forms import LinkProblemForm
from problems.panel_rows import LINKED_PROBLEMS
from problems.permissions import can_work_problems
from problems.selectors import (
    known_errors_for_incident,
    linkable_problems,
    problems_for_incident,
    review_for_incident,
)

register = template.Library()


@register.inclusion_tag("problems/_incident_panel.html", takes_context=True)
def incident_problem_panel(context: template.Context, incident: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or not can_work_problems(user):
        return {"show": False}
    return {
        "show": True,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "incident": incident,
        "linked": list(problems_for_incident(user, incident))  # type: ignore[arg-type]
        if has_panel_rows(incident, LINKED_PROBLEMS)
        else [],
        "known_errors": list(known_errors_for_incident(incident, exclude_linked=True))
        if incident.is_open
        else [],
        "link_form": LinkProblemForm(prefix="problem_link", problems=linkable_problems(user))  # type: ignore[arg-type]
        if incident.is_open
        else None,
        "review": review_for_incident(incident) if incident.is_major else None,
    }


@register.inclusion_tag("problems/_portal_known_errors.html")
def incident_known_errors(incident: Any) -> dict[str, Any]:
    """Only for an open incident: once it is resolved the requester has its resolution."""
    if not incident.is_open:
        return {"known_errors": []}
    return {"incident": incident, "known_errors": list(known_errors_for_incident(incident))}


@register.simple_tag
def seconds_span(seconds: float) -> str:
    """A wall-clock length for the review timeline ("45m", "3h 10m", "2d 4h")."""
    return span_words(seconds)
