"""Bounces: delivery-status notifications about mail the desk sent.

`bounce_of(message)` recognises a bounce and reads it: a standard DSN (RFC 3464: a
multipart/report with report-type=delivery-status, whose message/delivery-status part names each
recipient with its Action, Status and Diagnostic-Code, and whose message/rfc822 or
text/rfc822-headers part quotes the original), or the common non-standard shapes (a message from
MAILER-DAEMON or postmaster, or carrying X-Failed-Recipients, that quotes the original headers in
its text). It returns None for anything else.

`record_bounce(report, inbound)` matches the report to the email it bounces by the original
Message-ID (a `TicketEmail` the desk wrote) and marks it on the ticket's timeline. A bounce is
never a ticket and is never answered: the pipeline stops at it.
"""

import re
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from email.utils import getaddresses, parseaddr

from django.db import transaction
from django.utils import timezone

from core.models import TicketBase, TicketEmail
from core.single_line import single_line_normalise
from core.tickets.email_thread import EmailDirection
from core.tickets.events import email_bounced_event
from email_intake.models import InboundEmail

BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster"})
DIAGNOSTIC_MAX = 300

_MESSAGE_ID_LINE = re.compile(
    r"^[ \t>]*Message-ID:[ \t]*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE
)
_STATUS = re.compile(r"\b([45]\.\d{1,3}\.\d{1,3})\b")
_SMTP_REPLY = re.compile(r"\b[45]\d\d[ -]")
_ADDRESS_LINE = re.compile(r"^[ \t]*<?([^\s<>@:]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})>?:?[ \t]*$", re.M)


@dataclass(frozen=True)
class BouncedRecipient:
    """One recipient of a delivery report: `action` "failed", "delayed", "delivered",
    "relayed" or "expanded" (RFC 3464 §2.3.3); `address` "" when the report does not say."""

    address: str
    action: str
    status: str = ""
    diagnostic: str = ""

    @property
    def reason(self) -> str:
        if self.status and self.status not in self.diagnostic:
            return f"{self.status} {self.diagnostic}".strip()
        return self.diagnostic or "no reason given"


@dataclass(frozen=True)
class BounceReport:
    """What a delivery report says. `original_message_id` is "" when it does not quote it;
    `standard` says whether it was an RFC 3464 report."""

    original_message_id: str
    recipients: tuple[BouncedRecipient, ...]
    standard: bool

    @property
    def failed(self) -> tuple[BouncedRecipient, ...]:
        return tuple(recipient for recipient in self.recipients if recipient.action == "failed")

    @property
    def summary(self) -> str:
        """One line for the refused-mail log: who failed and why."""
        failed = self.failed or self.recipients
        if not failed:
            return "a delivery report naming no recipient"
        return "; ".join(f"{r.address or 'a recipient'}: {r.reason}"[:300] for r in failed[:5])


# --- Reading ----------------------------------------------------------------------------------


def bounce_of(message: EmailMessage) -> BounceReport | None:
    """The bounce `message` is, or None when it is not one."""
    report = _report_part(message)
    if report is not None:
        return _standard_report(report, message)
    if _looks_like_bounce(message):
        return _nonstandard_report(message)
    return None


def _parts(message: Message) -> list[Message]:
    """Every part of the message, not descending into quoted messages (message/rfc822)."""
    found = [message]
    if message.is_multipart() and message.get_content_maintype() == "multipart":
        for part in message.get_payload():
            if isinstance(part, Message):
                found.extend(_parts(part))
    return found


def _report_part(message: Message) -> Message | None:
    for part in _parts(message):
        if (
            part.get_content_type() == "multipart/report"
            and str(part.get_param("report-type", "")).lower() == "delivery-status"
        ):
            return part
    return None


