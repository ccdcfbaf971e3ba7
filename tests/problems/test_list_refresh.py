"""The agent problem list's refresh answers 304 while the table it shows is unchanged, minutes
later too (ages move on in the browser), and the table when a row changed
(core.web.list_marker)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from problems.models import Problem

pytestmark = pytest.mark.django_db

LOADED_AT = datetime(2026, 3, 2, 9, 0, 20, tzinfo=UTC)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def loaded(client_for, agent_l1, problem):
    with time_machine.travel(LOADED_AT, tick=False):
        client = client_for(agent_l1)
        page = client.get(reverse("problems:agent_list"))
    return client, page


def _refresh(client, page, later):
    with time_machine.travel(LOADED_AT + later, tick=False):
        return client.get(
            reverse("problems:agent_list"), headers={**HTMX, "If-None-Match": page["ETag"]}
        )


def test_an_unchanged_list_refreshes_304_minutes_later(loaded):
    client, page = loaded
    assert f'data-etag="{page["ETag"].replace(chr(34), "&quot;")}"' in page.content.decode()
    for later in (timedelta(seconds=10), timedelta(hours=3)):
        refresh = _refresh(client, page, later)
        assert refresh.status_code == 304
        assert refresh.content == b""


def test_a_changed_row_is_sent(loaded, problem):
    client, page = loaded
    Problem.objects.filter(pk=problem.pk).update(title="Mail relay drops TLS")
    refresh = _refresh(client, page, timedelta(minutes=2))
    assert refresh.status_code == 200
    assert "Mail relay drops TLS" in refresh.content.decode()
