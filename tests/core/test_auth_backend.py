"""The signed-in user read with a kept statement (core/auth_backend.py): each session gets its
own user from one compiled statement, sessions signed in before the backend existed keep
working, a refused password is checked once, and Django's own checks still apply."""

from typing import Any
from unittest import mock

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, user_login_failed
from django.contrib.auth.hashers import check_password
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"
KEPT = "core.auth_backend.KeptModelBackend"
LEGACY = "django.contrib.auth.backends.ModelBackend"


def sign_in(username: str, password: str) -> tuple[Client, Any]:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    return client, response


def whoami(client: Client) -> Any:
    """The user a request was read as."""
    return client.get(reverse("core:preferences")).wsgi_request.user


def test_signing_in_names_the_kept_backend_and_each_session_reads_its_own_user() -> None:
    ana, ben = UserFactory(username="ana"), UserFactory(username="ben")
    ana_client, answer = sign_in("ana", PASSWORD)
    assert answer.status_code == 302
    assert ana_client.session[BACKEND_SESSION_KEY] == KEPT
    ben_client, _ = sign_in("ben", PASSWORD)
    assert whoami(ana_client).pk == ana.pk
    assert whoami(ben_client).pk == ben.pk
    assert whoami(ana_client).pk == ana.pk


def test_a_session_signed_in_before_the_kept_backend_still_works() -> None:
    carla = UserFactory(username="carla")
    client = Client()
    client.force_login(carla, backend=LEGACY)
    assert client.session[BACKEND_SESSION_KEY] == LEGACY
    assert whoami(client).pk == carla.pk


def test_a_wrong_password_is_checked_once_and_reported_once() -> None:
    UserFactory(username="dana")
    failures: list[dict[str, Any]] = []

    def failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
        failures.append(credentials)

    user_login_failed.connect(failed)
    try:
        with mock.patch(
            "django.contrib.auth.base_user.check_password", wraps=check_password
        ) as checked:
            client, answer = sign_in("dana", "wrong-password")
    finally:
        user_login_failed.disconnect(failed)
    assert answer.status_code == 200
    assert checked.call_count == 1
    assert len(failures) == 1
    assert not whoami(client).is_authenticated


def test_a_user_deactivated_or_deleted_after_signing_in_is_signed_out() -> None:
    erin = UserFactory(username="erin")
    client, _ = sign_in("erin", PASSWORD)
    assert whoami(client).pk == erin.pk
    erin.is_active = False
    erin.save(update_fields=["is_active"])
    assert not whoami(client).is_authenticated
    frank = UserFactory(username="frank")
    client, _ = sign_in("frank", PASSWORD)
    frank.delete()
    assert not whoami(client).is_authenticated


def test_a_password_change_elsewhere_ends_the_session() -> None:
    gus = UserFactory(username="gus")
    client, _ = sign_in("gus", PASSWORD)
    gus.set_password("another-pw-for-tests-2")
    gus.save(update_fields=["password"])
    assert not whoami(client).is_authenticated


def test_the_user_is_read_with_one_statement() -> None:
    UserFactory(username="hana")
    client, _ = sign_in("hana", PASSWORD)
    whoami(client)
    with CaptureQueriesContext(connection) as captured:
        whoami(client)
    user_reads = [
        q for q in captured.captured_queries if '"core_user"' in q["sql"].split("WHERE")[0]
    ]
    assert len(user_reads) == 1
