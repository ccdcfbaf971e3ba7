"""One error format for every 4xx, and no 500 on bad input."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from incidents.models import Incident

pytestmark = pytest.mark.django_db


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


@pytest.fixture
def agent(client_as, agent_l1):
    return client_as(agent_l1)


def test_field_errors_are_listed_per_field(agent, service):
    response = agent.post(
        "/api/v1/incidents/", {"impact": "enormous", "service": 99999}, format="json"
    )
    error = assert_error(response, 400, "validation_failed")
    assert set(error["fields"]) == {"title", "impact", "service"}
    assert all(isinstance(m, list) and m for m in error["fields"].values())
    assert not Incident.objects.exists()


def test_unknown_fields_are_refused(agent):
    response = agent.post("/api/v1/incidents/", {"title": "x", "priorty": 1}, format="json")
    error = assert_error(response, 400, "validation_failed")
    assert error["fields"] == {"priorty": ["Unknown field."]}


def test_a_body_that_is_not_an_object(agent):
    response = agent.post("/api/v1/incidents/", [1, 2], format="json")
    assert_error(response, 400, "validation_failed")


def test_malformed_json_is_a_parse_error(agent):
    response = agent.post("/api/v1/incidents/", "{nope", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_unsupported_media_type(agent):
    response = agent.post("/api/v1/incidents/", "title=x", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


def test_not_acceptable(agent):
    assert_error(agent.get("/api/v1/incidents/", HTTP_ACCEPT="text/csv"), 406, "not_acceptable")


def test_method_not_allowed(agent):
    assert_error(agent.put("/api/v1/incidents/", {}, format="json"), 405, "method_not_allowed")


def test_unknown_api_paths_are_json_404(agent):
    for path in ("/api/v1/nothing/", "/api/v1/incidents/INC-1/zzz/", "/api/v2/", "/api/x"):
        assert_error(agent.get(path), 404, "not_found")


def test_out_of_scope_and_missing_tickets_are_the_same_404(client_as, end_user, other_end_user):
    from tests.factories import IncidentFactory

    theirs = IncidentFactory(requester=other_end_user)
    client = client_as(end_user)
    hidden = assert_error(client.get(f"/api/v1/incidents/{theirs.number}/"), 404, "not_found")
    missing = assert_error(client.get("/api/v1/incidents/INC-999999/"), 404, "not_found")
    assert hidden["message"].replace(theirs.number, "N") == missing["message"].replace(
        "INC-999999", "N"
    )


def test_transition_error_is_409(agent, end_user):
    from tests.factories import IncidentFactory

    incident = IncidentFactory(requester=end_user, status="closed")
    error = assert_error(
        agent.post(f"/api/v1/incidents/{incident.number}/accept/", {}, format="json"),
        409,
        "transition_not_allowed",
    )
    assert "closed" in error["message"]


def test_domain_validation_error_is_400_with_fields(agent, end_user, service, l1_group):
    from tests.factories import ConfigurationItemFactory, IncidentFactory

    incident = IncidentFactory(requester=end_user, status="logged")
    foreign_ci = ConfigurationItemFactory()  # belongs to another service
    response = agent.post(
        f"/api/v1/incidents/{incident.number}/classify/",
        {
            "category": "software",
            "impact": "low",
            "urgency": "low",
            "service": service.pk,
            "configuration_item": foreign_ci.pk,
        },
        format="json",
    )
    error = assert_error(response, 400, "validation_failed")
    assert "configuration_item" in error["fields"]
    incident.refresh_from_db()
    assert incident.status == "logged"


def test_bad_query_parameters_are_400_not_500(agent):
    for query in (
        "?priority=9",
        "?status=bogus",
        "?assignee=abc",
        "?created_after=yesterday",
        "?cursor=%%%",
        "?cursor=eyJ4IjoxfQ",
        "?page_size=0",
        "?page_size=100000",
        "?ordering=sideways",
    ):
        response = agent.get(f"/api/v1/incidents/{query}")
        assert_error(response, 400, "validation_failed")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100)
def test_oversized_json_body_is_413(agent):
    response = agent.post("/api/v1/incidents/", {"title": "x" * 500}, format="json")
    assert_error(response, 413, "payload_too_large")


def test_throttled_is_429_in_the_error_format(agent, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_user": "2/minute", "api_anon": "2/minute"},
    }
    agent.get("/api/v1/tokens/")
    agent.get("/api/v1/tokens/")
    response = agent.get("/api/v1/tokens/")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_anonymous_is_401_and_forbidden_is_403(client_as, end_user):
    from tests.factories import IncidentFactory

    incident = IncidentFactory(requester=end_user)
    assert_error(APIClient().get("/api/v1/incidents/"), 401, "not_authenticated")
    response = client_as(end_user).post(f"/api/v1/incidents/{incident.number}/accept/")
    assert_error(response, 403, "permission_denied")


BIG = "9" * 30


@pytest.mark.parametrize(
    "query",
    [f"assignee={BIG}", f"service={BIG}", f"requester={BIG}", "q=%00", "created_after=99999-01-01"],
)
def test_hostile_filters_are_400(agent, query):
    assert_error(agent.get(f"/api/v1/incidents/?{query}"), 400, "validation_failed")


@pytest.mark.parametrize(
    "body",
    [
        {"title": "x", "service": BIG},
        {"title": "x", "requester": BIG},
        {"title": "\x00"},
        {"title": ["a"]},
        {"title": {"a": 1}},
        {"title": "x" * 201},
        {"title": "x", "description": None},
        {"title": "x", "configuration_item": -1},
    ],
)
def test_hostile_bodies_are_400_and_store_nothing(agent, body):
    assert_error(agent.post("/api/v1/incidents/", body, format="json"), 400, "validation_failed")
    assert not Incident.objects.exists()
