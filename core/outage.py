"""What counts as "the database did not answer", and what the client is told then.

Used by the API's exception handler and by `handler500` (core/server_errors.py), so an outage is
a 503 with Retry-After wherever it surfaces (DESIGN.md §8), and a bug stays a 500.
"""

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError

OUTAGE_CODE = "service_unavailable"
OUTAGE_TITLE = "Service temporarily unavailable"
OUTAGE_MESSAGE = (
    "The service desk cannot reach its database right now, so your request was not completed. "
    "Please try again in a few seconds."
)


def is_database_outage(error: BaseException | None) -> bool:
    """Errors that mean "the database did not answer" rather than "the query was wrong"."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    return isinstance(error, DatabaseError) and "connection" in str(error).lower()


def retry_after_seconds() -> str:
    return str(settings.DATABASE_OUTAGE_RETRY_AFTER_SECONDS)
