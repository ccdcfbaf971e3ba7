"""The pipeline end to end: store_message -> handle -> ticket, reply, reopen, approval, hold."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from core.choices import Source
from core.models import Comment, OutboxMessage, TicketEmail, TimelineEvent
from email_intake.choices import InboundOutcome, InboundStatus
from email_intake.models import InboundEmail
from incidents.choices import IncidentStatus
from incidents.models import Incident
from service_requests import services as request_services
from service_requests.choices import RequestStatus
from service_requests.models import ServiceRequest
from tests.changes.factories import ChangeFactory
from tests.email_intake.conftest import simple_mail
from tests.service_requests.conftest import approver, approver_group, category, vpn  # noqa: F401

pytestmark = pytest.mark.django_db

JANE = "Jane Doe <jane@example.com>"


def _reply(body: str, *, to: str = "<notif-42-1@desk.example>", mid: str = "<r-1@example.com>",
           sender: str = JANE, subject: str = "Re: Printer") -> bytes:  # fmt: skip
    return simple_mail(
        sender=sender, subject=subject, body=body, message_id=mid, extra=f"In-Reply-To: {to}"
    )


def _events(ticket) -> list[tuple[str, str, str]]:
    return list(
        TimelineEvent.objects.filter(
            ticket_type=ContentType.objects.get_for_model(type(ticket)), ticket_id=ticket.pk
        )
        .order_by("id")
        .values_list("kind", "source", "to_status")
    )


def test_a_new_ticket_by_email(feed, mailbox, service, l1_group) -> None:
    inbound = feed(simple_mail())
    ticket = Incident.objects.get()
    assert (inbound.status, inbound.outcome, inbound.ticket_id) == (
        InboundStatus.DONE,
        InboundOutcome.NEW_TICKET,
        ticket.pk,
    )
    assert inbound.processed_at is not None
    assert (ticket.title, ticket.description) == ("Laptop will not start", "It beeps three times.")
    assert (ticket.service, ticket.support_group) == (service, l1_group)
    assert _events(ticket)[0][:2] == ("created", Source.EMAIL)
    thread = TicketEmail.objects.get(message_id="<m-1@example.com>")
    assert (thread.direction, thread.purpose, thread.ticket_id) == ("in", "inbound", ticket.pk)


def test_the_requesters_reply_is_a_public_comment_and_threads_further(feed, incident) -> None:
    inbound = feed(_reply("Still broken."))
    comment = Comment.objects.get()
    assert (comment.body, comment.author, comment.is_internal, comment.source) == (
        "Still broken.",
        incident.requester,
        False,
        Source.EMAIL,
    )
    assert (inbound.outcome, inbound.comment) == (InboundOutcome.REPLY, comment)
    assert ("commented", Source.EMAIL, "") in _events(incident)
    # A reply to that reply (an "in" Message-ID) finds the ticket too.
    feed(_reply("And again.", to="<r-1@example.com>", mid="<r-2@example.com>"))
    assert Comment.objects.filter(ticket_id=incident.pk).count() == 2
    assert not Incident.objects.exclude(pk=incident.pk).exists()


def test_the_ticket_number_in_the_subject_threads(feed, incident) -> None:
    inbound = feed(simple_mail(sender=JANE, subject="Re: [inc-000042] printer", body="Hi"))
    assert (inbound.outcome, inbound.ticket_id) == (InboundOutcome.REPLY, incident.pk)


def test_a_reply_reopens_a_resolved_ticket_within_the_window(feed, resolved) -> None:
    inbound = feed(_reply("It broke again.\nSame error."))
    resolved.refresh_from_db()
    assert resolved.status == IncidentStatus.CLASSIFIED
    assert resolved.reopen_count == 1
    assert "Reopened INC-000042" in inbound.reason
    reopen = TimelineEvent.objects.filter(ticket_id=resolved.pk, to_status="classified").last()
    assert reopen.source == Source.EMAIL
    assert reopen.message == "Replied by email: It broke again."


def test_a_reply_after_the_window_is_a_comment_only(feed, resolved, settings) -> None:
    Incident.objects.filter(pk=resolved.pk).update(resolved_at=timezone.now() - timedelta(days=30))
    inbound = feed(_reply("Thanks!"))
    resolved.refresh_from_db()
    assert resolved.status == IncidentStatus.RESOLVED
    assert (inbound.outcome, inbound.reason) == (InboundOutcome.REPLY, "")


def test_a_reply_on_a_closed_ticket_opens_a_new_one_naming_it(feed, incident) -> None:
    Incident.objects.filter(pk=incident.pk).update(
        status=IncidentStatus.CLOSED, resolved_at=timezone.now()
    )
    inbound = feed(_reply("It is back."))
    new = Incident.objects.exclude(pk=incident.pk).get()
    assert inbound.outcome == InboundOutcome.NEW_TICKET and inbound.ticket_id == new.pk
    assert new.description.startswith("Reply to INC-000042")
    assert "It is back." in new.description
    assert not Comment.objects.filter(ticket_id=incident.pk).exists()


def test_an_agents_reply_is_a_public_reply_emailed_to_the_requester(feed, incident, agent):
    inbound = feed(_reply("Please try again now.", sender="Alex <alex@desk.example>"))
    comment = Comment.objects.get()
    assert (comment.author, comment.is_internal, comment.source) == (agent, False, Source.EMAIL)
    assert inbound.outcome == InboundOutcome.REPLY
    assert OutboxMessage.objects.filter(payload__to=["jane@example.com"]).exists()


def test_a_stranger_replying_is_never_attached(feed, incident, other_end_user) -> None:
    inbound = feed(_reply("Me too", sender=f"Other <{other_end_user.email}>"))
    assert not Comment.objects.filter(ticket_id=incident.pk).exists()
    assert inbound.ticket_id != incident.pk and "may not see" in inbound.reason


def test_a_burst_is_held_until_an_admin_releases_it(feed, settings, admin_user) -> None:
    settings.EMAIL_INTAKE_SENDER_PER_MINUTE = 2
    results = [feed(simple_mail(message_id=f"<burst-{n}@x>")).status for n in range(4)]
    assert results == ["done", "done", "held", "held"]
    assert Incident.objects.count() == 2
    held = InboundEmail.objects.filter(status=InboundStatus.HELD).first()
    assert "more than 2 messages in a minute" in held.reason
    InboundEmail.objects.filter(pk=held.pk).update(
        status=InboundStatus.PROCESSING, released_by=admin_user
    )
    held.refresh_from_db()
    from django.db import transaction

    from email_intake.pipeline import handle

    with transaction.atomic():
        handle(held)
    assert held.status == InboundStatus.DONE and Incident.objects.count() == 3


def test_a_mailbox_routed_to_an_unknown_kind_refuses(feed, mailbox) -> None:
    mailbox.ticket_kind = "nothing"
    mailbox.save()
    inbound = feed(simple_mail())
    assert inbound.status == InboundStatus.REFUSED and "cannot come by email" in inbound.reason


# --- approvals ---------------------------------------------------------------------------------


@pytest.fixture
def awaiting(end_user, vpn) -> ServiceRequest:  # noqa: F811
    request = request_services.request_create(requester=end_user, item=vpn, answers={})
    assert request.status == RequestStatus.AWAITING_APPROVAL
    TicketEmail.objects.create(
        message_id="<approval-1@desk.example>",
        ticket_type=ContentType.objects.get_for_model(ServiceRequest),
        ticket_id=request.pk,
        purpose="approval",
        created_at=timezone.now(),
    )
    return request


def _answer(body: str, sender: str = "approver@example.com", **kw: str) -> bytes:
    return _reply(body, to="<approval-1@desk.example>", sender=sender, **kw)


def test_approve_by_email(feed, awaiting, approver) -> None:  # noqa: F811
    inbound = feed(_answer("Approved, fine for one year.\n\nOn Mon ... wrote:\n> Approve?"))
    awaiting.refresh_from_db()
    assert awaiting.status == RequestStatus.APPROVED
    assert (inbound.status, inbound.outcome) == (InboundStatus.DONE, InboundOutcome.APPROVAL)
    event = TimelineEvent.objects.filter(ticket_id=awaiting.pk, to_status="approved").get()
    assert event.source == Source.EMAIL and event.actor == approver


def test_reject_by_email_with_a_reason(feed, awaiting, approver) -> None:  # noqa: F811
    feed(_answer("reject: no budget this quarter"))
    awaiting.refresh_from_db()
    assert awaiting.status == RequestStatus.CLOSED
    assert "no budget this quarter" in awaiting.decision_comment


def test_a_refused_answer_is_recorded_and_the_approver_told_once(feed, awaiting, approver):  # noqa: F811
    first = feed(_answer("reject:"))
    second = feed(_answer("rejected", mid="<r-2@example.com>"))
    awaiting.refresh_from_db()
    assert awaiting.status == RequestStatus.AWAITING_APPROVAL
    assert first.status == second.status == InboundStatus.REFUSED
    assert first.reason
    assert OutboxMessage.objects.filter(payload__to=["approver@example.com"]).count() == 1


def test_only_the_approver_may_answer(feed, awaiting, other_end_user) -> None:
    inbound = feed(_answer("approve", sender=other_end_user.email))
    awaiting.refresh_from_db()
    assert awaiting.status == RequestStatus.AWAITING_APPROVAL
    assert inbound.status != InboundStatus.DONE or inbound.outcome != InboundOutcome.APPROVAL


def test_approve_by_subject_number(feed, awaiting, approver) -> None:  # noqa: F811
    feed(simple_mail(sender="approver@example.com", subject=f"Re: [{awaiting.number}]", body="yes"))
    awaiting.refresh_from_db()
    assert awaiting.status == RequestStatus.APPROVED


def test_an_answer_after_the_decision_is_refused(feed, awaiting, approver) -> None:  # noqa: F811
    feed(_answer("approve"))
    late = feed(_answer("reject: changed my mind", mid="<late@example.com>"))
    assert late.status == InboundStatus.REFUSED
    awaiting.refresh_from_db()
    assert awaiting.status == RequestStatus.APPROVED


@pytest.mark.postgres
def test_end_to_end_on_postgresql(feed, incident) -> None:
    test_the_requesters_reply_is_a_public_comment_and_threads_further(feed, incident)
    feed(simple_mail(message_id="<pg-new@example.com>"))
    assert Incident.objects.count() == 2


def test_the_new_ticket_of_a_stranger_does_not_describe_the_other_ticket(feed, incident) -> None:
    inbound = feed(_reply("Me too", sender="Mallory <mallory@example.com>"))
    assert Incident.objects.get(pk=inbound.ticket_id).description == "Me too"


def test_an_approver_who_says_something_else_is_told_how_to_answer(feed, awaiting, approver):  # noqa: F811
    inbound = feed(_answer("Who is this for?"))
    assert inbound.status == InboundStatus.REFUSED
    assert "reject: reason" in inbound.reason
    assert Incident.objects.count() == 0 and ServiceRequest.objects.count() == 1
    assert OutboxMessage.objects.filter(payload__to=["approver@example.com"]).count() == 1


def test_an_agent_approvers_other_words_are_a_comment(feed, end_user, manager, category, l1_group):  # noqa: F811
    from tests.service_requests.conftest import _item

    end_user.manager = manager
    end_user.save()
    item = _item(category, l1_group, "desk", "Desk", approval_mode="manager")
    request = request_services.request_create(requester=end_user, item=item, answers={})
    TicketEmail.objects.create(
        message_id="<approval-2@desk.example>",
        ticket_type=ContentType.objects.get_for_model(ServiceRequest),
        ticket_id=request.pk,
        purpose="approval",
        created_at=timezone.now(),
    )
    inbound = feed(_reply("Which desk?", to="<approval-2@desk.example>", sender=manager.email))
    assert inbound.outcome == InboundOutcome.REPLY
    assert Comment.objects.get(ticket_id=request.pk).author == manager


def test_an_agents_emailed_reply_on_a_change_is_refused_with_the_reason(feed, agent) -> None:
    change = ChangeFactory(requester=agent, title="Relay upgrade")
    inbound = feed(
        _reply("Done tonight.", sender="Alex <alex@desk.example>", subject=f"Re: [{change.number}]")
    )
    assert inbound.status == InboundStatus.REFUSED
    assert "a change's requester is the agent who raised it" in inbound.reason
    assert not Comment.objects.exists()
