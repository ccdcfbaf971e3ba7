"""Rating rules (core.tickets.rating, for incidents and requests): only the requester,
only once the work is done, changeable until closed, final once closed; bad input and refusals
change nothing; every rating bumps `version` and appends one agents-only timeline event."""

import pytest
from django.db import IntegrityError, transaction

from core.choices import EventKind
from core.exceptions import TransitionError, ValidationFailed
from core.models import TimelineEvent
from core.tickets.rating import can_rate, rating_clean
from incidents.choices import IncidentStatus
from incidents.models import Incident
from incidents.services import incident_rate
from service_requests.choices import RequestStatus
from service_requests.models import ServiceRequest
from service_requests.services import request_rate

pytestmark = pytest.mark.django_db


def _events(ticket) -> list[TimelineEvent]:
    return list(
        TimelineEvent.objects.filter(
            ticket_id=ticket.pk,
            kind=EventKind.RATED,
            changes__has_key="satisfaction_score",
        ).order_by("id")
    )


# --- Incidents ------------------------------------------------------------------------------


def test_requester_rates_a_resolved_incident(make_incident, end_user):
    incident = make_incident(IncidentStatus.RESOLVED)
    version = incident.version
    rated = incident_rate(incident, actor=end_user, score=4, comment="  Quick fix, thanks!  ")
    rated.refresh_from_db()
    assert (rated.satisfaction_score, rated.satisfaction_comment) == (4, "Quick fix, thanks!")
    assert rated.satisfaction_at is not None
    assert rated.version == version + 1
    [event] = _events(rated)
    assert event.actor == end_user
    assert event.is_public is False
    assert event.changes == {"satisfaction_score": 4}
    assert "4 of 5 (Good)" in event.message and "> Quick fix, thanks!" in event.message


def test_rating_can_change_while_resolved_and_is_final_once_closed(make_incident, end_user):
    incident = make_incident(IncidentStatus.RESOLVED)
    incident_rate(incident, actor=end_user, score=2)
    changed = incident_rate(incident, actor=end_user, score=5, comment="Works now")
    assert changed.satisfaction_score == 5
    assert "Changed the rating from 2 to 5" in _events(incident)[-1].message
    Incident.objects.filter(pk=incident.pk).update(status=IncidentStatus.CLOSED)
    incident.refresh_from_db()
    assert not can_rate(end_user, incident)
    with pytest.raises(TransitionError, match="final once closed"):
        incident_rate(incident, actor=end_user, score=1)
    incident.refresh_from_db()
    assert incident.satisfaction_score == 5
    assert len(_events(incident)) == 2


def test_a_closed_unrated_incident_can_be_rated_once(make_incident, end_user):
    incident = make_incident(IncidentStatus.CLOSED)
    incident_rate(incident, actor=end_user, score=3)
    with pytest.raises(TransitionError):
        incident_rate(incident, actor=end_user, score=4)
    incident.refresh_from_db()
    assert incident.satisfaction_score == 3


@pytest.mark.parametrize("status", list(IncidentStatus))
def test_incident_is_rateable_only_when_resolved_or_closed(make_incident, end_user, status):
    incident = make_incident(status)
    expected = status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED)
    assert can_rate(end_user, incident) is expected
    if expected:
        assert incident_rate(incident, actor=end_user, score=5).satisfaction_score == 5
    else:
        with pytest.raises(TransitionError, match="once it is resolved"):
            incident_rate(incident, actor=end_user, score=5)
        incident.refresh_from_db()
        assert incident.satisfaction_score is None and incident.version == 1


def test_only_the_requester_rates_an_incident(make_incident, other_end_user, agent_l1):
    incident = make_incident(IncidentStatus.RESOLVED)
    for someone in (other_end_user, agent_l1):
        assert not can_rate(someone, incident)
        with pytest.raises(TransitionError, match="Only the person who reported"):
            incident_rate(incident, actor=someone, score=5)
    incident.refresh_from_db()
    assert incident.satisfaction_score is None and _events(incident) == []


@pytest.mark.parametrize("score", [0, 6, -1, "x", "", None, "4.5"])
def test_bad_scores_are_refused_and_change_nothing(make_incident, end_user, score):
    incident = make_incident(IncidentStatus.RESOLVED)
    with pytest.raises(ValidationFailed) as exc:
        incident_rate(incident, actor=end_user, score=score)
    assert "score" in exc.value.errors
    incident.refresh_from_db()
    assert incident.satisfaction_score is None and incident.version == 1
    assert _events(incident) == []


def test_too_long_comment_is_refused(make_incident, end_user):
    incident = make_incident(IncidentStatus.RESOLVED)
    with pytest.raises(ValidationFailed) as exc:
        incident_rate(incident, actor=end_user, score=3, comment="x" * 2001)
    assert set(exc.value.errors) == {"comment"}
    incident.refresh_from_db()
    assert incident.satisfaction_score is None


def test_rating_clean_accepts_numeric_strings():
    assert rating_clean("5", None) == (5, "")
    assert rating_clean(1, " ok ") == (1, "ok")


@pytest.mark.parametrize("score", [0, 6])
def test_database_refuses_scores_outside_1_to_5(make_incident, make_request, score):
    incident = make_incident(IncidentStatus.RESOLVED)
    sr = make_request(RequestStatus.FULFILLED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.filter(pk=incident.pk).update(satisfaction_score=score)
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceRequest.objects.filter(pk=sr.pk).update(satisfaction_score=score)


# --- Service requests -----------------------------------------------------------------------


@pytest.mark.parametrize("status", list(RequestStatus))
def test_request_is_rateable_only_once_fulfilled(make_request, end_user, status):
    sr = make_request(status)
    expected = status in (RequestStatus.FULFILLED, RequestStatus.CLOSED)
    assert can_rate(end_user, sr) is expected
    if expected:
        rated = request_rate(sr, actor=end_user, score=4, comment="Fast")
        assert (rated.satisfaction_score, rated.version) == (4, 2)
        [event] = _events(rated)
        assert event.ticket_type.model == "servicerequest" and not event.is_public
    else:
        with pytest.raises(TransitionError, match="once it is fulfilled"):
            request_rate(sr, actor=end_user, score=4)
        sr.refresh_from_db()
        assert sr.satisfaction_score is None and sr.version == 1


def test_a_request_closed_after_rejection_cannot_be_rated(make_request, end_user):
    sr = make_request(RequestStatus.CLOSED, fulfilled_at=None)
    assert not can_rate(end_user, sr)
    with pytest.raises(TransitionError):
        request_rate(sr, actor=end_user, score=1)


def test_request_rating_changes_until_closed(make_request, end_user, other_end_user):
    sr = make_request(RequestStatus.FULFILLED)
    with pytest.raises(TransitionError, match="Only the person who asked"):
        request_rate(sr, actor=other_end_user, score=5)
    request_rate(sr, actor=end_user, score=1)
    request_rate(sr, actor=end_user, score=3)
    ServiceRequest.objects.filter(pk=sr.pk).update(status=RequestStatus.CLOSED)
    sr.refresh_from_db()
    with pytest.raises(TransitionError, match="final once closed"):
        request_rate(sr, actor=end_user, score=5)
    sr.refresh_from_db()
    assert sr.satisfaction_score == 3 and sr.version == 3
