"""An end user cannot learn whether a user name, email or user id exists: the user picker keeps
their answer as written (never looked up) and naming another requester is refused with one
answer whoever it names. Agents keep the lookup."""

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from core.models import User
from incidents.models import Incident
from service_requests.models import CatalogItem, ServiceRequest

pytestmark = pytest.mark.django_db

BASE = {
    "title_text": "Desk",
    "notes": "Near the window",
    "seats": 2,
    "size": "Small",
    "start": "2030-02-01",
    "urgent": False,
}


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _request_for(client: APIClient, colleague: Any) -> Any:
    return client.post(
        "/api/v1/requests/",
        {"catalog_item": "every-type", "answers": {**BASE, "colleague": colleague}},
        format="json",
    )


def test_an_end_user_gets_the_same_answer_for_a_real_and_an_unknown_colleague(
    end_user: User, other_end_user: User, every_type: CatalogItem
) -> None:
    client = _api(end_user)
    answers = {
        typed: _request_for(client, typed)
        for typed in (
            other_end_user.username,
            other_end_user.email,
            "nobody-here",
            "nobody@example.com",
        )
    }

    assert {response.status_code for response in answers.values()} == {201}
    for typed, response in answers.items():
        assert response.json()["answers"]["colleague"] == typed
    assert ServiceRequest.objects.count() == 4


def test_an_end_user_naming_a_colleague_by_id_learns_nothing(
    end_user: User, other_end_user: User, every_type: CatalogItem
) -> None:
    client = _api(end_user)
    real = _request_for(client, other_end_user.pk)
    unknown = _request_for(client, 999_999)

    assert real.status_code == unknown.status_code == 201
    assert real.json()["answers"]["colleague"] == str(other_end_user.pk)
    assert unknown.json()["answers"]["colleague"] == "999999"


def test_the_portal_form_answers_alike_and_shows_what_was_written(
    end_user: User, other_end_user: User, every_type: CatalogItem
) -> None:
    client = Client()
    client.force_login(end_user)
    url = reverse("requests:catalog_item", args=[every_type.slug])
    form = {**BASE, "urgent": "no", "seats": "2"}

    for typed in (other_end_user.username, "nobody-here"):
        response = client.post(url, {**form, "colleague": typed})
        assert response.status_code == 302, typed
        page = client.get(response["Location"]).content.decode()
        assert typed in page
        assert other_end_user.display_name not in page


def test_an_agent_still_picks_a_person(
    agent_l1: User, end_user: User, other_end_user: User, every_type: CatalogItem
) -> None:
    client = _api(agent_l1)
    known = client.post(
        "/api/v1/requests/",
        {
            "catalog_item": "every-type",
            "requester": end_user.pk,
            "answers": {**BASE, "colleague": other_end_user.email},
        },
        format="json",
    )
    unknown = _request_for(client, "nobody-here")

    assert known.status_code == 201, known.content
    assert known.json()["answers"]["colleague"] == other_end_user.pk
    assert unknown.status_code == 400
    assert "answers.colleague" in unknown.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/requests/", {"catalog_item": "every-type", "answers": BASE}),
        ("/api/v1/incidents/", {"title": "Printer on fire", "description": "Smoke."}),
    ],
)
def test_naming_another_requester_is_one_refusal_whoever_it_names(
    end_user: User,
    other_end_user: User,
    every_type: CatalogItem,
    service: Any,
    path: str,
    body: dict[str, Any],
) -> None:
    client = _api(end_user)
    answers = [
        client.post(
            path, json.dumps({**body, "requester": requester}), content_type="application/json"
        )
        for requester in (other_end_user.pk, 999_999, "not-an-id")
    ]

    assert {response.status_code for response in answers} == {403}
    assert len({response.json()["error"]["message"] for response in answers}) == 1
    assert not ServiceRequest.objects.exists()
    assert not Incident.objects.exists()
