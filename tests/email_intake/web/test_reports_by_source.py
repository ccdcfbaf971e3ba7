"""Reports count new tickets by source (computed in the database): the volume report's API,
the dashboard's volume tile and its "by source" CSV."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.choices import Source
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mixed_sources(end_user):
    now = timezone.now() - timedelta(hours=2)
    for source, n in ((Source.EMAIL, 3), (Source.WEB, 2), (Source.API, 1)):
        for _ in range(n):
            IncidentFactory(requester=end_user, source=source, identified_at=now)
    # Outside the period: not counted.
    IncidentFactory(requester=end_user, source=Source.EMAIL, identified_at=now - timedelta(days=60))


def test_the_volume_report_api_counts_by_source(client_for, manager, mixed_sources):
    today = timezone.localdate()
    response = client_for(manager).get(
        reverse("reports-volume"),
        {"start": (today - timedelta(days=6)).isoformat(), "end": today.isoformat()},
    )
    assert response.status_code == 200, response.content
    assert response.json()["report"]["by_source"] == [
        {"source": "email", "label": "Email", "created": 3},
        {"source": "web", "label": "Web", "created": 2},
        {"source": "api", "label": "API", "created": 1},
    ]


def test_the_dashboard_shows_and_exports_them(client_for, manager, mixed_sources):
    client = client_for(manager)
    tile = client.get(reverse("reporting:dashboard_tile", args=["volume"]) + "?period=7")
    assert tile.status_code == 200
    assert "New tickets by source:</strong> Email 3 · Web 2 · API 1" in tile.content.decode()
    response = client.get(reverse("reporting:dashboard_csv", args=["sources"]) + "?period=7")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows == [
        ["source", "label", "created"],
        ["email", "Email", "3"],
        ["web", "Web", "2"],
        ["api", "API", "1"],
    ]
