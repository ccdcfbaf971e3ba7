"""Who a ticket is raised for, checked before anything is looked up.

Only agents may raise a ticket on someone else's behalf. The check runs on the raw `requester`
value, before the input serializer resolves it: resolving first answered an end user 400
("object does not exist") for an unknown id and 403 for a real one, which tells them who exists.
"""

from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request

from core.models import User
from core.roles import is_agent


def refuse_on_behalf_unless_agent(request: Request, user: User, message: str) -> None:
    """Raise PermissionDenied(message) when a non-agent names any requester but themselves."""
    if is_agent(user) or not hasattr(request.data, "get"):
        return
    asked_for = request.data.get("requester")
    if asked_for in (None, "") or str(asked_for) == str(user.pk):
        return
    raise PermissionDenied(message)
