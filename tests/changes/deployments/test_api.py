"""POST /api/v1/deployments/: a report becomes an implemented standard change, once per
idempotency key; bad input is a 400 naming the field and stores nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from changes.choices import ChangeStatus, ChangeType
from changes.models import Change, Deployment
from core.choices import EventKind, Source
from core.models import TimelineEvent
from tests.changes.deployments.conftest import URL
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def test_a_report_is_recorded_as_an_implemented_standard_change(ci, payload, service, ci_user):
    body = payload()
    response = ci.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    deployment = Deployment.objects.get()
    change = deployment.change
    assert data["change"] == change.number and change.number.startswith("CHG-")
    assert data["service"] == {"id": service.pk, "name": service.name}
    assert data["lead_time_seconds"] == 3 * 3600
    assert change.status == ChangeStatus.IMPLEMENTED
    assert change.change_type == ChangeType.STANDARD
    assert change.title == f"Deploy {service.name} 2.4.1"
    assert change.implementing_at == change.implemented_at == deployment.deployed_at
    assert change.service == service and change.support_group == service.owner_group
    assert change.requester == ci_user and change.source == Source.API
    assert change.scheduled_at == deployment.deployed_at
    assert change.planned_start == deployment.deployed_at < change.planned_end
    events = list(TimelineEvent.objects.filter(ticket_id=change.pk).order_by("id"))
    assert [e.kind for e in events] == [EventKind.CREATED] + [EventKind.STATUS_CHANGED] * 3
    # The standard change's walk of the lifecycle table, every step a legal pair.
    moves = [(e.from_status, e.to_status) for e in events]
    assert moves == [
        ("", ChangeStatus.DRAFT),
        (ChangeStatus.DRAFT, ChangeStatus.SCHEDULED),
        (ChangeStatus.SCHEDULED, ChangeStatus.IMPLEMENTING),
        (ChangeStatus.IMPLEMENTING, ChangeStatus.IMPLEMENTED),
    ]
    assert all(source == "api" for source in (e.source for e in events))
    assert "CI/CD" in events[0].message and "CI/CD" in events[-1].message
    assert change.version == 4


def test_the_same_key_again_returns_the_first_deployment_and_changes_nothing(ci, payload):
    first = ci.post(URL, payload(), format="json")
    again = ci.post(URL, payload(), format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Change.objects.count() == 1 and Deployment.objects.count() == 1
    assert TimelineEvent.objects.count() == 4


def test_the_key_may_come_as_the_header(ci, payload):
    body = payload(idempotency_key=None)
    first = ci.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="pipeline-7-abc")
    again = ci.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="pipeline-7-abc")
    assert (first.status_code, again.status_code) == (201, 200)
    assert Deployment.objects.get().idempotency_key == "pipeline-7-abc"


def test_body_and_header_naming_different_keys_is_refused(ci, payload):
    response = ci.post(URL, payload(), format="json", HTTP_IDEMPOTENCY_KEY="other")
    assert response.status_code == 400
    assert "idempotency_key" in response.json()["error"]["fields"]
    assert not Change.objects.exists()


def test_a_key_reused_for_another_report_is_a_422_and_changes_nothing(ci, payload):
    ci.post(URL, payload(), format="json")
    response = ci.post(URL, payload(version="2.4.2"), format="json")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "idempotency_key_reused"
    assert "version" in error["message"]
    assert Deployment.objects.get().version == "2.4.1"
    assert Change.objects.count() == 1


def test_the_service_may_be_named_by_id(ci, payload, service):
    response = ci.post(URL, payload(service=service.pk), format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"service": "No such service"}, "service"),
        ({"service": 999999}, "service"),
        ({"version": ""}, "version"),
        ({"version": "v" * 121}, "version"),
        ({"version": "1.0\nInjected"}, "version"),
        ({"deployed_at": "yesterday"}, "deployed_at"),
        ({"deployed_at": None}, "deployed_at"),
        ({"environment": "prod env"}, "environment"),
        ({"commit_sha": "not-a-sha"}, "commit_sha"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "ftp://ci.example.com/x"}, "url"),
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"idempotency_key": "has space"}, "idempotency_key"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(ci, payload, overrides, field):
    response = ci.post(URL, payload(**overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not Change.objects.exists() and not TimelineEvent.objects.exists()


def test_a_deployment_in_the_future_is_refused(ci, payload):
    future = timezone.now() + timedelta(minutes=30)
    response = ci.post(URL, payload(deployed_at=future.isoformat()), format="json")
    assert response.status_code == 400
    assert "deployed_at" in response.json()["error"]["fields"]


def test_a_little_clock_skew_is_accepted(ci, payload):
    soon = timezone.now() + timedelta(minutes=2)
    response = ci.post(
        URL,
        payload(deployed_at=soon.isoformat(), committed_at=timezone.now().isoformat()),
        format="json",
    )
    assert response.status_code == 201


def test_a_commit_after_its_deployment_is_refused(ci, payload):
    now = timezone.now()
    response = ci.post(
        URL,
        payload(
            deployed_at=(now - timedelta(hours=1)).isoformat(),
            committed_at=now.isoformat(),
        ),
        format="json",
    )
    assert response.status_code == 400
    assert "committed_at" in response.json()["error"]["fields"]


def test_a_retired_service_is_refused(ci, payload):
    retired = ServiceFactory(name="Legacy", is_active=False)
    response = ci.post(URL, payload(service=retired.name), format="json")
    assert response.status_code == 400
    assert not Change.objects.exists()


def test_environment_is_lower_cased_and_defaults_to_production(ci, payload):
    ci.post(URL, payload(idempotency_key="a", environment=None), format="json")
    ci.post(URL, payload(idempotency_key="b", environment="Staging"), format="json")
    assert sorted(Deployment.objects.values_list("environment", flat=True)) == [
        "production",
        "staging",
    ]