def _standard_report(report: Message, message: Message) -> BounceReport:
    recipients: list[BouncedRecipient] = []
    original = ""
    for part in _parts(report):
        content_type = part.get_content_type()
        if content_type in ("message/delivery-status", "message/global-delivery-status"):
            recipients.extend(_recipients_of(_status_blocks(part)))
        elif content_type in ("message/rfc822", "message/global") and not original:
            original = _quoted_message_id(part)
        elif content_type in ("text/rfc822-headers", "text/global-headers") and not original:
            original = _header_message_id(_text_of(part))
    return BounceReport(
        original_message_id=original or _reply_target(message),
        recipients=tuple(recipients),
        standard=True,
    )


def _status_blocks(part: Message) -> list[Message]:
    """The field groups of a delivery-status part: the per-message one, then one per recipient.
    Python parses them into a list of header blocks; an encoded part arrives as text."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    text = _decoded(part)
    return [HeaderParser().parsestr(block) for block in re.split(r"\r?\n[ \t]*\r?\n", text)]


def _recipients_of(blocks: list[Message]) -> list[BouncedRecipient]:
    recipients = []
    for block in blocks:
        address = _typed_address(block.get("Final-Recipient") or block.get("Original-Recipient"))
        action = _one_line(block.get("Action")).lower()
        if not action and not address:
            continue  # the per-message block (Reporting-MTA, Arrival-Date)
        recipients.append(
            BouncedRecipient(
                address=address,
                action=action or "failed",
                status=_one_line(block.get("Status")),
                diagnostic=_diagnostic(_one_line(block.get("Diagnostic-Code"))),
            )
        )
    return recipients


def _typed_address(value: object) -> str:
    """ "rfc822; someone@example.com" → "someone@example.com"."""
    text = _one_line(value)
    _, _, address = text.rpartition(";")
    return parseaddr(address.strip())[1].lower()


def _diagnostic(value: str) -> str:
    """ "smtp; 550 5.1.1 <x@y>: Recipient address rejected" without its type, bounded."""
    kind, separator, rest = value.partition(";")
    if separator and kind.strip().lower() in ("smtp", "x-unix", "x-postfix", "x-local"):
        value = rest
    return " ".join(value.split())[:DIAGNOSTIC_MAX]


def _quoted_message_id(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return _one_line(payload[0].get("Message-ID"))
    return _header_message_id(_decoded(part))


def _header_message_id(text: str) -> str:
    return _one_line(HeaderParser().parsestr(text).get("Message-ID"))


def _reply_target(message: Message) -> str:
    """Some servers thread their report on the original instead of quoting it."""
    return _one_line(message.get("In-Reply-To"))


def _raw_header(message: Message, name: str) -> str:
    """A header's undecoded value: a malformed one (CR/LF in an encoded address) must not
    raise here, where the parsing policy would."""
    wanted = name.lower()
    for key, value in message.raw_items():
        if key.lower() == wanted:
            return str(value)
    return ""


def _looks_like_bounce(message: Message) -> bool:
    if _raw_header(message, "X-Failed-Recipients"):
        return True
    local_part = parseaddr(_raw_header(message, "From"))[1].partition("@")[0]
    return local_part.lower() in BOUNCE_SENDERS


def _nonstandard_report(message: Message) -> BounceReport:
    """A report in words: the recipients from X-Failed-Recipients or the address lines of its
    text, the status and diagnostic from the first SMTP reply it quotes, the original
    Message-ID from the headers it quotes."""
    texts = [_text_of(part) for part in _parts(message) if part.get_content_maintype() == "text"]
    texts += [
        _quoted_text(part)
        for part in _parts(message)
        if part.get_content_type() == "message/rfc822"
    ]
    body = "\n".join(texts)
    match = _MESSAGE_ID_LINE.search(body)
    original = match.group(1) if match else _reply_target(message)
    explanation = body[: match.start()] if match else body
    failed_header = _one_line(message.get("X-Failed-Recipients"))
    addresses = [address.lower() for _, address in getaddresses([failed_header]) if address]
    if not addresses:
        addresses = [found.lower() for found in _ADDRESS_LINE.findall(explanation)]
    status_match = _STATUS.search(explanation)
    status = status_match.group(1) if status_match else ""
    diagnostic = _diagnostic_line(explanation)
    unique = list(dict.fromkeys(addresses)) or [""]
    return BounceReport(
        original_message_id=original,
        recipients=tuple(
            BouncedRecipient(address=address, action="failed", status=status, diagnostic=diagnostic)
            for address in unique
        ),
        standard=False,
    )


def _diagnostic_line(text: str) -> str:
    for line in text.splitlines():
        if _SMTP_REPLY.search(line) or _STATUS.search(line):
            return " ".join(line.split())[:DIAGNOSTIC_MAX]
    return ""


def _quoted_text(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return "\n".join(f"{name}: {value}" for name, value in payload[0].items())
    return _decoded(part)


def _text_of(part: Message) -> str:
    if isinstance(part, EmailMessage):
        try:
            content = part.get_content()
        except (LookupError, KeyError, ValueError, AssertionError):
            return _decoded(part)
        return content if isinstance(content, str) else _decoded(part)
    return _decoded(part)


def _decoded(part: Message) -> str:
    raw = part.get_payload(decode=True)
    if isinstance(raw, bytes):
        try:
            return raw.decode(part.get_content_charset() or "utf-8", errors="replace")
        except LookupError:  # a charset Python does not know: keep what can be read
            return raw.decode("utf-8", errors="replace")
    payload = part.get_payload()
    return payload if isinstance(payload, str) else ""


def _one_line(value: object) -> str:
    return single_line_normalise(str(value)) if value else ""


# --- Recording --------------------------------------------------------------------------------


def record_bounce(report: BounceReport, inbound: InboundEmail) -> bool:
    """Mark the email `report` bounces as undelivered, once per recipient: sets its
    `bounced_at` (first bounce) and `bounce_reason` (one line per recipient), and appends an
    internal "email_bounced" event on its ticket for each recipient not recorded before. True
    when the report bounces an email of ours (also when it was already recorded), False when it
    bounces nothing of ours (unknown Message-ID, mail the desk received, a delay notice).
    Runs in its own transaction (a savepoint inside the caller's)."""
    failed = report.failed
    if not report.original_message_id or not failed:
        return False
    with transaction.atomic():
        email = (
            TicketEmail.objects.select_for_update()
            .filter(message_id=report.original_message_id, direction=EmailDirection.OUT)
            .first()
        )
        if email is None:
            return False
        ticket = _ticket_of(email)
        if ticket is None:
            return False
        recorded = _recorded_addresses(email.bounce_reason)
        lines, new = [], []
        for recipient in failed:
            address = recipient.address or ", ".join(email.recipients) or "(unknown)"
            if address.lower() in recorded:
                continue
            recorded.add(address.lower())
            lines.append(f"{address}: {recipient.reason}")
            new.append((address, recipient))
        if not new:
            return True
        email.bounce_reason = "\n".join(filter(None, [email.bounce_reason, *lines]))
        email.bounced_at = email.bounced_at or timezone.now()
        email.save(update_fields=["bounce_reason", "bounced_at"])
        for address, recipient in new:
            email_bounced_event(
                ticket,
                recipient=address,
                status=recipient.status,
                diagnostic=recipient.diagnostic,
                message_id=email.message_id,
                inbound_email_id=inbound.pk,
            )
    return True


def _recorded_addresses(bounce_reason: str) -> set[str]:
    return {line.partition(": ")[0].lower() for line in bounce_reason.splitlines() if line}


def _ticket_of(email: TicketEmail) -> TicketBase | None:
    model = email.ticket_type.model_class()
    if model is None:
        return None
    ticket = model._base_manager.filter(pk=email.ticket_id).first()
    return ticket if isinstance(ticket, TicketBase) else None
