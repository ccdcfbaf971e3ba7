"""One error format for every API error response:

    {"error": {"code": "validation_failed", "message": "Some fields are invalid: title.",
               "fields": {"title": ["This field is required."]}}}

`code` is a stable machine-readable string, `message` a sentence for people, `fields` maps field
names (dotted for nested input, e.g. `answers.0.value`) to lists of messages and is `{}` when the
error is not about fields. Domain errors from services map to statuses here, so views just call
services: ValidationFailed → 400 with fields, TransitionError / DomainError → 409, ConflictError
→ 409 (412 when the client sent If-Match, see core.api.etag). Anything unexpected is logged and
answered with a 500 in the same format (there should be none; tests look for them).
"""

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import csrf
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from core.exceptions import ConflictError, DomainError, TransitionError, ValidationFailed
from core.outage import OUTAGE_CODE, OUTAGE_MESSAGE, is_database_outage, retry_after_seconds

logger = logging.getLogger("core.api")


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource changed since you read it (stale If-Match). Fetch it again."
    default_code = "precondition_failed"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class UnprocessableRequest(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The request cannot be processed."
    default_code = "unprocessable"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


# DRF's default codes, renamed where they read badly in a client's switch statement.
_CODE_NAMES = {"invalid": "validation_failed", "error": "error"}


def error_body(code: str, message: str, fields: Mapping[str, list[str]] | None = None) -> dict:
    """The error envelope (use it for errors produced outside DRF's exception handling)."""
    return {"error": {"code": code, "message": message, "fields": dict(fields or {})}}


def error_response(
    status_code: int, code: str, message: str, fields: Mapping[str, list[str]] | None = None
) -> Response:
    return Response(error_body(code, message, fields), status=status_code)


def flatten_field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"a.b.0.c": ["message", ...]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for inner, messages in flatten_field_errors(value, name).items():
                flat.setdefault(inner, []).extend(messages)
    elif isinstance(detail, list | tuple):
        if all(not isinstance(item, Mapping | list | tuple) for item in detail):
            flat.setdefault(prefix or "non_field_errors", []).extend(str(item) for item in detail)
        else:
            for index, value in enumerate(detail):
                if not value:
                    continue
                name = f"{prefix}.{index}" if prefix else str(index)
                for inner, messages in flatten_field_errors(value, name).items():
                    flat.setdefault(inner, []).extend(messages)
    elif detail is not None:
        flat.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return flat


def _translate(exc: Exception) -> Exception:
    """Domain and Django exceptions as the DRF exceptions that carry their status."""
    if isinstance(exc, ValidationFailed):
        return exceptions.ValidationError({k: [v] for k, v in exc.errors.items()})
    if isinstance(exc, ConflictError):
        return Conflict(str(exc), code="conflict")
    if isinstance(exc, TransitionError):
        return Conflict(str(exc), code="transition_not_allowed")
    if isinstance(exc, DomainError):
        return Conflict(str(exc), code="refused")
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, SuspiciousOperation):
        return exceptions.ParseError(str(exc) or "Malformed request.")
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) or None)
    return exc


def _message(exc: exceptions.APIException, fields: dict[str, list[str]]) -> str:
    if isinstance(exc, exceptions.ValidationError):
        names = [name for name in fields if name != "non_field_errors"]
        if names:
            return f"Some fields are invalid: {', '.join(names)}."
        return " ".join(fields.get("non_field_errors", [])) or "The request is invalid."
    detail = exc.detail
    if isinstance(detail, list | tuple) and detail:
        return " ".join(str(item) for item in detail)
    return str(detail)


def _code(exc: exceptions.APIException) -> str:
    if isinstance(exc, exceptions.ValidationError):
        return "validation_failed"
    codes = exc.get_codes()
    if isinstance(codes, list) and codes:
        codes = codes[0]
    if isinstance(codes, str):
        return _CODE_NAMES.get(codes, codes)
    return exc.default_code


def _answer_errors_in_json(context: dict[str, Any]) -> None:
    """A client that asked for a file (`Accept: application/octet-stream`) gets its error as
    JSON labelled as JSON, not the envelope under an octet-stream type it would save as the file."""
    request = context.get("request")
    renderer = getattr(request, "accepted_renderer", None)
    if request is not None and renderer is not None and not isinstance(renderer, JSONRenderer):
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every error in the one format, never a bare 500."""
    _answer_errors_in_json(context)
    if is_database_outage(exc):
        logger.warning("database unavailable: %s", exc)
        set_rollback()
        outage = error_response(status.HTTP_503_SERVICE_UNAVAILABLE, OUTAGE_CODE, OUTAGE_MESSAGE)
        outage["Retry-After"] = retry_after_seconds()
        return outage
    exc = _translate(exc)
    response = exception_handler(exc, context)  # sets Retry-After / WWW-Authenticate headers
    if response is None or not isinstance(exc, exceptions.APIException):
        logger.exception("Unhandled API error", exc_info=exc)
        set_rollback()
        return error_response(
            status.HTTP_500_INTERNAL_SERVER_ERROR,
            "server_error",
            "Something went wrong on our side; it has been logged.",
        )
    fields: dict[str, list[str]] = {}
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten_field_errors(exc.detail)
    response.data = error_body(_code(exc), _message(exc, fields), fields)
    return response


@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any path under /api/ that no route matches, with any method: a 404 in the API's format,
    not an HTML page. Exempt from CSRF, or a POST without a token would get the CSRF page."""
    return JsonResponse(error_body("not_found", f"No API endpoint at {request.path}."), status=404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: under /api/ a 403 in the API's format (a plain Django view there, such
    as a form post with a session, must not answer HTML); elsewhere Django's own page."""
    if request.path.startswith("/api/"):
        message = "CSRF check failed: send the X-CSRFToken header with a session, or use a token."
        return JsonResponse(error_body("csrf_failed", message), status=403)
    return csrf.csrf_failure(request, reason)
