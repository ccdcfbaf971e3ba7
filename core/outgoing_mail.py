"""An outbox email payload made into a message Django can send.

The payload (written by core.tickets.notify, by the email channel's notices, by reports):

    {"to": [...], "subject": str, "body": str,            # always
     "html": str,                                          # an HTML alternative of body
     "message_id": "<id@domain>", "in_reply_to": "<id>",   # threading (RFC 5322 §3.6.4)
     "references": ["<id>", ...], "reply_to": [...] or str,
     "headers": {"Auto-Submitted": ..., "X-Auto-Response-Suppress": ..., "Precedence": ...}}

Payloads written before any of the optional keys existed still send. Only the headers in
ALLOWED_HEADERS are taken from "headers" (never From, To, Bcc or anything else a payload could
smuggle in), and every header value is made one line: a CR/LF in a value would fail the send for
good (BadHeaderError), or worse, add a header.
"""

from collections.abc import Iterable
from typing import Any

from django.core.mail import EmailMultiAlternatives

from core.single_line import single_line_normalise

ALLOWED_HEADERS = ("Auto-Submitted", "X-Auto-Response-Suppress", "Precedence")


def email_payload(
    *,
    to: list[str],
    subject: str,
    body: str,
    html: str = "",
    message_id: str = "",
    in_reply_to: str = "",
    references: list[str] | None = None,
    reply_to: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The outbox payload of one email (for `outbox_enqueue(task_name="core.send_email", ...)`):
    the one place its shape is written. Empty optional parts are left out."""
    payload: dict[str, Any] = {"to": to, "subject": subject, "body": body}
    optional = {
        "html": html,
        "message_id": message_id,
        "in_reply_to": in_reply_to,
        "references": references,
        "reply_to": reply_to,
        "headers": headers,
    }
    payload.update({name: value for name, value in optional.items() if value})
    return payload


def _one_line_list(values: Iterable[Any]) -> list[str]:
    lines = (single_line_normalise(str(value)) for value in values if value)
    return [line for line in lines if line]


def _as_list(value: Any) -> list[Any]:
    if not value:
        return []
    return [value] if isinstance(value, str) else list(value)


def email_headers(payload: dict[str, Any]) -> dict[str, str]:
    """The extra headers of the payload's email: threading plus the allowed ones, one line each."""
    headers: dict[str, str] = {}
    given = {str(name).lower(): value for name, value in (payload.get("headers") or {}).items()}
    for name in ALLOWED_HEADERS:
        value = single_line_normalise(str(given.get(name.lower(), "") or ""))
        if value:
            headers[name] = value
    message_id = single_line_normalise(str(payload.get("message_id") or ""))
    if message_id:
        headers["Message-ID"] = message_id
    in_reply_to = single_line_normalise(str(payload.get("in_reply_to") or ""))
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
    references = _one_line_list(_as_list(payload.get("references")))
    if references:
        headers["References"] = " ".join(references)
    return headers


def email_message_build(
    payload: dict[str, Any], *, connection: Any = None
) -> EmailMultiAlternatives:
    """The message the payload describes (recipients without an address dropped)."""
    message = EmailMultiAlternatives(
        subject=single_line_normalise(str(payload.get("subject", ""))),
        body=payload.get("body", ""),
        from_email=None,
        to=_one_line_list(_as_list(payload.get("to"))),
        reply_to=_one_line_list(_as_list(payload.get("reply_to"))),
        headers=email_headers(payload),
        connection=connection,
    )
    html = payload.get("html")
    if html:
        message.attach_alternative(html, "text/html")
    return message
