"""The corpus: real-world-shaped messages, each with its expected outcome."""

import base64
from dataclasses import dataclass

import pytest
from django.contrib.contenttypes.models import ContentType

from core.models import Attachment, Comment, OutboxMessage
from email_intake.choices import InboundOutcome, InboundStatus
from incidents.models import Incident
from tests.email_intake.conftest import CORPUS, simple_mail

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Expected:
    status: str | tuple[str, ...]
    outcome: str = ""
    contains: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    reason: str = ""


DONE, IGNORED = InboundStatus.DONE, InboundStatus.IGNORED
NEW, REPLY = InboundOutcome.NEW_TICKET, InboundOutcome.REPLY

CASES = {
    "outlook_reply.eml": Expected(
        DONE,
        REPLY,
        contains=("The printer works again after the restart",),
        not_contains=("Sent:", "Original text of the agent", "Kind regards"),
    ),
    "gmail_reply.eml": Expected(
        DONE,
        REPLY,
        contains=("It stopped again this morning",),
        not_contains=("wrote:", "was resolved"),
    ),
    "html_only.eml": Expected(
        DONE,
        NEW,
        contains=("**VPN**", "- Client 5.1", "[the status page](https://status.example.com/vpn)"),
        not_contains=("alert", "steal", "tracker.example.net", "font-family", "javascript"),
    ),
    "inline_image.eml": Expected(
        DONE, NEW, contains=("[image: screenshot01.png]",), files=("screenshot01.png",)
    ),
    "windows_1252.eml": Expected(
        DONE, NEW, contains=("über 100 € für das Café fehlt \u2013 bitte",)
    ),
    "unknown_charset.eml": Expected(DONE, NEW, contains=("Grüße, the keyboard's é key",)),
    "auto_submitted.eml": Expected(IGNORED, reason="Auto-Submitted: auto-replied"),
    "out_of_office_x_autoreply.eml": Expected(IGNORED, reason="x-autoreply"),
    "mailing_list.eml": Expected(IGNORED, reason="List-Unsubscribe"),
    # A bounce of the notification the fixture's incident sent: recorded, never a ticket.
    "bounce_dsn.eml": Expected(DONE, reason="5.1.1"),
    # Bounces of emails this fixture never sent (tests/email_intake/test_bounces.py matches
    # them): delivery reports about no email of ours are ignored, never a ticket.
    "bounce-exchange.eml": Expected(IGNORED, reason="delivery report"),
    "bounce-gmail.eml": Expected(IGNORED, reason="delivery report"),
    "bounce-exim-nonstandard.eml": Expected(IGNORED, reason="delivery report"),
    "bounce-postfix.eml": Expected(IGNORED, reason="delivery report"),
    "bounce-delayed.eml": Expected(IGNORED, reason="delivery report"),
    "no_message_id.eml": Expected(DONE, NEW, contains=("second monitor flickers",)),
    "malformed_mime.eml": Expected(DONE, NEW, contains=("crashes at start",), files=("app.log",)),
    "duplicate_headers.eml": Expected(DONE, NEW, contains=("Two of everything",)),
    "header_injection.eml": Expected(DONE, NEW, contains=("Nothing to see",)),
    "nested_zip.eml": Expected(
        DONE, NEW, contains=("zipped twice",), files=("logs.zip",), reason=""
    ),
    "reply_not_visible.eml": Expected(
        DONE, NEW, contains=("Let me in",), reason="may not see: not attached"
    ),
}


def test_every_corpus_file_has_an_expected_outcome() -> None:
    assert {p.name for p in CORPUS.glob("*.eml")} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_corpus(name, feed, incident, jane) -> None:
    expected = CASES[name]
    comments_before = set(Comment.objects.values_list("pk", flat=True))
    incidents_before = set(Incident.objects.values_list("pk", flat=True))

    inbound = feed(name)

    statuses = expected.status if isinstance(expected.status, tuple) else (expected.status,)
    assert inbound.status in statuses, inbound.reason
    assert expected.reason in inbound.reason
    new_incidents = Incident.objects.exclude(pk__in=incidents_before)
    if expected.outcome == NEW:
        assert inbound.outcome == NEW
        ticket = new_incidents.get()
        assert (inbound.ticket_type.model_class(), inbound.ticket_id) == (Incident, ticket.pk)
        text = ticket.description
        assert "\n" not in ticket.title and "\r" not in ticket.title
    elif expected.outcome == REPLY:
        assert not new_incidents.exists()
        assert inbound.outcome == REPLY and inbound.ticket_id == incident.pk
        ticket = incident
        text = Comment.objects.exclude(pk__in=comments_before).get(is_internal=False).body
        assert inbound.comment.body == text
    else:
        assert not new_incidents.exists()
        assert not Comment.objects.exclude(pk__in=comments_before).exists()
        assert inbound.ticket_id is None
        assert not OutboxMessage.objects.filter(payload__to=[inbound.sender]).exists()
        return
    for fragment in expected.contains:
        assert fragment in text
    for fragment in expected.not_contains:
        assert fragment not in text
    files = Attachment.objects.filter(
        ticket_type=ContentType.objects.get_for_model(Incident), ticket_id=ticket.pk
    )
    assert sorted(files.values_list("original_name", flat=True)) == sorted(expected.files)


