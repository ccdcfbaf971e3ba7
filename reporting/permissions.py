"""Who may see reports: managers and admins. Agents and end users get 403 (a report is not an
object in anyone's scope, so refusing is not a leak the way a ticket's existence would be)."""

from django.contrib.auth.models import AnonymousUser

from core.models import User
from core.roles import is_manager


def can_view_reports(user: User | AnonymousUser) -> bool:
    """Managers and admins (core.roles.is_manager includes admins)."""
    return is_manager(user)
