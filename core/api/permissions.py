"""API permission classes: token scopes and roles.

Every API view gets `IsAuthenticated` and `HasTokenScope` by default (settings.REST_FRAMEWORK).
Scopes only narrow what a token may do; what its user may see or change is decided by the same
selectors and role checks as the HTML views (core.roles, <app>/permissions.py). Objects out of
the user's scope are 404 (the selector raises it), actions the role may not take are 403.
"""

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from core.api.authentication import request_token
from core.models import ApiTokenScope
from core.roles import is_admin, is_agent, is_manager


def required_scope(request: Request, view: Any) -> str:
    """The scope a token needs for this request: the view's `required_scope` if it sets one
    (a string, or a dict by HTTP method), else `read` for safe methods and `write` otherwise."""
    declared = getattr(view, "required_scope", None)
    if isinstance(declared, dict):
        declared = declared.get(request.method or "GET")
    if declared:
        return str(declared)
    return ApiTokenScope.READ if request.method in SAFE_METHODS else ApiTokenScope.WRITE


class HasTokenScope(BasePermission):
    """Token requests need the scope of the request (see required_scope); session requests are
    the signed-in user in a browser and carry every scope."""

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request_token(request)
        if token is None:
            return True
        scope = required_scope(request, view)
        if token.has_scope(scope):
            return True
        self.message = f"This token lacks the '{scope}' scope."
        return False


class IsAgent(BasePermission):
    """Agents, managers and admins (the people who work tickets)."""

    message = "Only agents can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_agent(request.user)


class IsManager(BasePermission):
    message = "Only managers and admins can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_manager(request.user)


class IsAdmin(BasePermission):
    message = "Only admins can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_admin(request.user)


class IsSessionAuthenticated(BasePermission):
    """Signed in through the browser session, not a token (e.g. creating tokens: a token must
    not be able to mint more tokens for itself)."""

    message = "This can only be done from a signed-in browser session, not with a token."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated) and (
            request_token(request) is None
        )
