"""Who may do what to an incident; shared by the HTML views, the API and (through the kind
registry) the kernel's executor."""

from core.models import User
from core.roles import is_agent
from incidents.models import Incident

# What a requester may do to their own incident: confirm the resolution or reopen it.
REQUESTER_ACTIONS = frozenset({"close", "reopen"})


def can_perform(user: User | None, incident: Incident, action: str) -> bool:
    """None is the system (auto-close, alert intake), which may do anything the table allows."""
    if user is None:
        return True
    if is_agent(user):
        return True
    return action in REQUESTER_ACTIONS and incident.requester_id == user.pk


def incident_permission(user: User | None, incident: Incident, action: str) -> str | None:
    if can_perform(user, incident, action):
        return None
    return "You are not allowed to do that to this incident."


def can_work(user: User) -> bool:
    """Assign, claim, edit details, write internal notes."""
    return is_agent(user)