def test_header_injection_never_reaches_a_header(feed, incident) -> None:
    inbound = feed("header_injection.eml")
    ticket = Incident.objects.get(pk=inbound.ticket_id)
    assert ticket.title == "Help Bcc: victim@example.org body"
    # The address comes from the undecoded header: the encoded word stays a name.
    assert ticket.requester.email == "eve@example.com"
    assert "\n" not in ticket.requester.first_name + ticket.requester.last_name
    for message in OutboxMessage.objects.all():
        assert "\n" not in message.payload.get("subject", "")


def test_duplicate_headers_take_the_first(feed, incident) -> None:
    inbound = feed("duplicate_headers.eml")
    ticket = Incident.objects.get(pk=inbound.ticket_id)
    assert ticket.title == "First subject wins"
    assert ticket.requester.email == "kim@example.com"


def test_refused_attachments_are_listed_in_an_internal_note(feed, incident) -> None:
    inbound = feed("nested_zip.eml")
    note = Comment.objects.get(ticket_id=inbound.ticket_id, is_internal=True)
    assert "setup.exe" in note.body and "not accepted" in note.body


@pytest.fixture(scope="module")
def thirty_mb_mail() -> bytes:
    """A 30 MB PDF attached: about 41 MB of base64, over the default 40 MB message limit."""
    payload = b"%PDF-1.4\n" + b"0" * (30 * 1024 * 1024)
    encoded = base64.encodebytes(payload).decode()
    raw = (
        "From: Kim Lee <kim@example.com>\r\nTo: support@desk.example\r\n"
        "Subject: The big scan\r\nMessage-ID: <big-1@example.com>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        "Content-Type: text/plain\r\n\r\nThe scan is attached.\r\n--b\r\n"
        'Content-Type: application/pdf\r\nContent-Disposition: attachment; filename="scan.pdf"'
        f"\r\nContent-Transfer-Encoding: base64\r\n\r\n{encoded}\r\n--b--\r\n"
    ).encode()
    assert len(raw) > 40 * 1024 * 1024
    return raw


def test_a_30_mb_attachment_over_the_message_limit_is_refused_and_kept(
    feed, thirty_mb_mail
) -> None:
    inbound = feed(thirty_mb_mail)
    assert inbound.status == InboundStatus.REFUSED and "larger than 40 MB" in inbound.reason
    assert inbound.raw.size == len(thirty_mb_mail)
    assert OutboxMessage.objects.filter(payload__to=["kim@example.com"]).count() == 1


def test_a_30_mb_attachment_under_the_message_limit_is_refused_alone(
    feed, settings, thirty_mb_mail
) -> None:
    settings.EMAIL_INTAKE_MAX_MESSAGE_BYTES = 50 * 1024 * 1024
    raw = thirty_mb_mail
    inbound = feed(raw)

    assert (inbound.status, inbound.outcome) == (DONE, NEW)
    note = Comment.objects.get(ticket_id=inbound.ticket_id, is_internal=True)
    assert "scan.pdf" in note.body and "larger than" in note.body
    assert inbound.raw.size == len(raw)  # the original still holds the file


def test_a_message_over_the_size_limit_is_refused_and_the_sender_told(feed, settings) -> None:
    settings.EMAIL_INTAKE_MAX_MESSAGE_BYTES = 100
    inbound = feed(simple_mail(body="x" * 200))
    assert inbound.status == InboundStatus.REFUSED and "larger than" in inbound.reason
    assert OutboxMessage.objects.filter(payload__to=["kim@example.com"]).count() == 1
