"""Automatic mail, sender policies, accounts and polite notices."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import IntegrityError
from django.utils import timezone

from core.models import OutboxMessage, User
from core.roles import is_agent
from email_intake.choices import InboundStatus, SenderPolicy
from email_intake.models import SenderNotice
from email_intake.noise import automatic_reason, may_auto_reply
from email_intake.parsing import parse_message
from email_intake.senders import sender_account
from incidents.models import Incident
from tests.email_intake.conftest import simple_mail

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("header", "automatic"),
    [
        ("Auto-Submitted: auto-generated", True),
        ("Auto-Submitted: auto-replied; owner-email=x@y", True),
        ("Auto-Submitted: no", False),
        ("Precedence: bulk", True),
        ("Precedence: junk", True),
        ("Precedence: list", True),
        ("Precedence: first-class", False),
        ("X-Autoreply: yes", True),
        ("X-Autorespond: vacation", True),
        ("X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent", True),
        ("X-Loop: desk", True),
        ("List-Id: <users.lists.example.org>", True),
        ("Return-Path: <>", True),
        ("X-Auto-Response-Suppress: All", False),  # Outlook sets it on ordinary mail too
        ("X-Mailer: Outlook", False),
    ],
)
def test_automatic_headers(header, automatic) -> None:
    parsed = parse_message(simple_mail(extra=header))
    assert (automatic_reason(parsed.headers, parsed.sender) is not None) == automatic


def test_x_auto_response_suppress_forbids_a_notice() -> None:
    parsed = parse_message(simple_mail(extra="X-Auto-Response-Suppress: OOF, AutoReply"))
    assert not may_auto_reply(parsed.headers, parsed.sender)


@pytest.mark.parametrize(
    "sender",
    ["Desk <support@desk.example>", "Service Desk <servicedesk@localhost>", "MAILER-DAEMON@x.org"],
)
def test_mail_from_our_own_addresses_and_daemons_is_ignored(feed, sender) -> None:
    inbound = feed(simple_mail(sender=sender))
    assert inbound.status == InboundStatus.IGNORED
    assert not Incident.objects.exists() and not OutboxMessage.objects.exists()


def test_anyone_gets_an_end_user_account_without_a_password(feed) -> None:
    inbound = feed(simple_mail(sender='"Lee, Kim" <Kim.Lee@Example.com>'))
    user = User.objects.get(email="kim.lee@example.com")
    assert (user.first_name, user.last_name, user.is_active) == ("Kim", "Lee", True)
    assert not user.has_usable_password() and not is_agent(user)
    assert Incident.objects.get(pk=inbound.ticket_id).requester == user


def test_an_account_race_ends_with_one_account(db) -> None:
    winner = User.objects.create(username="kim@example.com", email="kim@example.com")
    with mock.patch("email_intake.senders.user_for_address", return_value=None):
        assert sender_account("kim@example.com", "Kim") == winner
    assert User.objects.filter(email="kim@example.com").count() == 1


def test_a_username_taken_by_someone_else_gets_a_fresh_one(db) -> None:
    User.objects.create(username="kim@example.com", email="other@example.com")
    user = sender_account("kim@example.com", "Kim Lee")
    assert user.email == "kim@example.com" and user.username.startswith("kim@example.com-")


def test_known_only_refuses_strangers_and_tells_them_once(feed, mailbox, jane) -> None:
    mailbox.sender_policy = SenderPolicy.KNOWN
    mailbox.save()
    first = feed(simple_mail(message_id="<a@example.com>"))
    second = feed(simple_mail(message_id="<b@example.com>"))
    assert first.status == second.status == InboundStatus.REFUSED
    assert "only accepts mail from people with an account" in first.reason
    assert not User.objects.filter(email="kim@example.com").exists()
    notice = OutboxMessage.objects.get()
    assert notice.payload["to"] == ["kim@example.com"]
    assert notice.payload["headers"] == {"Auto-Submitted": "auto-replied"}
    assert notice.payload["in_reply_to"] == "<a@example.com>"
    assert feed(simple_mail(sender="jane@example.com", message_id="<c@x>")).status == "done"


def test_a_notice_goes_again_after_the_quiet_period(feed, mailbox) -> None:
    mailbox.sender_policy = SenderPolicy.KNOWN
    mailbox.save()
    feed(simple_mail(message_id="<a@example.com>"))
    SenderNotice.objects.update(sent_at=timezone.now() - timedelta(hours=25))
    feed(simple_mail(message_id="<b@example.com>"))
    assert OutboxMessage.objects.count() == 2


def test_listed_domains_only(feed, mailbox) -> None:
    mailbox.sender_policy = SenderPolicy.DOMAINS
    mailbox.allowed_domains = "@Example.com\npartner.org\n"
    mailbox.save()
    assert feed(simple_mail(message_id="<a@x>")).status == InboundStatus.DONE
    refused = feed(simple_mail(sender="x@evil.org", message_id="<b@x>"))
    assert refused.status == InboundStatus.REFUSED
    assert "only accepts mail from example.com, partner.org" in refused.reason


def test_no_notice_to_a_sender_who_suppresses_auto_replies(feed, mailbox) -> None:
    mailbox.sender_policy = SenderPolicy.KNOWN
    mailbox.save()
    inbound = feed(simple_mail(extra="X-Auto-Response-Suppress: All"))
    assert inbound.status == InboundStatus.REFUSED
    assert not OutboxMessage.objects.exists()


def test_account_creation_failing_for_good_propagates(db) -> None:
    with (
        mock.patch("email_intake.senders.user_for_address", return_value=None),
        mock.patch.object(User, "save", side_effect=IntegrityError("boom")),
        pytest.raises(IntegrityError),
    ):
        sender_account("kim@example.com", "Kim")


def test_tell_sender_reads_the_headers_itself_and_never_answers_a_machine(mailbox) -> None:
    from email_intake.notices import tell_sender
    from email_intake.store import store_message

    person, _ = store_message(mailbox, simple_mail(message_id="<p@x>", body="x" * 500_000))
    machine, _ = store_message(
        mailbox, simple_mail(message_id="<m@x>", extra="Auto-Submitted: auto-generated")
    )
    assert tell_sender(person, "too_large", "The message is larger than 40 MB.")
    assert not tell_sender(person, "too_large", "again")  # once per reason
    assert not tell_sender(machine, "too_large", "The message is larger than 40 MB.")
    notice = OutboxMessage.objects.get()
    assert notice.payload["subject"] == "Not delivered to the service desk: Laptop will not start"
    assert "larger than 40 MB" in notice.payload["body"]
