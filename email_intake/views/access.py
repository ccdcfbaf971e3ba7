"""Who may open the email channel's admin pages: managers read, admins change. Anyone else
gets the same 404 as an unknown page."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from core.roles import is_admin, is_manager

ViewFunc = Callable[..., HttpResponse]


def manager_required(view: ViewFunc) -> ViewFunc:
    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_manager(request.user):
            raise Http404("Not found.")
        return view(request, *args, **kwargs)

    return wrapped


def admin_required(view: ViewFunc) -> ViewFunc:
    """Admins only: a manager (who may read these pages) gets 403 for a change, anyone else
    404."""

    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_manager(request.user):
            raise Http404("Not found.")
        if not is_admin(request.user):
            raise PermissionDenied("Only admins can change the email channel.")
        return view(request, *args, **kwargs)

    return wrapped
