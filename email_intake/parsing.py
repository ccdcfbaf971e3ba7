"""MIME source -> a parsed message the pipeline can trust, whatever arrived.

Robust by construction: headers are read from their raw values (`raw_items`) and decoded here,
so a malformed address list or encoded-word never raises out of the `email` package; bodies are
decoded with the declared charset when Python knows it and it fits, else UTF-8, else
Windows-1252 with replacement characters (never a lost message). Every header value the desk may
write back (subject, names) is made single-line, so a CR/LF smuggled into an encoded word never
reaches a header we write.
"""

import codecs
import email.policy
import re
from dataclasses import dataclass, field
from email.header import decode_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from core.single_line import single_line_normalise

_FALLBACK_CHARSET = "cp1252"
_MESSAGE_ID_LIMIT = 255
_ANGLE_ADDRESS = re.compile(r"<([^<>\s@]+@[^<>\s@]+)>\s*$")


def decode_bytes(data: bytes, charset: str | None) -> str:
    """`data` as text: the declared charset if Python knows it and the bytes fit, else UTF-8,
    else Windows-1252 with replacement characters."""
    candidates = [charset] if charset else []
    candidates.append("utf-8")
    for candidate in candidates:
        try:
            codecs.lookup(candidate)
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return data.decode(_FALLBACK_CHARSET, errors="replace")


def decode_header_value(raw: str) -> str:
    """A raw header value (encoded words, 8-bit bytes carried as surrogates) as one line."""
    try:
        chunks = decode_header(raw)
    except Exception:  # a malformed encoded word: keep the raw text
        chunks = [(raw, None)]
    text = []
    for chunk, charset in chunks:
        if isinstance(chunk, bytes):
            text.append(decode_bytes(chunk, charset))
        else:
            data = chunk.encode("utf-8", "surrogateescape")
            text.append(decode_bytes(data, None))
    return single_line_normalise("".join(text)).strip()


@dataclass(frozen=True)
class Headers:
    """Decoded, single-line header values by lower-case name (every occurrence, in order)."""

    values: dict[str, list[str]]
    # The undecoded values: addresses are parsed from these, so an encoded word can never
    # smuggle an address ("=?utf-8?q?x=0D=0ABcc:_y@z?=" decodes to text, not a recipient).
    raw: dict[str, list[str]] = field(default_factory=dict)

    def first(self, name: str) -> str:
        found = self.values.get(name.lower())
        return found[0] if found else ""

    def all(self, name: str) -> list[str]:
        return self.values.get(name.lower(), [])

    def has(self, name: str) -> bool:
        return name.lower() in self.values


def read_headers(message: Message) -> Headers:
    values: dict[str, list[str]] = {}
    raws: dict[str, list[str]] = {}
    for name, raw in message.raw_items():
        values.setdefault(str(name).lower(), []).append(decode_header_value(str(raw)))
        raws.setdefault(str(name).lower(), []).append(single_line_normalise(str(raw)))
    return Headers(values, raws)


@dataclass(frozen=True)
class Part:
    """A file carried by the message: an attachment or an inline image."""

    filename: str
    content_type: str
    content_id: str
    payload: bytes


@dataclass
class ParsedMessage:
    message: EmailMessage
    headers: Headers
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    sender: str
    sender_name: str
    subject: str
    text: str = ""
    html: str = ""
    parts: list[Part] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)


def is_valid_address(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def message_ids(value: str) -> list[str]:
    """The <id>s in a Message-ID, In-Reply-To or References value, brackets kept."""
    found = []
    for token in value.replace(">", "> ").split():
        if token.startswith("<") and token.endswith(">") and "@" in token:
            found.append(token[:_MESSAGE_ID_LIMIT])
    return found


def _sender(headers: Headers) -> tuple[str, str]:
    # Reply-To is not trusted for identity: From is who the mail claims to be from.
    found = headers.raw.get("from")
    value = found[0] if found else ""
    angle = _ANGLE_ADDRESS.search(value)
    if angle:  # "name <address>": the name may hold anything an encoded word can carry
        name, address = value[: angle.start()].strip().strip('"'), angle.group(1)
    else:
        name, address = parseaddr(value)
    if not address:
        pairs = getaddresses([value])
        name, address = pairs[0] if pairs else ("", "")
    address = address.strip().lower()
    if not is_valid_address(address):
        address = ""
    return decode_header_value(name)[:150], address[:254]


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # a broken RFC 2231 parameter
        name = ""
    return single_line_normalise(decode_header_value(str(name))).replace("/", "_")[:200]


def _disposition(part: Message) -> str:
    try:
        return part.get_content_disposition() or ""
    except Exception:
        return ""


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # an undecodable transfer encoding: keep the bytes as they are
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _walk(message: Message, parsed: ParsedMessage) -> None:
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        filename = _filename(part)
        disposition = _disposition(part)
        content_id = decode_header_value(str(part.get("Content-ID", "")))
        is_text = content_type in ("text/plain", "text/html")
        if filename or disposition == "attachment" or not is_text:
            parsed.parts.append(Part(filename, content_type, content_id, _payload(part)))
            continue
        text = decode_bytes(_payload(part), _charset(part))
        if content_type == "text/plain" and not parsed.text:
            parsed.text = text
        elif content_type == "text/html" and not parsed.html:
            parsed.html = text


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:
        return None


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse `raw`; never raises for bad input (defects are listed instead)."""
    message = BytesParser(policy=email.policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    headers = read_headers(message)
    ids = message_ids(headers.first("message-id"))
    name, address = _sender(headers)
    parsed = ParsedMessage(
        message=message,
        headers=headers,
        message_id=ids[0] if ids else "",
        in_reply_to=message_ids(" ".join(headers.all("in-reply-to"))),
        references=message_ids(" ".join(headers.all("references"))),
        sender=address,
        sender_name=name,
        subject=headers.first("subject")[:255],
    )
    _walk(message, parsed)
    parsed.defects = [type(d).__name__ for p in message.walk() for d in p.defects]
    return parsed
