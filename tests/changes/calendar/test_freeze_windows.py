"""Freeze windows: the service's rules, the manager's pages and the API."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from changes.calendar.freeze import freeze_window_save
from changes.models import FreezeWindow
from core.exceptions import ValidationFailed
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

START = datetime(2027, 12, 20, tzinfo=UTC)
LIST = "/agent/changes/freeze-windows/"
API = "/api/v1/change-freeze-windows/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _data(**overrides):
    return {
        "name": "Year-end freeze",
        "reason": "Finance closes the books.",
        "starts_at": START,
        "ends_at": START + timedelta(days=14),
        "services": [],
        **overrides,
    }


def test_a_manager_saves_a_global_then_a_service_window(manager, service):
    window = freeze_window_save(window=None, data=_data(), actor=manager)
    assert (window.name, window.created_by) == ("Year-end freeze", manager)
    assert list(window.services.all()) == []
    freeze_window_save(
        window=window, data=_data(name="Mail freeze", services=[service]), actor=manager
    )
    window.refresh_from_db()
    assert window.name == "Mail freeze" and list(window.services.all()) == [service]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": " "}, "name"),
        ({"name": "a\nb"}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"starts_at": None}, "starts_at"),
        ({"starts_at": datetime(2027, 12, 20)}, "starts_at"),  # naive
        ({"ends_at": START}, "ends_at"),
        ({"ends_at": START - timedelta(hours=1)}, "ends_at"),
        ({"services": "Email"}, "services"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(manager, overrides, field):
    with pytest.raises(ValidationFailed) as caught:
        freeze_window_save(window=None, data=_data(**overrides), actor=manager)
    assert field in caught.value.errors
    assert not FreezeWindow.objects.exists()


def test_a_retired_service_is_not_frozen_anew(manager, service):
    retired = ServiceFactory(name="Fax", is_active=False)
    with pytest.raises(ValidationFailed):
        freeze_window_save(window=None, data=_data(services=[retired]), actor=manager)
    window = freeze_window_save(window=None, data=_data(services=[service]), actor=manager)
    service.is_active = False
    service.save()
    freeze_window_save(window=window, data=_data(name="Kept", services=[service]), actor=manager)
    assert FreezeWindow.objects.get().name == "Kept"


def test_agents_cannot_write_freeze_windows(agent_l1):
    with pytest.raises(PermissionDenied):
        freeze_window_save(window=None, data=_data(), actor=agent_l1)
    assert not FreezeWindow.objects.exists()


# --- Pages ----------------------------------------------------------------------------------


def _form(**overrides):
    return {
        "name": "Year-end freeze",
        "reason": "",
        "starts_at": "2027-12-20T00:00",
        "ends_at": "2028-01-03T00:00",
        **overrides,
    }


def test_the_manager_adds_edits_and_deletes_a_window_through_the_pages(
    client_for, manager, service
):
    client = client_for(manager)
    assert client.get(f"{LIST}new/").status_code == 200
    response = client.post(f"{LIST}new/", _form(services=[service.pk]))
    assert response.status_code == 302 and response["Location"] == LIST
    window = FreezeWindow.objects.get()
    assert window.starts_at == START and list(window.services.all()) == [service]

    page = client.get(f"{LIST}{window.pk}/edit/").content.decode()
    assert 'value="2027-12-20T00:00"' in page
    client.post(f"{LIST}{window.pk}/edit/", _form(name="Renamed"))
    window.refresh_from_db()
    assert window.name == "Renamed" and not window.services.exists()

    listing = client.get(LIST).content.decode()
    assert "Renamed" in listing and "All services" in listing
    assert "Delete the freeze window" in client.get(f"{LIST}{window.pk}/delete/").content.decode()
    assert client.post(f"{LIST}{window.pk}/delete/").status_code == 302
    assert not FreezeWindow.objects.exists()


def test_an_end_before_the_start_is_shown_on_the_field_and_nothing_is_stored(client_for, manager):
    response = client_for(manager).post(f"{LIST}new/", _form(ends_at="2027-12-19T00:00"))
    assert response.status_code == 400
    assert "The freeze window must end after it starts." in response.content.decode()
    assert not FreezeWindow.objects.exists()


def test_agents_read_the_list_but_change_nothing(client_for, agent_l1, manager):
    window = freeze_window_save(window=None, data=_data(), actor=manager)
    client = client_for(agent_l1)
    page = client.get(LIST).content.decode()
    assert "Year-end freeze" in page and "New freeze window" not in page
    assert client.get(f"{LIST}new/").status_code == 403
    assert client.post(f"{LIST}new/", _form()).status_code == 403
    assert client.post(f"{LIST}{window.pk}/delete/").status_code == 403
    assert FreezeWindow.objects.count() == 1


def test_the_list_page_takes_constant_queries(client_for, manager, service):
    client = client_for(manager)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST).status_code == 200
        return len(captured.captured_queries)

    freeze_window_save(window=None, data=_data(services=[service]), actor=manager)
    client.get(LIST)
    one = count()
    for n in range(20):
        freeze_window_save(
            window=None,
            data=_data(name=f"W{n}", starts_at=START - timedelta(days=n), services=[service]),
            actor=manager,
        )
    assert count() == one


# --- API ------------------------------------------------------------------------------------


def test_agents_list_and_managers_write_through_the_api(agent_l1, manager, service, database):
    body = {
        "name": "Mail freeze",
        "starts_at": "2027-12-20T00:00:00Z",
        "ends_at": "2027-12-21T00:00:00Z",
        "services": [service.pk],
    }
    assert api(agent_l1).post(API, body, format="json").status_code == 403
    created = api(manager).post(API, body, format="json")
    assert created.status_code == 201
    assert created.json()["services"] == [service.pk]
    pk = created.json()["id"]

    changed = api(manager).patch(f"{API}{pk}/", {"services": []}, format="json")
    assert changed.status_code == 200 and changed.json()["services"] == []
    assert changed.json()["name"] == "Mail freeze"

    listed = api(agent_l1).get(API, {"service": database.pk}).json()["results"]
    assert [w["id"] for w in listed] == [pk]  # a global window freezes every service
    assert api(manager).delete(f"{API}{pk}/").status_code == 204
    assert not FreezeWindow.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"name": "X", "starts_at": "2027-12-21T00:00:00Z", "ends_at": "2027-12-20T00:00:00Z"},
        {"name": "X", "starts_at": "tomorrow", "ends_at": "2027-12-20T00:00:00Z"},
        {"name": "", "starts_at": "2027-12-20T00:00:00Z", "ends_at": "2027-12-21T00:00:00Z"},
        {
            "name": "X",
            "starts_at": "2027-12-20T00:00:00Z",
            "ends_at": "2027-12-21T00:00:00Z",
            "services": [999999],
        },
        {
            "name": "X",
            "starts_at": "2027-12-20T00:00:00Z",
            "ends_at": "2027-12-21T00:00:00Z",
            "colour": "red",
        },
    ],
)
def test_bad_api_input_is_a_400_and_stores_nothing(manager, body):
    response = api(manager).post(API, body, format="json")
    assert response.status_code == 400
    assert not FreezeWindow.objects.exists()


def test_a_bad_patch_changes_nothing(manager):
    window = freeze_window_save(window=None, data=_data(), actor=manager)
    response = api(manager).patch(
        f"{API}{window.pk}/", {"ends_at": "2027-12-01T00:00:00Z"}, format="json"
    )
    assert response.status_code == 400
    window.refresh_from_db()
    assert window.ends_at == START + timedelta(days=14)


def test_the_api_list_takes_constant_queries(agent_l1, manager, service):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api(agent_l1).get(API).status_code == 200
        return len(captured.captured_queries)

    freeze_window_save(window=None, data=_data(services=[service]), actor=manager)
    count()  # the first request reads the agent's roles (then memoised)
    one = count()
    for n in range(20):
        freeze_window_save(window=None, data=_data(name=f"W{n}", services=[service]), actor=manager)
    assert count() == one


def test_end_users_are_refused(end_user, client_for):
    assert api(end_user).get(API).status_code == 403
    assert client_for(end_user).get(LIST).status_code == 404
