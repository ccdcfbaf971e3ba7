"""Bounces: real delivery-report shapes (Postfix, Exchange Online, Gmail, Exim's non-standard
one, a delay warning) read by bounce_of, matched by record_bounce to the email they bounce,
marked once on the ticket's timeline, for agents only."""

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from core.choices import EventKind, Source
from core.models import TimelineEvent
from core.tickets.describe import describe
from core.tickets.email_thread import EmailDirection, ticket_email_record
from core.tickets.kinds import kind_of
from email_intake.bounces import bounce_of, record_bounce
from email_intake.models import Mailbox
from email_intake.store import store_message
from incidents.services import incident_create

CORPUS = Path(__file__).parent / "corpus"

# file → (original Message-ID, failed recipient, status, words of the diagnostic, standard)
EXPECTED = {
    "bounce-postfix.eml": (
        "<INC-000001.5e0c3b1f7a9d2c4e8b6a@desk.example.com>",
        "nobody@example.org",
        "5.1.1",
        "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown",
        True,
    ),
    "bounce-exchange.eml": (
        "<REQ-000001.a1b2c3d4e5f60718293a@desk.example.com>",
        "boss@contoso.com",
        "5.1.10",
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found",
        True,
    ),
    "bounce-gmail.eml": (
        "<INC-000001.0f1e2d3c4b5a69788796@desk.example.com>",
        "gone.user@gmail.com",
        "5.1.1",
        "The email account that you tried to reach does not exist.",
        True,
    ),
    "bounce-exim-nonstandard.eml": (
        "<INC-000001.9a8b7c6d5e4f30211203@desk.example.com>",
        "left.company@example.net",
        "5.2.1",
        "550 5.2.1 Mailbox disabled for this recipient",
        False,
    ),
}


def _message(name: str) -> EmailMessage:
    return message_from_bytes((CORPUS / name).read_bytes(), policy=policy.default)  # type: ignore[return-value]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bounce_of_reads_the_failed_recipient_and_the_original(name):
    message_id, recipient, status, diagnostic, standard = EXPECTED[name]
    report = bounce_of(_message(name))
    assert report is not None
    assert report.original_message_id == message_id
    assert report.standard is standard
    [failed] = report.failed
    assert failed.address == recipient
    assert failed.status == status
    assert diagnostic in failed.diagnostic
    assert "\n" not in failed.diagnostic and "  " not in failed.diagnostic


def test_a_delay_warning_is_a_report_with_nothing_failed():
    report = bounce_of(_message("bounce-delayed.eml"))
    assert report is not None
    assert report.failed == ()
    assert report.recipients[0].action == "delayed"


def _plain(**headers: str) -> EmailMessage:
    message = EmailMessage()
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Hello, my printer is on fire.\n\nMessage-ID: <not@quoted.example>\n")
    return message


def test_ordinary_mail_and_auto_replies_are_not_bounces():
    assert bounce_of(_plain(From="alice@example.com", Subject="Printer")) is None
    out_of_office = _plain(
        From="bob@example.com", Subject="Automatic reply: x", Auto_Submitted="auto-replied"
    )
    assert bounce_of(out_of_office) is None


def test_a_report_of_another_type_is_not_a_bounce():
    message = EmailMessage()
    message["From"] = "alice@example.com"
    message.set_content("read")
    message.make_mixed()
    message.replace_header(
        "Content-Type", 'multipart/report; report-type="disposition-notification"'
    )
    assert bounce_of(message) is None


# --- Recording on the ticket ------------------------------------------------------------------


@pytest.fixture
def mailbox(db) -> Mailbox:
    return Mailbox.objects.create(name="support", address="desk@desk.example.com")


@pytest.fixture
def incident(end_user):
    return incident_create(requester=end_user, title="Printer on fire")


def _sent(ticket, message_id: str, recipients: list[str]):
    """The notification the corpus bounces, as the desk recorded it when it wrote it."""
    return ticket_email_record(
        ticket,
        message_id=message_id,
        purpose="notification",
        recipients=recipients,
        outbox_message_id=None,
    )


