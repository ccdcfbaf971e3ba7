"""What the portal says a resolved incident's requester can still do: reopen until a date still
ahead, and when it closes — by itself, or, for a major incident, after its review."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.choices import IncidentStatus

pytestmark = pytest.mark.django_db


def _dates_line(client_for, end_user, incident) -> str:
    body = (
        client_for(end_user)
        .get(reverse("incidents:portal_detail", args=[incident.number]))
        .content.decode()
    )
    found = re.search(r'<p class="help resolution-dates">(.*?)</p>', body, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)) if found else ""


def test_recently_resolved_offers_both_dates(client_for, end_user, make_incident, settings):
    settings.INCIDENT_REOPEN_WINDOW_DAYS, settings.INCIDENT_AUTOCLOSE_DAYS = 7, 10
    incident = make_incident(IncidentStatus.RESOLVED, resolved_at=timezone.now())
    line = _dates_line(client_for, end_user, incident)
    assert line.startswith("You can reopen it until ")
    assert "If we do not hear from you, it closes by itself on " in line


def test_a_passed_reopen_window_is_not_offered(client_for, end_user, make_incident, settings):
    settings.INCIDENT_REOPEN_WINDOW_DAYS, settings.INCIDENT_AUTOCLOSE_DAYS = 7, 10
    resolved_at = timezone.now() - timedelta(days=8)
    incident = make_incident(IncidentStatus.RESOLVED, resolved_at=resolved_at)
    line = _dates_line(client_for, end_user, incident)
    assert "reopen" not in line
    assert line.startswith("It closes by itself on ")


def test_nothing_is_promised_once_both_dates_passed(client_for, end_user, make_incident, settings):
    settings.INCIDENT_REOPEN_WINDOW_DAYS, settings.INCIDENT_AUTOCLOSE_DAYS = 7, 10
    incident = make_incident(
        IncidentStatus.RESOLVED, resolved_at=timezone.now() - timedelta(days=11)
    )
    assert _dates_line(client_for, end_user, incident) == ""


def test_a_major_incident_waits_for_its_review(client_for, end_user, make_incident):
    incident = make_incident(IncidentStatus.RESOLVED, is_major=True, resolved_at=timezone.now())
    line = _dates_line(client_for, end_user, incident)
    assert "closes by itself" not in line
    assert "it is closed once the service desk has completed its review" in line
