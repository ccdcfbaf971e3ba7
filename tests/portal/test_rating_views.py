"""The rating form on the portal pages, and the agents' rating card (`{% satisfaction_card %}`)."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from core.templatetags.servicedesk import satisfaction_card
from incidents.choices import IncidentStatus
from service_requests.choices import RequestStatus

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_resolved_incident_page_asks_for_a_rating(client_for, end_user, make_incident):
    incident = make_incident(IncidentStatus.RESOLVED)
    body = (
        client_for(end_user)
        .get(reverse("incidents:portal_detail", args=[incident.number]))
        .content.decode()
    )
    assert "How did we do?" in body
    assert 'action="' + reverse("incidents:portal_rate", args=[incident.number]) + '"' in body
    for index in range(5):
        assert f'id="id_rating-score_{index}"' in body
    assert 'id="id_rating-comment"' in body and 'id="rating-submit"' in body
    assert "Excellent" in body and "Very poor" in body
    assert "You can reopen it until" in body


def test_open_incident_page_has_no_rating_form(client_for, end_user, make_incident):
    incident = make_incident(IncidentStatus.CLASSIFIED)
    body = (
        client_for(end_user)
        .get(reverse("incidents:portal_detail", args=[incident.number]))
        .content.decode()
    )
    assert "How did we do?" not in body and "rating-form" not in body


def test_posting_a_rating(client_for, end_user, make_incident):
    incident = make_incident(IncidentStatus.RESOLVED)
    client = client_for(end_user)
    url = reverse("incidents:portal_rate", args=[incident.number])
    response = client.post(url, {"rating-score": "4", "rating-comment": "Nice <b>work</b>"})
    assert response.status_code == 302
    assert "Thank you for your rating" in _messages(response)[0]
    incident.refresh_from_db()
    assert incident.satisfaction_score == 4
    body = client.get(reverse("incidents:portal_detail", args=[incident.number])).content.decode()
    assert "Your rating" in body and "4 of 5" in body and "Good" in body
    assert "Nice &lt;b&gt;work&lt;/b&gt;" in body
    assert "Change your rating" in body


def test_bad_score_shows_the_error_and_saves_nothing(client_for, end_user, make_incident):
    incident = make_incident(IncidentStatus.RESOLVED)
    response = client_for(end_user).post(
        reverse("incidents:portal_rate", args=[incident.number]), {"rating-score": "9"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "has-error" in body and "Choose from 1 (very poor) to 5 (excellent) stars." in body
    incident.refresh_from_db()
    assert incident.satisfaction_score is None


def test_refused_rating_is_a_message(client_for, end_user, make_incident):
    incident = make_incident(IncidentStatus.CLASSIFIED)
    response = client_for(end_user).post(
        reverse("incidents:portal_rate", args=[incident.number]), {"rating-score": "5"}
    )
    assert response.status_code == 302
    assert "once it is resolved" in _messages(response)[0]
    incident.refresh_from_db()
    assert incident.satisfaction_score is None


def test_someone_elses_ticket_is_404(client_for, other_end_user, make_incident, make_request):
    incident = make_incident(IncidentStatus.RESOLVED)
    sr = make_request(RequestStatus.FULFILLED)
    client = client_for(other_end_user)
    assert (
        client.post(
            reverse("incidents:portal_rate", args=[incident.number]), {"rating-score": "1"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("requests:portal_rate", args=[sr.number]), {"rating-score": "1"}
        ).status_code
        == 404
    )
    assert client.get(reverse("incidents:portal_rate", args=[incident.number])).status_code in (
        404,
        405,
    )
    incident.refresh_from_db()
    sr.refresh_from_db()
    assert incident.satisfaction_score is None and sr.satisfaction_score is None


def test_rating_a_fulfilled_request(client_for, end_user, make_request):
    sr = make_request(RequestStatus.FULFILLED)
    client = client_for(end_user)
    page = client.get(reverse("requests:portal_detail", args=[sr.number])).content.decode()
    assert "How did we do?" in page and 'id="confirm-fulfilled"' in page
    response = client.post(
        reverse("requests:portal_rate", args=[sr.number]),
        {"rating-score": "5", "rating-comment": "Done in an hour"},
    )
    assert response.status_code == 302
    sr.refresh_from_db()
    assert (sr.satisfaction_score, sr.satisfaction_comment) == (5, "Done in an hour")


def test_closed_and_rated_request_shows_the_rating_without_a_form(
    client_for, end_user, make_request
):
    sr = make_request(RequestStatus.CLOSED, satisfaction_score=2, satisfaction_comment="Slow")
    body = (
        client_for(end_user)
        .get(reverse("requests:portal_detail", args=[sr.number]))
        .content.decode()
    )
    assert "2 of 5" in body and "Slow" in body
    assert "rating-form" not in body and "Change your rating" not in body


def test_agent_include_shows_the_rating(make_incident, make_request, end_user):
    incident = make_incident(
        IncidentStatus.CLOSED, satisfaction_score=2, satisfaction_comment="<script>x</script>"
    )
    html = satisfaction_card(incident)
    assert "2 of 5" in html and "Poor" in html and "★★☆☆☆" in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert end_user.display_name in html
    unrated = make_request(RequestStatus.FULFILLED)
    assert "Not rated yet" in satisfaction_card(unrated)
    open_one = make_incident(IncidentStatus.CLASSIFIED)
    assert satisfaction_card(open_one).strip() == ""
