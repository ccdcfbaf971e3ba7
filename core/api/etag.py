"""ETag / If-Match for optimistic concurrency on tickets.

The ETag of a ticket is its `version` (`"v7"`), the same token the HTML forms post back. Every
service that changes a ticket bumps it; comments and files do not (they never conflict with an
edit, core.services), so they do not invalidate an ETag either.

A write sent with `If-Match` is checked twice: against the row just read (a stale tag is a 412
before anything runs) and, by passing `expected_version` to the service, against the row the
service locks (a change that lands in between is also a 412, via ConflictError). Without
If-Match the write goes ahead (a lost race still surfaces as a 409 from the service where the
service checks versions).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from core.api.errors import PreconditionFailed
from core.exceptions import ConflictError


def etag_for(obj: Any) -> str:
    """The strong ETag of a versioned object (anything with a `version` field)."""
    return f'"v{obj.version}"'


def _parse_if_match(value: str) -> list[str]:
    tags = []
    for raw in value.split(","):
        tag = raw.strip()
        if tag.startswith("W/"):
            # Weak tags never match under If-Match (RFC 9110 §13.1.1: strong comparison).
            continue
        if tag:
            tags.append(tag)
    return tags


def expected_version(request: Request, obj: Any) -> int | None:
    """The version an `If-Match` request expects the object to have, or None without If-Match.

    Raises PreconditionFailed (412) when no listed tag matches the object as read now.
    `If-Match: *` matches any existing object.
    """
    header = request.headers.get("If-Match")
    if header is None:
        return None
    tags = _parse_if_match(header)
    if "*" in tags:
        return None
    if etag_for(obj) not in tags:
        raise PreconditionFailed(
            f"{getattr(obj, 'number', 'The object')} changed since you read it "
            f"(now {etag_for(obj)}). Fetch it again and retry."
        )
    return int(obj.version)


@contextmanager
def precondition(expected: int | None) -> Iterator[None]:
    """Around a service call given `expected_version=expected`: a version conflict found under
    the service's lock is a 412 when the client sent If-Match (it is the same stale precondition),
    and stays a 409 ConflictError otherwise."""
    try:
        yield
    except ConflictError as exc:
        if expected is not None:
            raise PreconditionFailed(str(exc)) from exc
        raise


def with_etag(response: Response, obj: Any) -> Response:
    response["ETag"] = etag_for(obj)
    return response
