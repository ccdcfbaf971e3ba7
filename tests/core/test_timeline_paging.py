"""The agent ticket page shows the newest TIMELINE_PAGE_SIZE timeline entries, oldest first,
with an "Older entries" link (keyset on created_at, id) that pages back through the rest: the
page's statements do not grow with the ticket's history, every entry is reachable exactly
once, and a forged cursor answers 400 with the newest entries, changing nothing."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import Attachment, TimelineEvent
from tests.factories import incident_with_events

pytestmark = pytest.mark.django_db

PAGE = 5


@pytest.fixture(autouse=True)
def _small_pages(settings):
    settings.TIMELINE_PAGE_SIZE = PAGE


def _url(incident) -> str:
    return reverse("incidents:agent_detail", args=[incident.number])


def _entries(response) -> list[str]:
    return [event.message for event in response.context["events"]]


def test_a_short_timeline_shows_every_entry_and_no_pager(client_for, agent_l1):
    incident = incident_with_events(3)
    response = client_for(agent_l1).get(_url(incident))
    assert _entries(response) == ["entry 0", "entry 1", "entry 2"]
    body = response.content.decode()
    assert "Older entries" not in body and 'aria-label="Timeline pages"' not in body


@pytest.mark.parametrize("same_instant", [False, True])
def test_older_entries_page_back_through_the_whole_timeline_once(
    client_for, agent_l1, same_instant
):
    incident = incident_with_events(12, same_instant=same_instant)
    client = client_for(agent_l1)
    response = client.get(_url(incident))
    pages = [_entries(response)]
    assert pages[0] == [f"entry {n}" for n in range(7, 12)]
    assert 'id="timeline-first"' not in response.content.decode()
    while response.context["timeline"].next_url:
        next_url = response.context["timeline"].next_url
        assert next_url.endswith("#timeline") and "timeline_older=" in next_url
        assert 'rel="next"' in response.content.decode()
        response = client.get(next_url.split("#")[0])
        assert response.status_code == 200
        assert 'id="timeline-first"' in response.content.decode()
        pages.append(_entries(response))
    shown = [entry for page in reversed(pages) for entry in page]
    assert shown == [f"entry {n}" for n in range(12)]
    assert [len(page) for page in pages] == [5, 5, 2]


def test_a_forged_cursor_answers_400_with_the_newest_entries(client_for, agent_l1):
    incident = incident_with_events(7)
    before = TimelineEvent.objects.count()
    for forged in ("nonsense", "1.links_after.1", "9" * 40):
        response = client_for(agent_l1).get(_url(incident), {"timeline_older": forged})
        assert response.status_code == 400
        assert "That page link is not valid" in response.content.decode()
        assert _entries(response) == [f"entry {n}" for n in range(2, 7)]
    assert TimelineEvent.objects.count() == before


def test_statements_do_not_grow_with_the_history(client_for, agent_l1):
    client = client_for(agent_l1)
    short, long = incident_with_events(3), incident_with_events(300)
    counts = []
    for incident in (short, long, short, long):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(_url(incident))
        assert response.status_code == 200
        # The rendered entries are at most a page, however long the history.
        assert len(response.context["events"]) == min(PAGE, 3 if incident is short else 300)
        counts.append(len(queries))
    assert counts[2] == counts[3], counts


def _with_files(incident, uploader, count: int):  # type: ignore[no-untyped-def]
    """`count` files on `incident`, "file-0" (oldest) to "file-<count - 1>", stored directly."""
    start = timezone.now() - timedelta(days=30)
    Attachment.objects.bulk_create(
        Attachment(
            ticket_type=ContentType.objects.get_for_model(incident),
            ticket_id=incident.pk,
            uploaded_by=uploader,
            token=f"{incident.pk}-{n}",
            file=f"attachments/{incident.pk}-{n}",
            original_name=f"file-{n}.txt",
            content_type="text/plain",
            size=10,
            sha256="0" * 64,
            created_at=start + timedelta(minutes=n),
        )
        for n in range(count)
    )
    return incident


def test_files_are_listed_a_page_at_a_time_in_the_same_statements(client_for, agent_l1, settings):
    settings.FILES_PAGE_SIZE = PAGE
    client = client_for(agent_l1)
    short = _with_files(incident_with_events(1), agent_l1, 3)
    long = _with_files(incident_with_events(1), agent_l1, 300)
    counts = []
    for incident in (short, long, short, long):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(_url(incident))
        assert response.status_code == 200
        shown = [file.original_name for file in response.context["files"].rows]
        assert shown == [f"file-{n}.txt" for n in range(min(PAGE, 3 if incident is short else 300))]
        counts.append(len(queries))
    assert counts[2] == counts[3], counts
    following = client.get(response.context["files"].next_url.split("#")[0])
    assert [file.original_name for file in following.context["files"].rows] == [
        f"file-{n}.txt" for n in range(PAGE, 2 * PAGE)
    ]
    assert 'id="files-first"' in following.content.decode()