def _stored(mailbox: Mailbox, name: str):
    inbound, _ = store_message(mailbox, (CORPUS / name).read_bytes())
    return inbound


def _bounce_events(ticket):
    return list(
        TimelineEvent.objects.filter(ticket_id=ticket.pk, kind=EventKind.EMAIL_BOUNCED).order_by(
            "id"
        )
    )


@pytest.mark.parametrize(
    "name", ["bounce-postfix.eml", "bounce-gmail.eml", "bounce-exim-nonstandard.eml"]
)
def test_record_bounce_marks_the_email_once_and_tells_the_timeline(mailbox, incident, name):
    message_id, recipient, status, diagnostic, _ = EXPECTED[name]
    email = _sent(incident, message_id, [recipient])
    other = _sent(incident, "<INC-000001.other@desk.example.com>", ["someone@example.org"])
    inbound = _stored(mailbox, name)
    report = bounce_of(_message(name))

    assert record_bounce(report, inbound) is True
    email.refresh_from_db()
    assert email.bounced_at is not None
    assert email.bounce_reason.startswith(f"{recipient}: ")
    assert diagnostic in email.bounce_reason
    other.refresh_from_db()
    assert other.bounced_at is None and other.bounce_reason == ""

    [event] = _bounce_events(incident)
    assert event.is_public is False  # agents only
    assert event.actor is None and event.source == Source.EMAIL
    assert event.message.startswith(f"Email to {recipient} could not be delivered: ")
    assert diagnostic in event.message and status in event.message
    assert event.changes["message_id"] == message_id
    assert event.changes["inbound_email_id"] == inbound.pk
    view = describe(event, incident)
    assert view.verb == f"could not deliver an email to {recipient}"
    assert view.body == event.message

    bounced_at = email.bounced_at
    assert record_bounce(report, inbound) is True  # the same bounce again: ours, nothing new
    email.refresh_from_db()
    assert email.bounced_at == bounced_at
    assert len(_bounce_events(incident)) == 1


def test_the_event_reads_status_and_diagnostic_together(mailbox, incident):
    message_id = EXPECTED["bounce-postfix.eml"][0]
    _sent(incident, message_id, ["nobody@example.org"])
    record_bounce(bounce_of(_message("bounce-postfix.eml")), _stored(mailbox, "bounce-postfix.eml"))
    [event] = _bounce_events(incident)
    assert event.message == (
        "Email to nobody@example.org could not be delivered: 550 5.1.1 <nobody@example.org>: "
        "Recipient address rejected: User unknown in virtual mailbox table"
    )


def test_a_bounce_of_nothing_of_ours_records_nothing(mailbox, incident):
    inbound = _stored(mailbox, "bounce-postfix.eml")
    report = bounce_of(_message("bounce-postfix.eml"))
    assert record_bounce(report, inbound) is False  # the Message-ID is not one we wrote

    # A message the desk received with that id is not an email it sent.
    ticket_email_record(
        incident,
        message_id=report.original_message_id,
        purpose="inbound",
        recipients=[],
        outbox_message_id=None,
        direction=EmailDirection.IN,
    )
    assert record_bounce(report, inbound) is False
    assert _bounce_events(incident) == []


def test_a_delay_warning_marks_nothing(mailbox, incident):
    email = _sent(
        incident, "<INC-000001.77665544332211009988@desk.example.com>", ["slow@example.org"]
    )
    report = bounce_of(_message("bounce-delayed.eml"))
    assert record_bounce(report, _stored(mailbox, "bounce-delayed.eml")) is False
    email.refresh_from_db()
    assert email.bounced_at is None
    assert _bounce_events(incident) == []


