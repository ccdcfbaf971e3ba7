"""Request bodies sent with `Transfer-Encoding: chunked`, read once and within a limit.

A WSGI server (gunicorn) de-chunks `wsgi.input`, but Django trusts only CONTENT_LENGTH: with none,
`WSGIRequest` reads zero bytes, so a relay that streams its body was answered "invalid JSON".
`RequestBodyMiddleware` reads such a body in bounded steps into a spooled temporary file (memory
up to FILE_UPLOAD_MAX_MEMORY_SIZE, then disk) and hands Django a stream with a real length.

The limit is the view's own when it declares one (`body_limit`), else DATA_UPLOAD_MAX_MEMORY_SIZE,
or, for multipart uploads, that plus the files a form may carry. A body over it is refused with
413 before the view runs (the API's error envelope under /api/, plain text elsewhere), whichever
way its length was given. A view that declares its own limit checks it itself (the alert intake
records refusals in its log): it is handed at most limit + 1 bytes.
"""

import tempfile
from collections.abc import Callable
from typing import IO, Any, TypeVar

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse

from core.api.errors import error_body
from core.web.forms import MAX_REPORT_FILES

READ_STEP = 64 * 1024
DJANGO_DEFAULT_MEMORY_SIZE = 2_621_440
ViewFunc = TypeVar("ViewFunc", bound=Callable[..., Any])


def body_limit(read_limit: Callable[[], int]) -> Callable[[ViewFunc], ViewFunc]:
    """Mark a view that reads and size-checks its own body; `read_limit` gives its limit in
    bytes, read per request (so a changed setting applies at once)."""

    def mark(view: ViewFunc) -> ViewFunc:
        view.body_limit = read_limit  # type: ignore[attr-defined]
        return view

    return mark


def _is_chunked(request: HttpRequest) -> bool:
    encoding = request.META.get("HTTP_TRANSFER_ENCODING", "")
    return "chunked" in encoding.lower() and not request.META.get("CONTENT_LENGTH")


def _declared_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def _default_limit(request: HttpRequest) -> int:
    # None switches Django's own check off; a chunked body still needs a bound, so use its default.
    memory_limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or DJANGO_DEFAULT_MEMORY_SIZE
    if request.content_type == "multipart/form-data":
        return memory_limit + MAX_REPORT_FILES * settings.ATTACHMENT_MAX_BYTES
    return memory_limit


def _spool(source: IO[bytes], most: int) -> tuple[IO[bytes], int]:
    """At most `most` bytes of `source`, in a spooled file rewound to its start."""
    # Not a context manager: the file outlives this function as the request's body stream.
    spool = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
    size = 0
    while size < most:
        piece = source.read(min(READ_STEP, most - size))
        if not piece:
            break
        spool.write(piece)
        size += len(piece)
    spool.seek(0)
    return spool, size


def payload_too_large(request: HttpRequest, limit: int) -> HttpResponse:
    message = f"The request body is larger than the limit of {limit} bytes."
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("payload_too_large", message), status=413)
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")


class RequestBodyMiddleware:
    """Place before CsrfViewMiddleware: the CSRF check may read a form body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        own_limit: Callable[[], int] | None = getattr(view, "body_limit", None)
        limit = own_limit() if own_limit is not None else _default_limit(request)
        if _is_chunked(request):
            return self._read_chunked(request, limit, checks_itself=own_limit is not None)
        if own_limit is None and _declared_length(request) > limit:
            return payload_too_large(request, limit)
        return None

    @staticmethod
    def _read_chunked(
        request: HttpRequest, limit: int, *, checks_itself: bool
    ) -> HttpResponse | None:
        spool, size = _spool(request.META["wsgi.input"], limit + 1)
        if size > limit and not checks_itself:
            spool.close()
            return payload_too_large(request, limit)
        request.META["CONTENT_LENGTH"] = str(size)
        request._stream = LimitedStream(spool, size)  # type: ignore[assignment,arg-type]
        return None
