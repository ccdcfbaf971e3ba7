"""Who may do what with changes: agents raise and work them; members of a change's advisory
group (and managers) decide on its approval; managers keep templates and freeze windows.
Requesters of tickets linked to a change read it in the portal and change nothing."""

from django.contrib.auth.models import AnonymousUser

from core.exceptions import TransitionError
from core.models import User
from core.roles import is_agent


def can_work_changes(user: User | AnonymousUser | None) -> bool:
    return user is not None and is_agent(user)


def require_change_worker(user: User | None) -> User:
    """The acting agent, or a TransitionError for anyone else (services call this first, so a
    path that forgets the view's check still cannot write)."""
    if user is None or not can_work_changes(user):
        raise TransitionError("Only agents can work on changes.")
    return user
