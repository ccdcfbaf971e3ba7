"""Helpers shared by the incident portal and agent views (the shared ones live in core.web)."""

from core.models import User
from core.web.access import (
    HtmxHttpRequest,
    agent_required,
    current_user,
    paginate,
    safe_next,
)
from incidents.kind import transition_context
from incidents.models import Incident
from incidents.permissions import can_perform
from incidents.transitions import Transition, legal_actions


def allowed_transitions(user: User, incident: Incident) -> list[Transition]:
    """The lifecycle actions this user may take on this incident right now."""
    return [
        transition
        for transition in legal_actions(incident, transition_context())
        if can_perform(user, incident, transition.action)
    ]


__all__ = [
    "HtmxHttpRequest",
    "agent_required",
    "allowed_transitions",
    "current_user",
    "paginate",
    "safe_next",
]
