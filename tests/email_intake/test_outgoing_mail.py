"""Outgoing mail, captured by a real SMTP server process: notifications thread (Message-ID,
In-Reply-To, References), carry Reply-To the mailbox and a text and an HTML part; the approval
request is recorded as such; no header value ever splits into two."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import OutboxMessage, OutboxStatus, TicketEmail
from core.outbox import outbox_enqueue
from core.outbox_relay import relay_outbox
from core.tasks import send_email_task
from core.tickets.email_thread import (
    REFERENCES_RECENT,
    EmailDirection,
    thread_root_id,
    thread_started_by,
    ticket_email_record,
    ticket_emails,
)
from core.tickets.notify import notify_requester
from core.tickets.work import ticket_comment
from email_intake.models import Mailbox
from incidents.services import incident_create
from service_requests.choices import ApprovalMode
from service_requests.models import CatalogCategory, CatalogItem
from service_requests.services import request_create
from tests.brokers import drain
from tests.email_intake.smtp_fixture import smtp_capture  # noqa: F401
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(settings):
    settings.DEFAULT_FROM_EMAIL = "Service Desk <desk@desk.example.com>"
    settings.EMAIL_MESSAGE_ID_DOMAIN = ""
    return Mailbox.objects.create(
        name="support", address="support@desk.example.com", ticket_kind="incident"
    )


def _relay_and_send(use_broker) -> int:
    """What the outbox relay publishes, run as the worker would: how many emails went out."""
    use_broker("memory://")
    drain()
    relay_outbox()
    sent = 0
    for task_name, args in drain():
        assert task_name == "core.send_email"
        sent += send_email_task(*args)
    return sent


def _header(message, name):
    """A header as a reader sees it: a folded value unfolded (RFC 5322 §2.2.3)."""
    value = message[name]
    return " ".join(str(value).split()) if value is not None else None


def _parts(message):
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    return (text.get_content() if text else ""), (html.get_content() if html else "")


def test_a_notification_sent_through_the_relay_threads_and_has_two_parts(
    desk,
    end_user,
    use_broker,
    smtp_capture,  # noqa: F811
):
    incident = incident_create(requester=end_user, title="Printer on fire")
    assert _relay_and_send(use_broker) == 1

    [message] = smtp_capture.messages(expect=1)
    [recorded] = ticket_emails(incident)
    root = thread_root_id(incident)
    assert _header(message, "Message-ID") == recorded.message_id
    assert recorded.message_id.endswith("@desk.example.com>")
    assert incident.number in recorded.message_id
    assert recorded.direction == "out" and recorded.purpose == "notification"
    assert recorded.recipients == [end_user.email]
    outbox = OutboxMessage.objects.get(pk=recorded.outbox_message_id)
    assert outbox.status == OutboxStatus.DONE
    assert _header(message, "In-Reply-To") == root
    assert _header(message, "References") == root
    assert _header(message, "Reply-To") == "support@desk.example.com"
    assert message["Subject"].startswith(f"[{incident.number}] ")
    assert message["Auto-Submitted"] == "auto-generated"
    text, html = _parts(message)
    assert f"Your incident {incident.number} is logged" in text
    assert f"Your incident {incident.number} is logged" in html
    assert '<a href="http' in html  # the portal link
    assert smtp_capture.envelope_recipients() == [[end_user.email]]


def test_a_second_notification_threads_on_the_first(
    desk,
    end_user,
    agent_l1,
    use_broker,
    smtp_capture,  # noqa: F811
):
    incident = incident_create(requester=end_user, title="VPN drops")
    ticket_comment(
        incident,
        author=agent_l1,
        body="<script>alert(1)</script> Try https://vpn.example.com/help & tell us.",
        is_internal=False,
    )
    assert _relay_and_send(use_broker) == 2

    first, second = sorted(smtp_capture.messages(expect=2), key=lambda m: "reply" in m["Subject"])
    root = thread_root_id(incident)
    assert _header(second, "In-Reply-To") == root
    assert _header(second, "References").split() == [root, _header(first, "Message-ID")]
    assert _header(first, "Message-ID") != _header(second, "Message-ID")
    text, html = _parts(second)
    assert "<script>alert(1)</script>" in text  # plain text is plain text
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<a href="https://vpn.example.com/help"' in html
    assert "&amp; tell us" in html


def test_the_approval_request_is_recorded_as_one_and_says_how_to_answer(
    desk,
    end_user,
    l1_group,
    use_broker,
    smtp_capture,  # noqa: F811
):
    from django.contrib.auth.models import Group

    approvers = Group.objects.create(name="Approvers")
    approver = UserFactory(username="boss", email="boss@example.com")
    approver.groups.add(approvers)
    item = CatalogItem.objects.create(
        category=CatalogCategory.objects.create(name="Access", slug="access"),
        slug="vpn",
        name="VPN access",
        summary="VPN",
        support_group=l1_group,
        approval_mode=ApprovalMode.GROUP,
        approver_group=approvers,
    )
    Mailbox.objects.create(
        name="requests", address="requests@desk.example.com", ticket_kind="request"
    )
    request = request_create(requester=end_user, item=item, answers={})

    approval = ticket_emails(request).get(purpose="approval")
    assert approval.recipients == ["boss@example.com"]
    _relay_and_send(use_broker)
    [message] = [
        m
        for m in smtp_capture.messages(expect=2)
        if _header(m, "Message-ID") == approval.message_id
    ]
    assert _header(message, "Reply-To") == "requests@desk.example.com"  # the mailbox of requests
    text, html = _parts(message)
    assert "answer this email with 'approve' or 'reject: reason'" in text
    assert "answer this email with &#x27;approve&#x27; or &#x27;reject: reason&#x27;" in html


def test_header_values_with_line_breaks_never_split(smtp_capture):  # noqa: F811
    message = outbox_enqueue(
        task_name="core.send_email",
        payload={
            "to": ["victim@example.com"],
            "subject": "Hello\r\nBcc: evil@example.com",
            "body": "body",
            "message_id": "<a@desk.example.com>\r\nX-Injected: 1",
            "in_reply_to": "<b@desk.example.com>\nX-Injected: 2",
            "references": ["<b@desk.example.com>\r\nX-Injected: 3", "<c@desk.example.com>"],
            "reply_to": "support@desk.example.com\r\nBcc: evil@example.com",
            "headers": {
                "Precedence": "bulk\r\nX-Injected: 4",
                "Bcc": "evil@example.com",
                "From": "ceo@example.com",
                "X-Other": "not allowed",
            },
        },
    )
    assert send_email_task(message.pk) == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.DONE, message.last_error

    [sent] = smtp_capture.messages(expect=1)
    assert "X-Injected" not in sent and "Bcc" not in sent and "X-Other" not in sent
    assert "ceo@example.com" not in str(sent["From"])
    assert smtp_capture.envelope_recipients() == [["victim@example.com"]]
    assert sent["Subject"] == "Hello Bcc: evil@example.com"
    [raw] = smtp_capture.raw_messages()
    header_lines = raw.split(b"\r\n\r\n")[0].split(b"\r\n")
    assert not [line for line in header_lines if line.lower().startswith((b"x-injected", b"bcc"))]
    assert b"Message-ID: <a@desk.example.com> X-Injected: 1" in header_lines
    assert sent["Precedence"] == "bulk X-Injected: 4"
    assert _header(sent, "References").startswith("<b@desk.example.com> X-Injected: 3")


def test_a_recipient_with_a_line_break_fails_the_email_visibly_and_sends_nothing(
    smtp_capture,  # noqa: F811
):
    message = outbox_enqueue(
        task_name="core.send_email",
        payload={
            "to": ["victim@example.com\r\nBcc: evil@example.com"],
            "subject": "s",
            "body": "b",
        },
    )
    assert send_email_task(message.pk) == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED
    assert "Invalid address" in message.last_error
    assert smtp_capture.messages(timeout=0.5) == []


def test_a_payload_written_before_threading_still_sends(smtp_capture):  # noqa: F811
    message = outbox_enqueue(
        task_name="core.send_email",
        payload={"to": ["someone@example.com"], "subject": "Old", "body": "Queued last year"},
    )
    assert send_email_task(message.pk) == 1
    [sent] = smtp_capture.messages(expect=1)
    assert sent["Subject"] == "Old"
    assert sent.get_content_type() == "text/plain"
    assert _header(sent, "Message-ID")  # Django's own
    assert "In-Reply-To" not in sent and "Reply-To" not in sent


# --- Without a server: what is written to the outbox ------------------------------------------


def test_replies_to_the_first_email_received_when_the_ticket_came_by_email(desk, end_user):
    incident = incident_create(requester=end_user, title="From mail", source="email")
    ticket_email_record(
        incident,
        message_id="<first@mail.example.org>",
        purpose="inbound",
        recipients=[],
        outbox_message_id=None,
        direction=EmailDirection.IN,
    )
    notify_requester(incident, subject="Update", body="One", key="one")
    notify_requester(incident, subject="Update", body="Two", key="two")
    one, two = (
        OutboxMessage.objects.filter(task_name="core.send_email", dedupe_key__endswith=key).get()
        for key in ("one", "two")
    )
    root = thread_root_id(incident)
    created = ticket_emails(incident).order_by("id").first()
    assert one.payload["in_reply_to"] == "<first@mail.example.org>"
    assert one.payload["references"] == ["<first@mail.example.org>", root, created.message_id]
    assert two.payload["references"][-1] == one.payload["message_id"]


def test_references_stay_bounded(desk, end_user):
    incident = incident_create(requester=end_user, title="Chatty")
    for number in range(REFERENCES_RECENT + 5):
        notify_requester(incident, subject="Update", body=str(number), key=f"u{number}")
    last = OutboxMessage.objects.filter(task_name="core.send_email").order_by("-id").first()
    references = last.payload["references"]
    assert references[0] == thread_root_id(incident)
    assert len(references) == 1 + REFERENCES_RECENT
    assert len(set(references)) == len(references)


def test_a_deduplicated_email_records_no_second_message_id(desk, end_user):
    incident = incident_create(requester=end_user, title="Once")
    notify_requester(incident, subject="Update", body="x", key="same")
    notify_requester(incident, subject="Update", body="x", key="same")
    assert ticket_emails(incident).count() == 2  # "created" and "same", once each
    assert OutboxMessage.objects.filter(task_name="core.send_email").count() == 2


def test_reply_to_prefers_a_mailbox_of_the_kind_then_any_then_none(end_user, settings):
    incident = incident_create(requester=end_user, title="No mailbox")
    assert "reply_to" not in OutboxMessage.objects.get().payload
    Mailbox.objects.create(name="requests", address="requests@x.example", ticket_kind="request")
    notify_requester(incident, subject="s", body="b", key="k1")
    assert OutboxMessage.objects.order_by("-id")[0].payload["reply_to"] == ["requests@x.example"]
    Mailbox.objects.create(name="zz-incidents", address="incidents@x.example")
    Mailbox.objects.create(name="aa-off", address="off@x.example", is_active=False)
    notify_requester(incident, subject="s", body="b", key="k2")
    assert OutboxMessage.objects.order_by("-id")[0].payload["reply_to"] == ["incidents@x.example"]


def test_message_id_domain_setting_wins(settings, end_user):
    settings.EMAIL_MESSAGE_ID_DOMAIN = "ids.example.net"
    incident = incident_create(requester=end_user, title="Domain")
    [email] = TicketEmail.objects.all()
    assert email.message_id.endswith("@ids.example.net>")
    assert thread_root_id(incident) == f"<{incident.number}.{incident.pk}@ids.example.net>"


def test_threading_costs_the_same_few_queries_however_long_the_thread(desk, end_user):
    incident = incident_create(requester=end_user, title="Long thread")
    notify_requester(incident, subject="s", body="b", key="early")
    with CaptureQueriesContext(connection) as short:
        notify_requester(incident, subject="s", body="b", key="second")
    for number in range(30):
        notify_requester(incident, subject="s", body="b", key=f"n{number}")
    with CaptureQueriesContext(connection) as long:
        notify_requester(incident, subject="s", body="b", key="last")
    # the thread (one query), Reply-To, the outbox row (in a savepoint), TicketEmail
    assert len(long) == len(short) <= 6, [query["sql"] for query in long.captured_queries]


def test_a_new_tickets_first_email_needs_no_thread_lookup(desk, end_user):
    with CaptureQueriesContext(connection) as queries:
        incident_create(requester=end_user, title="Fresh")
    mail_queries = [
        query["sql"]
        for query in queries.captured_queries
        if "core_ticketemail" in query["sql"] or "email_intake_mailbox" in query["sql"]
    ]
    assert len(mail_queries) == 2, mail_queries  # the Reply-To lookup and the TicketEmail insert
    assert "INSERT" in mail_queries[1]


def test_a_ticket_opened_by_email_answers_the_mail_that_opened_it(desk, end_user):
    with thread_started_by(" <CAF=abc123@mail.gmail.com> "):
        incident = incident_create(requester=end_user, title="By mail", source="email")
    ticket_email_record(
        incident,
        message_id="<CAF=abc123@mail.gmail.com>",
        purpose="inbound",
        recipients=[],
        outbox_message_id=None,
        direction=EmailDirection.IN,
    )
    notify_requester(incident, subject="Update", body="Later", key="later")
    created, later = OutboxMessage.objects.filter(task_name="core.send_email").order_by("id")
    root = thread_root_id(incident)
    assert created.payload["in_reply_to"] == "<CAF=abc123@mail.gmail.com>"
    assert created.payload["references"] == ["<CAF=abc123@mail.gmail.com>", root]
    assert later.payload["in_reply_to"] == "<CAF=abc123@mail.gmail.com>"

    with thread_started_by("not a message id\r\nBcc: x@example.com"):
        other = incident_create(requester=end_user, title="Odd", source="email")
    last = OutboxMessage.objects.filter(task_name="core.send_email").order_by("-id")[0]
    assert last.payload["in_reply_to"] == thread_root_id(other)
