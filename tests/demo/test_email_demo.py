"""The demo's mailbox: messages that came in through the real pipeline (demo/email.py)."""

import pytest

from core.choices import Source
from core.models import Attachment, Comment, OutboxMessage, User
from email_intake.choices import InboundOutcome, InboundStatus
from email_intake.models import InboundEmail, Mailbox
from incidents.models import Incident
from tests.demo.seeding import seed

pytestmark = pytest.mark.django_db


def test_the_demo_mailbox_holds_tickets_a_reply_and_an_ignored_auto_reply() -> None:
    output = seed(incidents=0)

    mailbox = Mailbox.objects.get(name="helpdesk")
    assert not mailbox.host  # fed by mail_import: the embedded default needs no mail server
    assert "helpdesk@example.com holds 5 messages" in output
    outcomes = sorted(InboundEmail.objects.filter(mailbox=mailbox).values_list("status", "outcome"))
    assert outcomes == sorted(
        [
            (InboundStatus.DONE, InboundOutcome.NEW_TICKET),
            (InboundStatus.DONE, InboundOutcome.NEW_TICKET),
            (InboundStatus.DONE, InboundOutcome.NEW_TICKET),
            (InboundStatus.DONE, InboundOutcome.REPLY),
            (InboundStatus.IGNORED, InboundOutcome.NONE),
        ]
    )
    by_email = Incident.objects.filter(source=Source.EMAIL)
    assert by_email.count() == 3
    vpn = by_email.get(title="VPN drops every few minutes")
    reply = Comment.objects.get(ticket_id=vpn.pk, source=Source.EMAIL)
    assert reply.body == "It happens on Wi-Fi only; on the cable it holds."
    assert User.objects.filter(email="alex.morgan@partner.example.org", is_active=True).exists()
    assert Attachment.objects.filter(original_name="backup.log").exists()
    # No demo mail waits to be sent.
    assert not OutboxMessage.objects.filter(task_name="core.send_email").exists()


def test_seeding_again_adds_no_mail() -> None:
    seed(incidents=0)
    seed(incidents=0)

    assert InboundEmail.objects.count() == 5
    assert Incident.objects.filter(source=Source.EMAIL).count() == 3