def test_each_recipient_of_an_email_is_recorded_once(mailbox, incident):
    """An approval request to a group: the addresses bounce in separate reports."""
    message_id = EXPECTED["bounce-exchange.eml"][0]
    email = _sent(incident, message_id, ["boss@contoso.com", "deputy@contoso.com"])
    exchange = _message("bounce-exchange.eml")
    record_bounce(bounce_of(exchange), _stored(mailbox, "bounce-exchange.eml"))
    second = (CORPUS / "bounce-exchange.eml").read_bytes().replace(b"boss@", b"deputy@")
    second = second.replace(b"5b5ae0b2-6a0f", b"5b5ae0b2-ffff")  # its own Message-ID
    inbound, _ = store_message(mailbox, second)
    report = bounce_of(message_from_bytes(second, policy=policy.default))  # type: ignore[arg-type]
    assert record_bounce(report, inbound) is True
    assert record_bounce(report, inbound) is True

    email.refresh_from_db()
    assert [line.split(":")[0] for line in email.bounce_reason.splitlines()] == [
        "boss@contoso.com",
        "deputy@contoso.com",
    ]
    assert [event.changes["recipient"] for event in _bounce_events(incident)] == [
        "boss@contoso.com",
        "deputy@contoso.com",
    ]


def test_agents_see_the_bounce_on_the_ticket_page_and_the_requester_does_not(
    mailbox, incident, client_for, end_user, agent_l1
):
    message_id, recipient, *_ = EXPECTED["bounce-postfix.eml"]
    _sent(incident, message_id, [recipient])
    record_bounce(bounce_of(_message("bounce-postfix.eml")), _stored(mailbox, "bounce-postfix.eml"))
    kind = kind_of(incident)

    agent_page = client_for(agent_l1).get(kind.agent_path(incident.number))
    assert agent_page.status_code == 200
    assert f"could not deliver an email to {recipient}" in agent_page.content.decode()
    portal_page = client_for(end_user).get(kind.portal_path(incident.number))
    assert portal_page.status_code == 200
    assert "could not deliver" not in portal_page.content.decode()
    assert recipient not in portal_page.content.decode()


MALFORMED = [
    # A report whose parts are missing or broken: read what is there, never raise.
    b"From: MAILER-DAEMON@mx.example.org\nContent-Type: multipart/report; "
    b"report-type=delivery-status; boundary=x\n\n--x\nContent-Type: message/delivery-status\n\n"
    b"Final-Recipient: rfc822; a@b.example\nAction: failed\n",
    b"From: MAILER-DAEMON@mx.example.org\nContent-Type: multipart/report; "
    b"report-type=delivery-status\n\nno boundary at all\n",
    b"From: postmaster@mx.example.org\nContent-Type: text/plain; charset=x-no-such-charset\n"
    b"Content-Transfer-Encoding: base64\n\n!!!not base64\xff\xfe\n",
    b"From: <>\nX-Failed-Recipients: ,,,\n\n\n",
]


@pytest.mark.parametrize("raw", MALFORMED)
def test_malformed_bounces_are_read_without_raising(raw):
    report = bounce_of(message_from_bytes(raw, policy=policy.default))  # type: ignore[arg-type]
    assert report is not None
    assert isinstance(report.original_message_id, str)


def test_a_bounce_that_names_no_recipient_is_recorded_for_the_emails_recipients(mailbox, incident):
    raw = (
        b"From: Mail Delivery System <MAILER-DAEMON@relay.example.org>\n"
        b"Subject: Returned mail: see transcript for details\n"
        b"Message-ID: <bounce-1@relay.example.org>\n\n"
        b"   ----- The following addresses had permanent fatal errors -----\n"
        b"   ----- Transcript of session follows -----\n"
        b"... while talking to mx.example.org.:\n"
        b">>> DATA\n<<< 554 5.7.1 Message refused by policy\n\n"
        b"   ----- Original message headers -----\n"
        b"Message-ID: <INC-000001.aaaabbbbccccddddeeee@desk.example.com>\n"
        b"Subject: [INC-000001] Update\n"
    )
    email = _sent(incident, "<INC-000001.aaaabbbbccccddddeeee@desk.example.com>", ["a@example.org"])
    inbound, _ = store_message(mailbox, raw)
    report = bounce_of(message_from_bytes(raw, policy=policy.default))  # type: ignore[arg-type]
    assert report is not None and report.standard is False
    assert record_bounce(report, inbound) is True
    email.refresh_from_db()
    assert email.bounce_reason == "a@example.org: <<< 554 5.7.1 Message refused by policy"
    [event] = _bounce_events(incident)
    assert event.changes["recipient"] == "a@example.org"
