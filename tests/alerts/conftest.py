"""Fixtures for alert intake: integrations with their secrets, a poster, a frozen clock."""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from core.models import Service, SupportGroup, TimelineEvent
from incidents.alerts.choices import IntegrationKind
from incidents.alerts.models import Integration
from incidents.alerts.services import integration_create
from incidents.models import Incident

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@dataclass
class Hook:
    integration: Integration
    secret: str


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def make_hook(service: Service, l1_group: SupportGroup) -> Callable[..., Hook]:
    counter = iter(range(1, 1000))

    def make(kind: str = IntegrationKind.ALERTMANAGER, **options: Any) -> Hook:
        options.setdefault("service", service)
        integration, secret = integration_create(
            name=options.pop("name", f"Monitoring {next(counter)}"), kind=kind, **options
        )
        return Hook(integration, secret)

    return make


@pytest.fixture
def hook(make_hook: Callable[..., Hook]) -> Hook:
    return make_hook()


Poster = Callable[..., Any]


@pytest.fixture
def post() -> Poster:
    """POST a payload with the secret in the Authorization header (or the URL, via_url=True)."""
    client = Client()

    def send(hook: Hook | str, payload: Any, *, via_url: bool = False, raw: bytes | None = None):  # type: ignore[no-untyped-def]
        secret = hook if isinstance(hook, str) else hook.secret
        body = raw if raw is not None else json.dumps(payload).encode()
        if via_url:
            return client.post(f"/api/v1/alerts/{secret}/", body, content_type="application/json")
        return client.post(
            "/api/v1/alerts/",
            body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {secret}"},
        )

    return send


def timeline(incident: Incident) -> list[TimelineEvent]:
    return list(
        TimelineEvent.objects.filter(
            ticket_type=ContentType.objects.get_for_model(Incident), ticket_id=incident.pk
        ).order_by("id")
    )
