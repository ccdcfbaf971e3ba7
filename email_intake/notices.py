"""Polite auto-replies to refused senders: one per (address, reason) per
EMAIL_INTAKE_NOTICE_HOURS, through the outbox, never to automatic mail nor to ourselves."""

from datetime import timedelta
from email.parser import BytesHeaderParser
from email.policy import default

from django.conf import settings
from django.utils import timezone

from core.outbox import outbox_enqueue
from email_intake.models import InboundEmail, SenderNotice
from email_intake.noise import may_auto_reply
from email_intake.parsing import Headers, is_valid_address, message_ids, read_headers

_SIGNATURE = "\n\nThis is an automatic message from the service desk; please do not reply to it."


# Headers come first: reading this much is enough, whatever the size of the message (FETCH
# calls tell_sender for messages over the size limit).
_HEADER_BYTES = 256 * 1024


def _headers_of(inbound: InboundEmail) -> Headers:
    with inbound.raw.open("rb") as raw:
        head = raw.read(_HEADER_BYTES)
    return read_headers(BytesHeaderParser(policy=default).parsebytes(head))


def tell_sender(
    inbound: InboundEmail, reason_code: str, text: str, *, headers: Headers | None = None
) -> bool:
    """Tell the sender of `inbound` once why their mail was not taken (call inside the
    transaction that records the refusal). Returns whether a notice was queued."""
    address = inbound.sender.lower()
    headers = headers if headers is not None else _headers_of(inbound)
    if not is_valid_address(address) or not may_auto_reply(headers, address):
        return False
    now = timezone.now()
    since = now - timedelta(hours=settings.EMAIL_INTAKE_NOTICE_HOURS)
    told = SenderNotice.objects.filter(address=address, reason=reason_code, sent_at__gte=since)
    if told.exists():
        return False
    SenderNotice.objects.create(
        mailbox=inbound.mailbox, address=address, reason=reason_code[:30], sent_at=now
    )
    their_id = inbound.message_id if inbound.message_id.startswith("<") else ""
    subject = headers.first("subject") or "your message"
    outbox_enqueue(
        task_name="core.send_email",
        payload={
            "to": [address],
            "subject": f"Not delivered to the service desk: {subject}"[:200],
            "body": f"Hello,\n\nyour message to {inbound.mailbox.address} was not taken: {text}"
            + _SIGNATURE,
            "headers": {"Auto-Submitted": "auto-replied"},
            "in_reply_to": their_id,
            "references": message_ids(their_id),
        },
        dedupe_key=f"email-notice:{inbound.pk}:{reason_code}",
    )
    return True
