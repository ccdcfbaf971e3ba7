"""The requester's timeline entries written in Python (core.web.portal_timeline) are the markup
tickets/_timeline.html writes for them without `agent_view`, for every kind of entry: status
moves, people's and system messages (escaped, Markdown sanitised, instants localised), replies,
files, entries that came by email and entries with no actor."""

import re
from datetime import timedelta
from uuid import uuid4

import pytest
from django.contrib.contenttypes.models import ContentType
from django.template.loader import render_to_string
from django.utils import timezone

from core.choices import EventKind, Source
from core.models import Attachment, Comment, TimelineEvent
from core.web.portal_timeline import timeline_entries
from incidents.choices import IncidentStatus
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

MESSAGE = "Done at 2026-03-02T14:00:00+00:00: **bold** <script>alert(1)</script> & [link](https://x.example)"


def _events(incident, end_user):
    kind = ContentType.objects.get_for_model(incident)
    start = timezone.now() - timedelta(days=1)
    common = {"ticket_type": kind, "ticket_id": incident.pk}
    comment = Comment.objects.create(
        **common, author=end_user, body="It *still* fails <b>x</b>", created_at=start
    )
    attachment = Attachment.objects.create(
        **common,
        uploaded_by=end_user,
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
            source=Source.EMAIL if n % 3 == 0 else Source.WEB,
            actor=end_user if n % 2 else None,
            message=MESSAGE if n % 4 else "",
            from_status=IncidentStatus.LOGGED if n % 5 == 1 else "",
            to_status=IncidentStatus.CLASSIFIED if n % 5 in (1, 2) else "",
            created_at=start + timedelta(minutes=n),
        )
        for n, value in enumerate(EventKind.values)
        if value not in (EventKind.COMMENTED, EventKind.ATTACHED)
    ]
    events.append(
        TimelineEvent(
            **common,
            kind=EventKind.COMMENTED,
            source=Source.WEB,
            actor=end_user,
            comment=comment,
            created_at=start + timedelta(hours=1),
        )
    )
    events.append(
        TimelineEvent(
            **common,
            kind=EventKind.ATTACHED,
            source=Source.EMAIL,
            actor=end_user,
            attachment=attachment,
            created_at=start + timedelta(hours=2),
        )
    )
    TimelineEvent.objects.bulk_create(events)
    return list(
        TimelineEvent.objects.filter(ticket_type=kind, ticket_id=incident.pk)
        .select_related("actor", "comment", "attachment")
        .order_by("created_at", "id")
    )


def _squeezed(html: str) -> str:
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
def test_entries_are_the_timeline_templates_markup(end_user, zone):
    incident = IncidentFactory(requester=end_user)
    events = _events(incident, end_user)
    with timezone.override(zone):
        expected = render_to_string(
            "tickets/_timeline.html", {"events": events, "ticket": incident, "agent_view": False}
        )
        written = render_to_string(
            "tickets/portal/_updates.html", {"entries": timeline_entries(events, incident)}
        )
    assert expected.count('<li class="event ') == len(events) > 15
    assert _squeezed(written) == _squeezed(expected)
    assert "<script>" not in written and "&lt;x&gt;" in written


def test_no_entries_say_nothing_happened():
    assert "Nothing has happened yet." in render_to_string(
        "tickets/portal/_updates.html", {"entries": []}
    )
