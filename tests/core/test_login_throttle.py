"""Login throttling per address across user names, per user name across addresses, behind a
configured number of trusted proxies (core/login_throttle.py)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client, RequestFactory, override_settings
from rest_framework.throttling import SimpleRateThrottle

from core.login_throttle import client_address
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def sign_in(username: str, password: str, address: str = "198.51.100.7", **headers: str) -> Any:
    return Client().post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **headers,
    )


def signed_in(response: Any) -> bool:
    return response.status_code == 302


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def test_one_address_guessing_over_many_user_names_is_locked_out(settings: Any, clock: Any) -> None:
    users = [UserFactory(username=f"person{n}") for n in range(10)]
    answers = [
        sign_in(users[attempt % 10].username, f"guess-{attempt}", "203.0.113.9")
        for attempt in range(50)
    ]

    statuses = [response.status_code for response in answers]
    assert 429 in statuses
    assert statuses.index(429) == settings.AXES_FAILURE_LIMIT - 1
    assert set(statuses[settings.AXES_FAILURE_LIMIT :]) == {429}
    # The address stays locked even with a right password; other addresses are not.
    assert sign_in(users[0].username, PASSWORD, "203.0.113.9").status_code == 429
    assert signed_in(sign_in(users[0].username, PASSWORD, "203.0.113.10"))


def test_a_stranger_cannot_lock_the_real_user_out_for_long(settings: Any, clock: Any) -> None:
    UserFactory(username="victim")
    home = "192.0.2.50"
    assert signed_in(sign_in("victim", PASSWORD, home))

    for n in range(10):
        sign_in("victim", f"guess-{n}", f"203.0.113.{n + 1}")

    # From an address they signed in from before, the real user signs in at once.
    assert signed_in(sign_in("victim", PASSWORD, home))
    # From a new address, the user name is paused — for the short cool-off only.
    paused = sign_in("victim", PASSWORD, "192.0.2.99")
    assert paused.status_code == 429
    assert b"from new addresses is paused" in paused.content
    clock.shift(timedelta(minutes=settings.LOGIN_USERNAME_COOLOFF_MINUTES, seconds=1))
    assert signed_in(sign_in("victim", PASSWORD, "192.0.2.99"))


def test_fewer_failures_than_the_user_name_limit_pause_nothing(settings: Any, clock: Any) -> None:
    UserFactory(username="victim")
    for n in range(settings.LOGIN_USERNAME_FAILURE_LIMIT - 1):
        sign_in("victim", f"guess-{n}", f"203.0.113.{n + 1}")

    assert signed_in(sign_in("victim", PASSWORD, "192.0.2.99"))


def test_signing_in_forgives_only_ones_own_failures(settings: Any, clock: Any) -> None:
    """An attacker with an account cannot reset the address's count by signing in."""
    UserFactory(username="attacker")
    UserFactory(username="target")
    address = "203.0.113.9"
    for n in range(settings.AXES_FAILURE_LIMIT - 2):
        sign_in("target", f"guess-{n}", address)
    assert signed_in(sign_in("attacker", PASSWORD, address))

    sign_in("target", "one-more", address)
    assert sign_in("target", "and-another", address).status_code == 429


def test_x_forwarded_for_is_ignored_without_trusted_proxies(settings: Any, clock: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    UserFactory(username="someone")
    answers = [
        sign_in("someone", f"guess-{n}", "203.0.113.9", HTTP_X_FORWARDED_FOR=f"10.9.0.{n}")
        for n in range(settings.AXES_FAILURE_LIMIT)
    ]

    assert answers[-1].status_code == 429


def test_behind_one_proxy_the_forwarded_client_is_throttled_not_the_proxy(
    settings: Any, clock: Any
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_USERNAME_FAILURE_LIMIT = 1000
    proxy = "10.0.0.2"
    UserFactory(username="someone")
    UserFactory(username="bystander")

    # Twenty clients behind the proxy each fail once: nobody is locked out.
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in("someone", "wrong", proxy, HTTP_X_FORWARDED_FOR=f"198.51.100.{n + 1}")
    assert signed_in(sign_in("bystander", PASSWORD, proxy, HTTP_X_FORWARDED_FOR="192.0.2.1"))

    # One client spoofing the left of the header is still itself (the proxy appends on the right).
    answers = [
        sign_in("someone", "wrong", proxy, HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.9")
        for n in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert answers[-1].status_code == 429


@pytest.mark.parametrize("proxies", [0, 1, 2])
def test_the_api_throttle_reads_the_same_client_address(rf: RequestFactory, proxies: int) -> None:
    request = rf.get(
        "/api/v1/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.9, 10.0.0.1"
    )
    rest = {"NUM_PROXIES": proxies}
    with override_settings(TRUSTED_PROXY_COUNT=proxies, REST_FRAMEWORK=rest):
        ours = client_address(request)
        drf = SimpleRateThrottle.get_ident(SimpleRateThrottle.__new__(SimpleRateThrottle), request)

    assert ours == drf == {0: "10.0.0.2", 1: "10.0.0.1", 2: "203.0.113.9"}[proxies]


def test_a_forwarded_value_that_is_not_an_address_falls_back_to_the_connection(
    rf: RequestFactory, settings: Any
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-address")
    assert client_address(request) == "10.0.0.2"
