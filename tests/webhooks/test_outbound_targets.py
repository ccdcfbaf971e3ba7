"""Outbound webhook targets: only public addresses, checked when saved and at every delivery,
and the connection goes to the address that was checked (DNS rebinding cannot move it)."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from django.urls import reverse

from core.exceptions import ValidationFailed
from core.models import OutboxStatus, User
from core.webhooks import outbound
from core.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from core.webhooks.services import webhook_send_test, webhook_subscription_create
from tests.webhooks.conftest import Receiver, run_queued, webhook_messages

PUBLIC = "93.184.216.34"

REFUSED = [
    ("http://[ff02::1]/hook", "multicast"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://127.0.0.1:8080/hook", "loopback"),
    ("http://[::1]:8080/hook", "loopback"),
    ("http://10.0.0.1/hook", "private"),
    ("http://192.168.1.20/hook", "private"),
    ("http://[fd00::1]/hook", "private"),
    ("http://[::ffff:127.0.0.1]/hook", "loopback"),
    ("http://[::ffff:169.254.169.254]/hook", "link-local"),
    ("http://0.0.0.0/hook", "unspecified"),
    ("http://224.0.0.1/hook", "multicast"),
    ("http://240.0.0.1/hook", "reserved"),
    ("http://100.64.0.1/hook", "not a public address"),
    ("http://localhost:22/hook", "port 22"),
    ("https://hooks.example.com:25/hook", "port 25"),
    ("ftp://hooks.example.com/hook", "http:// or https://"),
]


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[list[str]]]:
    """A fake resolver: each name answers its lists in turn (the last one repeats)."""
    answers: dict[str, list[list[str]]] = {"localhost": [["127.0.0.1"]]}

    def resolve(host: str, port: int) -> list[str]:
        queue = answers.get(host)
        if not queue:
            raise outbound.TargetUnresolved(f"{host} could not be resolved")
        return queue.pop(0) if len(queue) > 1 else queue[0]

    monkeypatch.setattr(outbound, "resolve", resolve)
    return answers


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    """Every request that would leave the process, answered 200 without a network."""
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, text="internal secret answer")

    monkeypatch.setattr(outbound, "transport", httpx.MockTransport(answer))
    return sent


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_each_refused_target_is_a_field_error_and_nothing_is_stored(
    dns: Any, admin_user: User, url: str, reason: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        webhook_subscription_create(
            name="Internal", url=url, event_types=["incident.created"], created_by=admin_user
        )
    assert reason in refused.value.errors["url"]
    assert not WebhookSubscription.objects.exists()


def test_a_name_that_resolves_inside_is_refused_when_saved(dns: Any, admin_user: User) -> None:
    dns["intranet.example.com"] = [[PUBLIC, "10.1.2.3"]]  # any private answer refuses
    with pytest.raises(ValidationFailed) as refused:
        webhook_subscription_create(
            name="Intranet",
            url="https://intranet.example.com/hook",
            event_types=["incident.created"],
            created_by=admin_user,
        )
    assert "intranet.example.com resolves to 10.1.2.3" in refused.value.errors["url"]


def test_admin_form_refuses_an_internal_url(client_for, admin_user: User, dns: Any) -> None:
    response = client_for(admin_user).post(
        reverse("admin:webhooks_webhooksubscription_add"),
        {
            "name": "Metadata",
            "url": "http://169.254.169.254/latest/meta-data/",
            "event_types": ["incident.created"],
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "This URL cannot be called: 169.254.169.254 is a link-local address" in (
        response.content.decode()
    )
    assert not WebhookSubscription.objects.exists()


def test_group_chat_webhook_is_checked_in_the_admin(client_for, admin_user: User) -> None:
    response = client_for(admin_user).post(
        reverse("admin:core_supportgroup_add"),
        {
            "name": "Ops",
            "tier": "1",
            "webhook_url": "http://127.0.0.1:9000/chat",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "is a loopback address" in response.content.decode()


def test_the_setting_allows_private_targets(settings: Any, admin_user: User) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    subscription, _ = webhook_subscription_create(
        name="On premise",
        url="http://10.0.0.1:8080/hook",
        event_types=["incident.created"],
        created_by=admin_user,
    )
    assert subscription.url == "http://10.0.0.1:8080/hook"


def _subscription_stored_as(url: str) -> WebhookSubscription:
    """A subscription as an older version (or a later DNS change) left it: no check on save."""
    return WebhookSubscription.objects.create(
        name="Stored", url=url, event_types=["incident.created"], secret="s" * 40
    )


def test_delivery_to_a_private_target_is_refused_without_a_connection_or_retry(
    receiver: Receiver, settings: Any, admin_user: User
) -> None:
    subscription = _subscription_stored_as(receiver.url)  # a real server on 127.0.0.1
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    webhook_send_test(subscription=subscription, actor=admin_user)
    run_queued()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 1
    assert delivery.last_error.startswith("Refused, no connection made: 127.0.0.1 is a loopback")
    assert receiver.received == []  # no connection
    assert "ok" not in delivery.last_error  # nothing of the internal answer in the log
    assert not webhook_messages().filter(status=OutboxStatus.PENDING).exists()


def test_rebinding_cannot_move_the_connection_to_an_internal_address(
    dns: Any, wire: list[httpx.Request], admin_user: User
) -> None:
    # Public when checked on save and at delivery, then 127.0.0.1 for any later look-up.
    dns["rebind.example.com"] = [[PUBLIC], [PUBLIC], ["127.0.0.1"]]
    subscription, _ = webhook_subscription_create(
        name="Rebinding",
        url="https://rebind.example.com:8443/hook?x=1",
        event_types=["incident.created"],
        created_by=admin_user,
    )
    webhook_send_test(subscription=subscription, actor=admin_user)
    run_queued()
    [request] = wire
    assert request.url.host == PUBLIC  # connected to the address that was checked
    assert request.url.port == 8443
    assert request.url.raw_path == b"/hook?x=1"
    assert request.headers["Host"] == "rebind.example.com:8443"
    assert request.extensions["sni_hostname"] == "rebind.example.com"  # TLS name and SNI
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SUCCEEDED


def test_a_name_that_turns_internal_before_delivery_is_refused_then(
    dns: Any, wire: list[httpx.Request], admin_user: User
) -> None:
    dns["turns.example.com"] = [[PUBLIC], ["169.254.169.254"]]
    subscription, _ = webhook_subscription_create(
        name="Turns",
        url="http://turns.example.com/hook",
        event_types=["incident.created"],
        created_by=admin_user,
    )
    webhook_send_test(subscription=subscription, actor=admin_user)
    run_queued()
    delivery = WebhookDelivery.objects.get()
    assert wire == []
    assert delivery.status == DeliveryStatus.FAILED
    assert "resolves to 169.254.169.254, which is a link-local address" in delivery.last_error
    assert "internal secret answer" not in delivery.last_error


def test_a_name_that_does_not_resolve_is_retried(
    dns: Any, wire: list[httpx.Request], admin_user: User
) -> None:
    subscription, _ = webhook_subscription_create(
        name="Not yet in DNS",
        url="https://soon.example.com/hook",
        event_types=["incident.created"],
        created_by=admin_user,
    )
    webhook_send_test(subscription=subscription, actor=admin_user)
    run_queued()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error.startswith("TargetUnresolved")
    assert webhook_messages().filter(status=OutboxStatus.PENDING).count() == 1


def test_plain_http_to_a_name_sends_no_sni(
    dns: Any, wire: list[httpx.Request], admin_user: User
) -> None:
    dns["plain.example.com"] = [[PUBLIC]]
    target = outbound.target_check("http://plain.example.com/hook")
    assert (str(target.url), target.host_header, target.sni_hostname) == (
        f"http://{PUBLIC}/hook",
        "plain.example.com",
        None,
    )


MakeSub = Callable[..., WebhookSubscription]


def test_deliveries_reuse_one_client_per_host_name(
    dns: Any, wire: list[httpx.Request], settings: Any
) -> None:
    """A client per POST (its TLS context loads the CA bundle) capped a worker at ~10 deliveries
    a second; one per host name keeps TLS connections from carrying another name's traffic."""
    dns["a.example.com"] = [[PUBLIC]]
    dns["b.example.com"] = [[PUBLIC]]
    for url in ("https://a.example.com/1", "https://a.example.com/2", "https://b.example.com/1"):
        with outbound.outbound_post(url, content=b"{}", headers={}, timeout=2) as response:
            assert response.status_code == 200
    assert [request.headers["Host"] for request in wire] == [
        "a.example.com",
        "a.example.com",
        "b.example.com",
    ]
    assert outbound._client_for("a.example.com") is outbound._client_for("a.example.com")
    assert outbound._client_for("a.example.com") is not outbound._client_for("b.example.com")
