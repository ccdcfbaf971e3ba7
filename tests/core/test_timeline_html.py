"""Timeline entries written in Python (core.web.timeline_html) are the markup
tickets/_timeline.html writes for them, for every kind of entry: status moves, people's and
system messages (escaped, Markdown sanitised, instants localised), replies, files, changed
fields, internal and public entries, entries that came by email (with and without their
original message kept) and entries with no actor; for requesters (public entries, no source
but email) and for agents (`agent_view`: every source, the link to the original message and the
changed fields), as the portal's updates and the agent's ticket page show them."""

import re
from datetime import timedelta
from uuid import uuid4

import pytest
from django.contrib.contenttypes.models import ContentType
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.choices import EventKind, Source
from core.models import Attachment, Comment, TimelineEvent
from core.web.timeline_html import timeline_entries
from email_intake.choices import InboundOutcome, InboundStatus
from email_intake.models import InboundEmail, Mailbox
from email_intake.templatetags.email_intake import original_messages
from incidents.choices import IncidentStatus
from tests.factories import IncidentFactory
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db

MESSAGE = "Done at 2026-03-02T14:00:00+00:00: **bold** <script>alert(1)</script> & [link](https://x.example)"
SOURCES = list(Source.values)
# Changed fields as events record them: a choice, free text to escape, an empty value.
CHANGES = {"priority": 2, "title": 'Printer <b>"3"</b>', "assignee": None}


