"""The original of a message on a ticket: the timeline links it ("via email"), agents who may
see the ticket read its headers and download its source; nobody else learns it exists."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.choices import EventKind, Source
from core.models import Comment, TimelineEvent
from core.services import comment_add
from core.tickets.kinds import kind_named
from email_intake.choices import InboundOutcome, InboundStatus
from email_intake.models import InboundEmail
from email_intake.selectors import inbound_for_events
from email_intake.templatetags import email_intake as email_intake_tags
from incidents.choices import Category
from incidents.models import Incident
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailed_incident(end_user, make_inbound):
    """An incident opened by mail, with one emailed reply; both messages stored."""
    with transaction.atomic():
        incident = kind_named("incident").email.open_ticket(
            requester=end_user,
            title="Café printer",
            description="The printer is broken.",
            service=None,
            support_group=None,
            catalog_item=None,
            source=Source.EMAIL,
        )
        reply = comment_add(
            ticket=incident,
            author=end_user,
            body="Still broken",
            is_internal=False,
            source=Source.EMAIL,
        )
    opening = make_inbound(InboundStatus.DONE, ticket=incident)
    answer = make_inbound(InboundStatus.DONE, ticket=incident, comment=reply)
    return incident, opening, answer


def _detail(incident: Incident) -> str:
    return reverse("incidents:agent_detail", args=[incident.number])


def test_the_timeline_links_each_email_event_to_its_message(client_for, agent_l1, mailed_incident):
    incident, opening, answer = mailed_incident
    page = client_for(agent_l1).get(_detail(incident))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("via email") >= 2
    assert reverse("email_intake:message", args=[opening.pk]) in html
    assert reverse("email_intake:message", args=[answer.pk]) in html


def test_the_requester_sees_via_email_but_no_link(client_for, end_user, mailed_incident):
    incident, opening, _ = mailed_incident
    page = client_for(end_user).get(reverse("incidents:portal_detail", args=[incident.number]))
    assert page.status_code == 200
    assert b"via email" in page.content
    assert reverse("email_intake:message", args=[opening.pk]).encode() not in page.content


def _page_queries(client, incident) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(_detail(incident)).status_code == 200
    return len(queries)


def test_the_ticket_page_reads_its_mail_in_one_query(
    client_for, agent_l1, end_user, mailed_incident, make_inbound
):
    incident, _, _ = mailed_incident
    client = client_for(agent_l1)
    _page_queries(client, incident)  # warm the per-process caches (content types, roles)
    before = _page_queries(client, incident)
    for n in range(5):
        with transaction.atomic():
            reply = comment_add(
                ticket=incident,
                author=end_user,
                body=f"More {n}",
                is_internal=False,
                source=Source.EMAIL,
            )
        make_inbound(InboundStatus.DONE, ticket=incident, comment=reply)
    assert _page_queries(client, incident) == before


def test_agent_reads_the_headers_and_downloads_the_source(client_for, agent_l1, mailed_incident):
    _, opening, _ = mailed_incident
    client = client_for(agent_l1)
    page = client.get(reverse("email_intake:message", args=[opening.pk]))
    assert page.status_code == 200
    headers = dict(page.context["headers"])
    assert headers["From"] == "Alice <alice@example.com>"
    assert headers["Cc"] == "bob@example.com"
    assert headers["Subject"].startswith("Café printer")
    assert headers["Message-ID"] == "<msg-0@example.com>"
    assert "Date" in headers and "To" in headers
    assert b"<script>alert" not in page.content
    raw = client.get(reverse("email_intake:message_raw", args=[opening.pk]))
    assert raw["Content-Type"] == "message/rfc822"
    assert raw["X-Content-Type-Options"] == "nosniff"
    assert 'attachment; filename="message-' in raw["Content-Disposition"]


def test_end_users_never_get_the_message(client_for, end_user, mailed_incident):
    _, opening, _ = mailed_incident
    client = client_for(end_user)  # the requester themselves
    assert client.get(reverse("email_intake:message", args=[opening.pk])).status_code == 404
    assert client.get(reverse("email_intake:message_raw", args=[opening.pk])).status_code == 404


def test_an_agent_who_may_not_see_the_ticket_gets_404(
    client_for, agent_l1, manager, mailed_incident
):
    incident, opening, _ = mailed_incident
    Incident.objects.filter(pk=incident.pk).update(category=Category.SECURITY)
    client = client_for(agent_l1)
    assert client.get(reverse("email_intake:message", args=[opening.pk])).status_code == 404
    assert client.get(reverse("email_intake:message_raw", args=[opening.pk])).status_code == 404
    assert (
        client_for(manager).get(reverse("email_intake:message", args=[opening.pk])).status_code
        == 200
    )


def test_a_message_on_no_ticket_is_for_admins_only(client_for, agent_l1, admin_user, make_inbound):
    inbound = make_inbound(InboundStatus.REFUSED)
    url = reverse("email_intake:message", args=[inbound.pk])
    assert client_for(agent_l1).get(url).status_code == 404
    assert client_for(admin_user).get(url).status_code == 200


def test_a_missing_source_file_still_shows_the_page(client_for, admin_user, make_inbound):
    inbound = make_inbound(InboundStatus.REFUSED)
    inbound.raw.storage.delete(inbound.raw.name)
    page = client_for(admin_user).get(reverse("email_intake:message", args=[inbound.pk]))
    assert page.status_code == 200 and b"none of the usual headers" in page.content


def _mail_replies(incident: Incident, requester, make_inbound, count: int) -> None:
    """`count` emailed replies on `incident`, each with its stored message, stored directly (the
    newest last, a minute apart after everything before)."""
    content_type = ContentType.objects.get_for_model(Incident)
    start = timezone.now() + timedelta(minutes=1)
    comments = Comment.objects.bulk_create(
        Comment(
            ticket_type=content_type,
            ticket_id=incident.pk,
            author=requester,
            body=f"Reply {n}",
            source=Source.EMAIL,
            created_at=start + timedelta(minutes=n),
        )
        for n in range(count)
    )
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            ticket_type=content_type,
            ticket_id=incident.pk,
            actor=requester,
            source=Source.EMAIL,
            kind=EventKind.COMMENTED,
            comment=comment,
            created_at=comment.created_at,
        )
        for comment in comments
    )
    stored = make_inbound(InboundStatus.DONE, ticket=incident, comment=comments[0])
    InboundEmail.objects.bulk_create(
        InboundEmail(
            mailbox_id=stored.mailbox_id,
            message_key=f"{stored.message_key}-{n}",
            raw=stored.raw.name,
            status=InboundStatus.DONE,
            outcome=InboundOutcome.REPLY,
            ticket_type=content_type,
            ticket_id=incident.pk,
            comment=comment,
            received_at=comment.created_at,
        )
        for n, comment in enumerate(comments[1:])
    )


def test_the_mail_links_read_only_the_messages_of_the_entries_shown(
    client_for, agent_l1, end_user, make_inbound, settings, monkeypatch
):
    """A ticket with 3 emailed replies and one with 300: the page reads the same statements
    and the same number of stored messages (those of the entries it shows), and links each."""
    settings.TIMELINE_PAGE_SIZE = 3
    read: list[int] = []

    def counted(ticket, events):  # type: ignore[no-untyped-def]
        found = inbound_for_events(ticket, events)
        read.append(len(found))
        return found

    monkeypatch.setattr(email_intake_tags, "inbound_for_events", counted)
    client = client_for(agent_l1)
    short, long = IncidentFactory(requester=end_user), IncidentFactory(requester=end_user)
    _mail_replies(short, end_user, make_inbound, 3)
    _mail_replies(long, end_user, make_inbound, 300)
    _page_queries(client, short)  # warm the per-process caches (content types, roles)
    statements = [_page_queries(client, incident) for incident in (short, long)]
    assert statements[0] == statements[1]
    assert read[-2:] == [3, 3]
    newest = InboundEmail.objects.filter(ticket_id=long.pk).order_by("-received_at").first()
    html = client.get(_detail(long)).content.decode()
    assert reverse("email_intake:message", args=[newest.pk]) in html
