"""Timeline entries are kept per process (core.web.timeline_html) under every value they show:
change any one of them and the entry is written again, the same as one written afresh. Each
case below fails without its part of the key."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import set_script_prefix
from django.utils import timezone

from core.choices import EventKind, Source
from core.models import Attachment, Comment, TimelineEvent, User
from core.web import timeline_html
from core.web.timeline_html import forget_entries, timeline_entries
from incidents.choices import IncidentStatus
from tests.factories import IncidentFactory
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db

URL = "/email/messages/1/"
FILE = {"file": "attachments/x", "original_name": "shot.png", "content_type": "image/png"}
FILE |= {"size": 1234, "sha256": "0" * 64}


def _event(ticket: Any, author: User, what: str) -> TimelineEvent:
    common = {"ticket_type": ContentType.objects.get_for_model(ticket), "ticket_id": ticket.pk}
    start = timezone.now() - timedelta(days=1)
    fields: dict[str, Any] = {
        "kind": EventKind.STATUS_CHANGED,
        "source": Source.WEB,
        "message": "Looked at it",
        "from_status": IncidentStatus.LOGGED,
        "to_status": IncidentStatus.CLASSIFIED,
        "changes": {"priority": 2},
    }
    if what == "comment":
        comment = Comment.objects.create(
            **common, author=author, body="It *fails*", created_at=start
        )
        fields = {"kind": EventKind.COMMENTED, "source": Source.EMAIL, "comment": comment}
    elif what == "file":
        file = Attachment.objects.create(
            **common, **FILE, uploaded_by=author, token=uuid4().hex, created_at=start
        )
        fields = {"kind": EventKind.ATTACHED, "source": Source.WEB, "attachment": file}
    event = TimelineEvent.objects.create(
        **common, actor=author, is_public=True, created_at=start, **fields
    )
    return TimelineEvent.objects.select_related("actor", "comment", "attachment").get(pk=event.pk)


def _shown(event: TimelineEvent, ticket: Any) -> list[str]:
    """The agent's entry of `event`, its original message at `event.mail` (URL unless set)."""
    mail = {event.pk: getattr(event, "mail", URL)}
    return [
        str(entry)
        for entry in timeline_entries([event], ticket, agent_view=True, original_messages=mail)
    ]


def _actor_renamed(event: TimelineEvent) -> None:
    assert event.actor is not None
    event.actor.first_name, event.actor.last_name = "Zed", "Other"


def _set(name: str, value: Any) -> Callable[[TimelineEvent], None]:
    return lambda event: setattr(event, name, value)


def _set_on(part: str, name: str, value: Any) -> Callable[[TimelineEvent], None]:
    return lambda event: setattr(getattr(event, part), name, value)


EVENT_PARTS = [
    ("plain", "kind", _set("kind", EventKind.FIELDS_CHANGED)),
    ("plain", "is_public", _set("is_public", False)),
    ("plain", "source", _set("source", Source.API)),
    (
        "plain",
        "created_at",
        lambda event: setattr(event, "created_at", event.created_at + timedelta(minutes=5)),
    ),
    ("plain", "from_status", _set("from_status", IncidentStatus.ON_HOLD)),
    ("plain", "to_status", _set("to_status", IncidentStatus.RESOLVED)),
    ("plain", "message", _set("message", "Looked again")),
    ("plain", "changes", _set("changes", {"priority": 3})),
    ("plain", "actor", _actor_renamed),
    ("plain", "no actor", _set("actor", None)),
    ("comment", "comment body", _set_on("comment", "body", "It *works*")),
    ("comment", "comment is_internal", _set_on("comment", "is_internal", True)),
    ("file", "file token", _set_on("attachment", "token", "f" * 32)),
    ("file", "file name", _set_on("attachment", "original_name", "other.png")),
    ("file", "file size", _set_on("attachment", "size", 99_999_999)),
    ("comment", "original message", _set("mail", "/email/messages/2/")),
]


def _again(show: Callable[[], list[str]]) -> tuple[list[str], list[str]]:
    """`show()` as the memo has it, then written afresh."""
    kept = show()
    forget_entries()
    return kept, show()


@pytest.mark.parametrize(("what", "part", "change"), EVENT_PARTS, ids=[p[1] for p in EVENT_PARTS])
def test_each_value_of_the_event_is_part_of_the_key(agent_l1, what, part, change):
    incident = IncidentFactory()
    event = _event(incident, agent_l1, what)
    before = _shown(event, incident)
    change(event)
    kept, fresh = _again(lambda: _shown(event, incident))
    assert kept == fresh != before


@contextmanager
def _script_prefix(prefix: str) -> Iterator[None]:
    set_script_prefix(prefix)
    try:
        yield
    finally:
        set_script_prefix("/")


@pytest.mark.parametrize(
    ("what", "elsewhere"),
    [
        ("plain", lambda: timezone.override("Asia/Kolkata")),
        ("file", lambda: _script_prefix("/desk/")),
    ],
    ids=["the reader's zone", "the download URL"],
)
def test_the_zone_and_the_download_url_are_part_of_the_key(agent_l1, what, elsewhere):
    incident = IncidentFactory()
    event = _event(incident, agent_l1, what)
    with timezone.override("UTC"):
        before = _shown(event, incident)
        with elsewhere():
            kept, fresh = _again(lambda: _shown(event, incident))
    assert kept == fresh != before


def test_agent_or_requester_is_part_of_the_key(agent_l1):
    incident = IncidentFactory()
    event = _event(incident, agent_l1, "plain")
    before = _shown(event, incident)
    mail = {event.pk: URL}  # the same link: only the reader differs
    kept, fresh = _again(
        lambda: [
            str(entry) for entry in timeline_entries([event], incident, original_messages=mail)
        ]
    )
    assert kept == fresh != before


def test_the_tickets_model_is_part_of_the_key(agent_l1):
    """The same event on another kind's ticket: its statuses and fields are that model's."""
    incident = IncidentFactory()
    problem = ProblemFactory()
    event = _event(incident, agent_l1, "plain")
    before = _shown(event, incident)
    kept, fresh = _again(lambda: _shown(event, problem))
    assert kept == fresh != before


def test_a_long_event_is_written_each_time_and_not_kept(agent_l1):
    incident = IncidentFactory()
    event = _event(incident, agent_l1, "plain")
    forget_entries()
    _shown(event, incident)
    assert len(timeline_html._kept) == 1
    event.message = "x" * (timeline_html.ENTRY_TEXT_CHARS + 1)
    assert "x" * 100 in _shown(event, incident)[0]
    assert len(timeline_html._kept) == 1
