"""The requester's ticket page shows the newest TIMELINE_PAGE_SIZE public timeline entries and
the newest FILES_PAGE_SIZE public files, each with a link back through the rest by keyset
cursor: the page's statements and rows do not grow with the ticket's history, internal entries
and files never show, and a forged cursor answers 400 with the newest entries, changing
nothing."""

from datetime import timedelta
from uuid import uuid4

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.choices import EventKind, Source
from core.models import Attachment, TimelineEvent
from tests.factories import incident_with_events

pytestmark = pytest.mark.django_db

PAGE = 5


@pytest.fixture(autouse=True)
def _small_pages(settings):
    settings.TIMELINE_PAGE_SIZE = PAGE
    settings.FILES_PAGE_SIZE = PAGE


def _url(incident) -> str:
    return reverse("incidents:portal_detail", args=[incident.number])


def _entries(response) -> list[str]:
    return [event.message for event in response.context["events"]]


def _add_files(incident, count: int, *, internal: bool = False) -> None:
    start = timezone.now() - timedelta(days=10)
    Attachment.objects.bulk_create(
        Attachment(
            ticket_type=ContentType.objects.get_for_model(incident),
            ticket_id=incident.pk,
            uploaded_by=incident.requester,
            token=uuid4().hex,
            file=f"attachments/{n}",
            original_name=f"{'secret' if internal else 'file'}-{n}.txt",
            content_type="text/plain",
            size=10,
            sha256="0" * 64,
            is_internal=internal,
            created_at=start + timedelta(minutes=n),
        )
        for n in range(count)
    )


def _add_internal_events(incident, count: int) -> None:
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            ticket_type=ContentType.objects.get_for_model(incident),
            ticket_id=incident.pk,
            source=Source.WEB,
            kind=EventKind.STATUS_CHANGED,
            message=f"internal {n}",
            is_public=False,
            created_at=timezone.now() - timedelta(minutes=n),
        )
        for n in range(count)
    )


def test_a_short_history_shows_everything_and_no_pager(client_for, end_user):
    incident = incident_with_events(3, requester=end_user)
    _add_files(incident, 2)
    response = client_for(end_user).get(_url(incident))
    assert _entries(response) == ["entry 0", "entry 1", "entry 2"]
    body = response.content.decode()
    assert 'aria-label="Pages of updates"' not in body and "Older entries" not in body
    assert 'aria-label="Pages of files"' not in body


def test_older_entries_page_back_through_the_public_timeline_once(client_for, end_user):
    incident = incident_with_events(12, requester=end_user)
    _add_internal_events(incident, 4)
    client = client_for(end_user)
    response = client.get(_url(incident))
    pages = [_entries(response)]
    assert pages[0] == [f"entry {n}" for n in range(7, 12)]
    while response.context["timeline"].next_url:
        next_url = response.context["timeline"].next_url
        assert next_url.endswith("#timeline") and "timeline_older=" in next_url
        response = client.get(next_url.split("#")[0])
        assert response.status_code == 200
        assert 'id="timeline-first"' in response.content.decode()
        pages.append(_entries(response))
    assert [entry for page in reversed(pages) for entry in page] == [
        f"entry {n}" for n in range(12)
    ]


def test_older_files_page_back_through_the_public_files(client_for, end_user):
    incident = incident_with_events(1, requester=end_user)
    _add_files(incident, 7)
    _add_files(incident, 3, internal=True)
    client = client_for(end_user)
    response = client.get(_url(incident))
    names = [file.original_name for file in response.context["files"]]
    assert names == [f"file-{n}.txt" for n in range(2, 7)]
    next_url = response.context["file_panel"].next_url
    assert next_url.endswith("#files") and "files_older=" in next_url
    older = client.get(next_url.split("#")[0])
    assert [file.original_name for file in older.context["files"]] == ["file-0.txt", "file-1.txt"]
    assert "secret" not in response.content.decode() + older.content.decode()
    # The timeline's own position is kept while the files page (and the other way round).
    assert _entries(older) == ["entry 0"]


@pytest.mark.parametrize("param", ["timeline_older", "files_older"])
def test_a_forged_cursor_answers_400_with_the_newest_entries(client_for, end_user, param):
    incident = incident_with_events(7, requester=end_user)
    before = TimelineEvent.objects.count()
    for forged in ("nonsense", "1.links_after.1", "9" * 40):
        response = client_for(end_user).get(_url(incident), {param: forged})
        assert response.status_code == 400
        assert "That page link is not valid" in response.content.decode()
        assert _entries(response) == [f"entry {n}" for n in range(2, 7)]
    assert TimelineEvent.objects.count() == before


def test_statements_and_rows_do_not_grow_with_the_history(client_for, end_user):
    client = client_for(end_user)
    short, long = (
        incident_with_events(3, requester=end_user),
        incident_with_events(300, requester=end_user),
    )
    _add_files(short, 1)
    _add_files(long, 40)
    counts = []
    for incident in (short, long, short, long):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(_url(incident))
        assert response.status_code == 200
        assert len(response.context["events"]) == min(PAGE, 3 if incident is short else 300)
        assert len(response.context["files"]) == (1 if incident is short else PAGE)
        counts.append(len(queries))
    assert counts[2] == counts[3], counts


def test_the_request_page_pages_its_timeline_too(client_for, end_user, make_request):
    request = make_request()
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            ticket_type=ContentType.objects.get_for_model(request),
            ticket_id=request.pk,
            source=Source.WEB,
            kind=EventKind.STATUS_CHANGED,
            message=f"entry {n}",
            created_at=timezone.now() - timedelta(minutes=20 - n),
        )
        for n in range(8)
    )
    url = reverse("requests:portal_detail", args=[request.number])
    response = client_for(end_user).get(url)
    assert _entries(response) == [f"entry {n}" for n in range(3, 8)]
    assert "timeline_older=" in response.context["timeline"].next_url
