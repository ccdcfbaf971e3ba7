"""A stored message as it arrived: its main headers on a small page, and its raw source as a
download (message/rfc822, never rendered by the browser). Agents see the mail of tickets they
may see; admins any message (the refused-mail log)."""

from email import policy
from email.parser import BytesHeaderParser

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from core.web.access import agent_required, current_user
from email_intake.models import InboundEmail
from email_intake.selectors import inbound_get_for_user

SHOWN_HEADERS = ("From", "To", "Cc", "Date", "Subject", "Message-ID")
# The headers of a message are at its start; a huge body is never read for this page.
HEADER_BYTES = 256 * 1024


def message_headers(inbound: InboundEmail) -> list[tuple[str, str]]:
    """The shown headers of the stored source (those it has), decoded; a malformed header is
    shown as it is rather than failing the page."""
    with inbound.raw.open("rb") as source:
        head = source.read(HEADER_BYTES)
    end = head.find(b"\r\n\r\n")
    end = head.find(b"\n\n") if end < 0 else end
    parsed = BytesHeaderParser(policy=policy.compat32).parsebytes(head if end < 0 else head[:end])
    shown = []
    for name in SHOWN_HEADERS:
        for value in parsed.get_all(name, []):
            try:
                text = str(policy.default.header_factory(name, str(value)))
            except Exception:
                text = str(value)
            shown.append((name, " ".join(text.split())))
    return shown


@never_cache
@agent_required
def message_view(request: HttpRequest, pk: int) -> HttpResponse:
    inbound = inbound_get_for_user(current_user(request), pk)
    try:
        headers = message_headers(inbound)
    except OSError:
        headers = []
    return render(request, "email_intake/message.html", {"inbound": inbound, "headers": headers})


@never_cache
@login_required
def message_raw_view(request: HttpRequest, pk: int) -> FileResponse:
    # inbound_get_for_user answers 404 to anyone but agents (as agent_required would).
    inbound = inbound_get_for_user(current_user(request), pk)
    response = FileResponse(
        inbound.raw.open("rb"),
        as_attachment=True,
        filename=f"message-{inbound.pk}.eml",
        content_type="message/rfc822",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
