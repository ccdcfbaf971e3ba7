"""`Idempotency-Key` for creation endpoints: a retried POST returns the first response and
creates nothing new, also when the retries arrive at the same time.

How: the view's work and an IdempotencyRecord (unique per user and key) are written in ONE
transaction. The record is inserted first; a concurrent request with the same key blocks on the
unique index until the first transaction ends (PostgreSQL; SQLite serialises writers anyway),
then finds the committed record and replays it. If the first request failed, its record rolled
back with everything else and the retry runs for real. Only successful (2xx) responses are
stored: errors change nothing, so a client may fix the request and retry with the same key.

The same key with a different request (method, path or body) is a 422
`idempotency_key_reused`. Keys are per user, 1 to 255 visible ASCII characters, and expire after
API_IDEMPOTENCY_TTL_HOURS (default 24).
"""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from core.api.errors import Conflict, UnprocessableRequest
from core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
# The header in the schema of every endpoint decorated with @idempotent.
IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (e.g. a UUID): a retry with the same key creates nothing new.",
)
# Response headers worth replaying with the stored body.
REPLAYED_HEADERS = ("Location", "ETag")

Handler = Callable[..., Response]


def ttl() -> timedelta:
    return timedelta(hours=settings.API_IDEMPOTENCY_TTL_HOURS)


def _valid_key(key: str) -> bool:
    return 0 < len(key) <= 255 and all(33 <= ord(char) <= 126 for char in key)


def _file_digest(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return f"file:{upload.name}:{upload.size}:{digest.hexdigest()}"


def _canonical(data: Any) -> Any:
    if hasattr(data, "lists"):  # QueryDict / MultiValueDict from form or multipart bodies
        return {key: [_canonical(v) for v in values] for key, values in sorted(data.lists())}
    if isinstance(data, dict):
        return {str(key): _canonical(value) for key, value in sorted(data.items())}
    if isinstance(data, list | tuple):
        return [_canonical(item) for item in data]
    if isinstance(data, UploadedFile):
        return _file_digest(data)
    return data


def fingerprint(request: Request) -> str:
    """A digest of what the request asks for: method, path and the parsed body (so the same
    JSON with keys in another order is the same request)."""
    body = json.dumps(_canonical(request.data), cls=JSONEncoder, sort_keys=True)
    raw = f"{request.method}\n{request.path}\n{body}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.response_body, status=record.response_status)
    for name, value in record.response_headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def _existing(user_id: int, key: str, print_: str) -> IdempotencyRecord | None:
    record = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
    if record is None:
        return None
    if record.fingerprint != print_:
        raise UnprocessableRequest(
            f"The Idempotency-Key '{key}' was already used for a different request "
            f"({record.method} {record.path}). Use a new key for a new request.",
            code="idempotency_key_reused",
        )
    return record


def idempotent(handler: Handler) -> Handler:
    """Decorate a view method that creates something (`create`, a POST @action).

    Without the header the method runs as usual. With it, see the module docstring.
    """

    @wraps(handler)
    def wrapped(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        key = key.strip()
        if not _valid_key(key):
            raise exceptions.ValidationError(
                {HEADER: ["Use 1 to 255 visible ASCII characters (e.g. a UUID)."]}
            )
        user_id = request.user.pk
        assert user_id is not None  # creation endpoints are behind IsAuthenticated
        print_ = fingerprint(request)
        # Expired records no longer count; drop this one so the key can be used again.
        IdempotencyRecord.objects.filter(
            user_id=user_id, key=key, created_at__lt=timezone.now() - ttl()
        ).delete()
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        user_id=user_id,
                        key=key,
                        fingerprint=print_,
                        method=request.method or "POST",
                        path=request.path[:500],
                        response_status=0,
                    )
            except IntegrityError:
                record = None
            if record is None:
                existing = _existing(user_id, key, print_)
                if existing is None:  # the row we collided with expired and was purged meanwhile
                    raise Conflict("A request with this Idempotency-Key just ended; retry.")
                return _replay(existing)
            response = handler(view, request, *args, **kwargs)
            if not 200 <= response.status_code < 300:
                # Nothing is kept for a failed request: roll back the record (the handler's own
                # writes, if any, were refused by the service already).
                transaction.set_rollback(True)
                return response
            record.response_status = response.status_code
            record.response_body = json.loads(json.dumps(response.data, cls=JSONEncoder))
            record.response_headers = {
                name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)
            }
            record.save(update_fields=["response_status", "response_body", "response_headers"])
        return response

    return wrapped


def idempotency_purge_expired() -> int:
    """Delete records past their TTL; returns how many. Safe to run any time, any number."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - ttl()).delete()
    return deleted
