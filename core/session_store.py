"""Django's database sessions, read with one statement written once instead of a query built
per request.

Every signed-in request reads its session before anything else; through the ORM that read
(`Session.objects.get(session_key=…, expire_date__gt=now)`) spends about three times the CPU of
the statement itself on building and compiling the query. This store sends the same statement
(same table, same conditions, the same database the router picks) with its text made once per
database, and decodes what it returns exactly as Django's store does. Everything else — writes,
key rotation, expiry, flush on sign-out, `clearsessions` — is Django's `db` store unchanged.
"""

from functools import cache
from typing import Any

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

from core.kept_statements import kept_cursor


@cache
def _select_data(table: str, alias: str) -> str:
    quote = connections[alias].ops.quote_name
    # Only quoted names of the model's own table and columns are interpolated; values are
    # parameters.
    return (
        f"SELECT {quote('session_data')} FROM {quote(table)} "  # noqa: S608
        f"WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s"
    )


class SessionStore(db.SessionStore):
    """SESSION_ENGINE = "core.session_store"."""

    def load(self) -> dict[str, Any]:
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with kept_cursor(alias) as cursor:
            cursor.execute(_select_data(self.model._meta.db_table, alias), [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            # As Django's store: an unknown or expired key is forgotten, so the next save
            # makes a new one instead of reviving it.
            self._session_key = None
            return {}
        return self.decode(row[0])