def _events(incident, author, *, public_only: bool):
    kind = ContentType.objects.get_for_model(incident)
    start = timezone.now() - timedelta(days=1)
    common = {"ticket_type": kind, "ticket_id": incident.pk}
    comment = Comment.objects.create(
        **common, author=author, body="It *still* fails <b>x</b>", created_at=start
    )
    attachment = Attachment.objects.create(
        **common,
        uploaded_by=author,
        token=uuid4().hex,
        file="attachments/x",
        original_name='shot "1" <x>.png',
        content_type="image/png",
        size=123_456,
        sha256="0" * 64,
        created_at=start,
    )
    events = [
        TimelineEvent(
            **common,
            kind=value,
            source=SOURCES[n // 3 % len(SOURCES)] if n % 3 else Source.EMAIL,
            actor=author if n % 2 else None,
            message=MESSAGE if n % 4 else "",
            from_status=IncidentStatus.LOGGED if n % 5 == 1 else "",
            to_status=IncidentStatus.CLASSIFIED if n % 5 in (1, 2) else "",
            changes=CHANGES if n % 2 == 0 and value != EventKind.CREATED else {},
            is_public=public_only or n % 7 != 3,
            created_at=start + timedelta(minutes=n),
        )
        for n, value in enumerate(
            kind
            for kind in EventKind.values
            if kind not in (EventKind.COMMENTED, EventKind.ATTACHED)
        )
    ]
    events.append(
        TimelineEvent(
            **common,
            kind=EventKind.COMMENTED,
            source=Source.EMAIL,
            actor=author,
            comment=comment,
            created_at=start + timedelta(hours=1),
        )
    )
    events.append(
        TimelineEvent(
            **common,
            kind=EventKind.ATTACHED,
            source=Source.EMAIL,
            actor=author,
            attachment=attachment,
            is_public=public_only,
            created_at=start + timedelta(hours=2),
        )
    )
    TimelineEvent.objects.bulk_create(events)
    return list(
        TimelineEvent.objects.filter(ticket_type=kind, ticket_id=incident.pk)
        .select_related("actor", "comment", "attachment")
        .order_by("created_at", "id")
    )


def _keep_mail(incident, comment):
    """The stored messages that opened the incident and carried the reply `comment`."""
    mailbox = Mailbox.objects.create(name="helpdesk", address="help@desk.example")
    for n, (outcome, filed) in enumerate(
        [(InboundOutcome.NEW_TICKET, None), (InboundOutcome.REPLY, comment)]
    ):
        InboundEmail.objects.create(
            mailbox=mailbox,
            message_key=f"key-{n}",
            raw="inbound/x.eml",
            status=InboundStatus.DONE,
            outcome=outcome,
            ticket_type=ContentType.objects.get_for_model(incident),
            ticket_id=incident.pk,
            comment=filed,
            received_at=timezone.now(),
        )


def _squeezed(html: str) -> str:
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
def test_requester_entries_are_the_timeline_templates_markup(end_user, zone):
    incident = IncidentFactory(requester=end_user)
    events = _events(incident, end_user, public_only=True)
    with timezone.override(zone):
        expected = render_to_string(
            "tickets/_timeline.html", {"events": events, "ticket": incident, "agent_view": False}
        )
        written = render_to_string(
            "tickets/_entries.html", {"entries": timeline_entries(events, incident)}
        )
    assert expected.count('<li class="event ') == len(events) > 15
    assert _squeezed(written) == _squeezed(expected)
    assert "<script>" not in written and "&lt;x&gt;" in written


def _ticket(kind: str, requester):
    """An incident (its requesters follow it in the portal: "Internal" is marked) or a problem
    (agents only: nothing to mark)."""
    return IncidentFactory(requester=requester) if kind == "incident" else ProblemFactory()


@pytest.mark.parametrize("kind", ["incident", "problem"])
@pytest.mark.parametrize("mailed", [True, False])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
def test_agent_entries_are_the_timeline_templates_markup(agent_l1, end_user, zone, mailed, kind):
    ticket = _ticket(kind, end_user)
    events = _events(ticket, agent_l1, public_only=False)
    if mailed:
        _keep_mail(ticket, next(event.comment for event in events if event.comment))
    with timezone.override(zone):
        expected = render_to_string(
            "tickets/_timeline.html", {"events": events, "ticket": ticket, "agent_view": True}
        )
        written = render_to_string(
            "tickets/_entries.html",
            {
                "entries": timeline_entries(
                    events,
                    ticket,
                    agent_view=True,
                    original_messages=original_messages(ticket, events),
                )
            },
        )
    assert _squeezed(written) == _squeezed(expected)
    internal = expected.count("event-internal")
    assert internal >= 2 and expected.count("badge-internal") == (
        internal if kind == "incident" else 0
    )
    assert expected.count("original message") == (2 if mailed else 0)
    assert expected.count('<dl class="event-changes">') >= 1
    shown = {"via email"} | {f"via {source.label}" for source in Source if source != Source.EMAIL}
    assert all(text in written for text in shown)
    assert "&lt;b&gt;&quot;3&quot;&lt;/b&gt;" in written and "<b>" not in written


def test_the_agent_page_shows_the_templates_entries(client_for, agent_l1, end_user):
    incident = IncidentFactory(requester=end_user)
    events = _events(incident, agent_l1, public_only=False)
    _keep_mail(incident, next(event.comment for event in events if event.comment))
    response = client_for(agent_l1).get(reverse("incidents:agent_detail", args=[incident.number]))
    shown = response.context["events"]
    assert len(shown) == len(events)
    expected = render_to_string(
        "tickets/_timeline.html", {"events": shown, "ticket": incident, "agent_view": True}
    )
    page = response.content.decode()
    timeline = page[
        page.index('<ol class="timeline">') : page.index(
            "</ol>", page.index('<ol class="timeline">')
        )
        + 5
    ]
    assert _squeezed(timeline) == _squeezed(expected)
    assert timeline.count("original message") == 2


def test_no_entries_say_nothing_happened(client_for, agent_l1):
    assert "Nothing has happened yet." in render_to_string("tickets/_entries.html", {"entries": []})
    incident = IncidentFactory()
    TimelineEvent.objects.filter(ticket_id=incident.pk).delete()
    page = client_for(agent_l1).get(reverse("incidents:agent_detail", args=[incident.number]))
    assert '<p class="empty-inline">Nothing has happened yet.</p>' in page.content.decode()
