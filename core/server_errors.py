"""The answer to an unhandled exception (`handler500`): 503 when the database is unreachable.

DESIGN.md §8: a database outage is not a bug, so clients must be able to tell the two apart.
Django calls `handler500` inside its `except` block, whether the exception came from a view,
from DRF (which re-raises what its handler does not translate) or from a middleware, so this is
the one place that sees them all. A database error becomes `503 Service Unavailable` with
`Retry-After`; anything else stays a 500. Under /api/ both answer in the API's error envelope,
elsewhere as a plain page that needs neither the database nor a template (the base template
would ask for the signed-in user, which is one more query against the database that is down).
"""

import logging
import sys
from html import escape

from django.http import HttpRequest, HttpResponse, JsonResponse

from core.api.errors import error_body
from core.outage import (
    OUTAGE_CODE,
    OUTAGE_MESSAGE,
    OUTAGE_TITLE,
    is_database_outage,
    retry_after_seconds,
)

logger = logging.getLogger(__name__)

_PAGE = (
    "<!doctype html><html lang=en><head><meta charset=utf-8>"
    "<meta name=viewport content='width=device-width, initial-scale=1'>"
    "<title>{title}</title></head><body style='font-family:sans-serif;max-width:36rem;"
    "margin:4rem auto;padding:0 1rem'><h1>{title}</h1><p>{message}</p></body></html>"
)


def _answer(request: HttpRequest, status: int, code: str, title: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(error_body(code, message), status=status)
    else:
        html = _PAGE.format(title=escape(title), message=escape(message))
        response = HttpResponse(html, status=status, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    error = sys.exc_info()[1]
    if is_database_outage(error):
        logger.warning("database unavailable for %s %s: %s", request.method, request.path, error)
        response = _answer(request, 503, OUTAGE_CODE, OUTAGE_TITLE, OUTAGE_MESSAGE)
        response["Retry-After"] = retry_after_seconds()
        return response
    return _answer(
        request,
        500,
        "server_error",
        "Server error",
        "Something went wrong on our side. The error was logged; please try again.",
    )
