"""The signed-in user read with one statement compiled once (issue 18).

Every signed-in request reads its user after its session. Django's ModelBackend reads it with
`User._default_manager.get(pk=…)`, a query built and compiled on every request: about half a
millisecond of CPU, more than the statement itself. `KeptModelBackend` reads the same row
through a statement compiled once per database with a stand-in for the id
(core.kept_objects.kept_objects_by), which PostgreSQL also prepares; everything else (password
check, `is_active`, permissions) is ModelBackend's.

A session remembers the path of the backend that signed it in. Sessions made before this
backend existed name `django.contrib.auth.backends.ModelBackend`, which therefore stays listed
after this one (config/settings.py): those sessions keep working, read the old way, until they
sign in again. So that a wrong password is not checked twice (once per listed backend), this
backend ends the sign-in when it refuses: Django then stops asking the backends that follow
and reports the failure once (`user_login_failed`, which the login throttle counts).
"""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import router
from django.http import HttpRequest

from core.kept_objects import kept_objects_by
from core.models import User


class KeptModelBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and password is not None:
            # Refused: the ModelBackend listed after this one would only check it again.
            raise PermissionDenied
        return user

    def get_user(self, user_id: Any) -> User | None:
        if not isinstance(user_id, int):
            return super().get_user(user_id)
        alias = router.db_for_read(User)
        found = kept_objects_by(
            ("signed-in user", alias),
            lambda pk: User._default_manager.db_manager(alias).filter(pk=pk),
            user_id,
        )
        if not found:
            return None
        user: User = found[0]
        return user if self.user_can_authenticate(user) else None
