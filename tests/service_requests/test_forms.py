"""Form-field validation: each field type accepts good values (stored typed) and gives a
field-level error for bad ones, and a bad submission stores nothing, through the service and
through the portal page alike."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.exceptions import ValidationFailed
from core.models import OutboxMessage, TimelineEvent
from service_requests import services
from service_requests.choices import FieldType
from service_requests.models import CatalogField, ServiceRequest
from sla.models import SlaClock

pytestmark = pytest.mark.django_db


@pytest.fixture
def good(other_end_user):
    return {
        "title_text": "Project X",
        "notes": "Some\nlines",
        "seats": "3",
        "size": "Large",
        "start": "2030-02-01",
        "urgent": "yes",
        "colleague": other_end_user.username,
    }


def test_good_answers_are_stored_typed(end_user, agent_l1, every_type, good, other_end_user):
    """An agent's user-picker answer is looked up and stored as the person's id."""
    request = services.request_create(
        requester=end_user, actor=agent_l1, item=every_type, answers=good
    )
    assert request.answers == {
        "title_text": "Project X",
        "notes": "Some\nlines",
        "seats": 3,
        "size": "Large",
        "start": "2030-02-01",
        "urgent": True,
        "colleague": other_end_user.pk,
    }


def test_json_values_are_accepted_too(end_user, agent_l1, every_type, good, other_end_user):
    answers = {**good, "seats": 2.5, "urgent": False, "colleague": other_end_user.email.upper()}
    request = services.request_create(
        requester=end_user, actor=agent_l1, item=every_type, answers=answers
    )
    assert request.answers["seats"] == 2.5
    assert request.answers["urgent"] is False
    assert request.answers["colleague"] == other_end_user.pk


@pytest.mark.parametrize(
    ("key", "bad", "message"),
    [
        ("title_text", "", "required"),
        ("title_text", "x" * 501, "at most 500"),
        ("notes", "", "required"),
        ("seats", "three", "Enter a number"),
        ("seats", "0", "greater than or equal to 1."),
        ("seats", "11", "less than or equal to 10."),
        ("size", "Medium", "Select a valid choice"),
        ("start", "31/02/2030", "Enter a valid date"),
        ("start", "2030-02-30", "Enter a valid date"),
        ("urgent", "maybe", "Select a valid choice"),
        ("urgent", "", "required"),
        ("colleague", "nobody-here", "No active user"),
    ],
)
def test_bad_values_give_field_errors_and_store_nothing(
    end_user, agent_l1, every_type, good, key, bad, message
):
    with pytest.raises(ValidationFailed) as exc:
        services.request_create(
            requester=end_user, actor=agent_l1, item=every_type, answers={**good, key: bad}
        )
    assert list(exc.value.errors) == [key]
    assert message in exc.value.errors[key]
    assert not ServiceRequest.objects.exists()
    assert not TimelineEvent.objects.exists()
    assert not OutboxMessage.objects.exists()
    assert not SlaClock.objects.exists()


def test_every_bad_field_is_reported_at_once(end_user, every_type):
    with pytest.raises(ValidationFailed) as exc:
        services.request_create(requester=end_user, item=every_type, answers={})
    assert set(exc.value.errors) == {
        "title_text",
        "notes",
        "seats",
        "size",
        "start",
        "urgent",
        "colleague",
    }


def test_inactive_users_cannot_be_picked(end_user, agent_l1, every_type, good, other_end_user):
    other_end_user.is_active = False
    other_end_user.save()
    with pytest.raises(ValidationFailed) as exc:
        services.request_create(requester=end_user, actor=agent_l1, item=every_type, answers=good)
    assert "colleague" in exc.value.errors


def test_optional_fields_may_be_left_empty(requester, vpn):
    request = services.request_create(requester=requester, item=vpn, answers={"reason": ""})
    assert request.answers == {}


def test_portal_form_shows_field_errors_and_stores_nothing(client_for, end_user, every_type, good):
    url = reverse("requests:catalog_item", args=[every_type.slug])
    response = client_for(end_user).post(url, {**good, "seats": "lots", "start": "soon"})
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"seats", "start"}
    body = response.content.decode()
    assert 'aria-invalid="true"' in body and "Enter a number." in body
    assert not ServiceRequest.objects.exists()


def test_portal_form_submits(client_for, end_user, every_type, good):
    url = reverse("requests:catalog_item", args=[every_type.slug])
    response = client_for(end_user).post(url, {**good, "details": "Thanks"})
    request = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("requests:portal_detail", args=[request.number])
    assert request.answers["seats"] == 3 and request.description == "Thanks"


def test_portal_form_renders_one_widget_per_type(client_for, end_user, every_type):
    body = client_for(end_user).get(reverse("requests:catalog_item", args=["every-type"]))
    html = body.content.decode()
    assert 'type="date"' in html and 'type="number"' in html and 'type="radio"' in html
    assert "<textarea" in html and "<select" in html and 'name="colleague"' in html


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"key": "Bad Key"}, "key"),
        ({"key": "details"}, "key"),
        ({"field_type": FieldType.CHOICE, "choices": "only one"}, "choices"),
        ({"field_type": FieldType.TEXT, "choices": "a\nb"}, "choices"),
        ({"field_type": FieldType.TEXT, "min_value": 1}, "min_value"),
        ({"field_type": FieldType.NUMBER, "min_value": 5, "max_value": 1}, "max_value"),
    ],
)
def test_admin_field_definitions_are_validated(every_type, changes, field):
    spec = CatalogField(item=every_type, key="ok", label="Ok", field_type=FieldType.TEXT)
    for name, value in changes.items():
        setattr(spec, name, value)
    with pytest.raises(ValidationError) as exc:
        spec.clean()
    assert field in exc.value.message_dict
