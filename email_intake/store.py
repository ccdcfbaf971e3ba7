"""Store a message before anything else happens to it: once per (mailbox, message key).

The key is the Message-ID, or "sha256:<hex>" of the raw source when there is none (or it is
too long to be one). A second delivery of the same message — a poll that crashed before it
flagged the message on the server, the same file imported twice — finds the stored row and
stores nothing.
"""

import hashlib
import secrets
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parseaddr

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.single_line import single_line_normalise
from email_intake.models import InboundEmail, Mailbox
from email_intake.parsing import decode_header_value

_KEY_LIMIT = 255


def _header(headers: object, name: str) -> str:
    value = headers.get(name)  # type: ignore[attr-defined]
    return single_line_normalise(str(value)) if value is not None else ""


def message_key(raw: bytes) -> tuple[str, str]:
    """(key, Message-ID) of a raw message; the key falls back to a hash of the source."""
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
    message_id = _header(headers, "Message-ID").strip()
    if message_id and len(message_id) <= _KEY_LIMIT:
        return message_id, message_id
    return f"sha256:{hashlib.sha256(raw).hexdigest()}", message_id[:_KEY_LIMIT]


def store_message(
    mailbox: Mailbox,
    raw: bytes,
    *,
    uid: int | None = None,
    uid_validity: int | None = None,
) -> tuple[InboundEmail, bool]:
    """Store `raw` for `mailbox`, waiting to be processed; returns (row, created). When the
    message is already stored, returns the stored row and writes nothing."""
    key, message_id = message_key(raw)
    existing = InboundEmail.objects.filter(mailbox=mailbox, message_key=key).first()
    if existing is not None:
        return existing, False
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
    sender = parseaddr(_header(headers, "From"))[1].strip().lower()[:254]
    inbound = InboundEmail(
        mailbox=mailbox,
        message_key=key,
        message_id=message_id,
        uid=uid,
        uid_validity=uid_validity,
        size=len(raw),
        sender=sender,
        subject=decode_header_value(str(headers.get("Subject") or ""))[:255],
        received_at=timezone.now(),
    )
    inbound.raw.save(f"{secrets.token_hex(16)}.eml", ContentFile(raw), save=False)
    try:
        with transaction.atomic():
            inbound.save()
    except IntegrityError:
        # Another worker stored it between the check and the insert: theirs stands.
        inbound.raw.delete(save=False)
        return InboundEmail.objects.get(mailbox=mailbox, message_key=key), False
    return inbound, True
