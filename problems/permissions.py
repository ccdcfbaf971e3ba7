"""Who may work with problems: agents, managers and admins. End users never see a problem; they
only see the published workaround of a known error matching their incident."""

from django.contrib.auth.models import AnonymousUser

from core.exceptions import TransitionError
from core.models import User
from core.roles import is_agent


def can_work_problems(user: User | AnonymousUser | None) -> bool:
    return user is not None and is_agent(user)


def require_problem_worker(user: User | None) -> User:
    """The acting agent, or a TransitionError for anyone else (services call this first, so a
    path that forgets the view's check still cannot write)."""
    if user is None or not can_work_problems(user):
        raise TransitionError("Only agents can work on problems.")
    return user
