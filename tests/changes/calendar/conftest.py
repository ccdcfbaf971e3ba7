"""Fixtures of the change-calendar tests: a `make_change` that stores a change in a given status
and window (opened through the kernel, then moved by the ORM: these tests are about the
calendar, not the lifecycle), and services and CIs to share."""

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from changes.choices import ChangeStatus, ChangeType
from changes.models import Change, FreezeWindow
from core.choices import Source
from core.models import ConfigurationItem, Service, User
from core.tickets.opening import ticket_open
from tests.factories import ConfigurationItemFactory, ServiceFactory

# A Monday in a month with no freeze of its own.
T0 = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)

MakeChange = Callable[..., Change]


@pytest.fixture
def database(service: Service) -> Service:
    return ServiceFactory(name="Database", owner_group=service.owner_group)


@pytest.fixture
def mail_server(service: Service) -> ConfigurationItem:
    return ConfigurationItemFactory(service=service, name="mail-01")


@pytest.fixture
def make_change(agent_l1: User) -> MakeChange:
    def make(
        title: str = "Upgrade",
        *,
        start: datetime = T0,
        hours: float = 2,
        status: str = ChangeStatus.SCHEDULED,
        service: Service | None = None,
        services: Iterable[Service] = (),
        item: ConfigurationItem | None = None,
        items: Iterable[ConfigurationItem] = (),
        change_type: str = ChangeType.NORMAL,
        **fields: Any,
    ) -> Change:
        change = ticket_open(
            Change,
            fields={
                "title": title,
                "requester": agent_l1,
                "service": service,
                "configuration_item": item,
                "change_type": change_type,
                "planned_start": start,
                "planned_end": start + timedelta(hours=hours),
                **fields,
            },
            actor=agent_l1,
            source=Source.WEB,
            event_fields={},
        )
        Change.objects.filter(pk=change.pk).update(status=status)
        change.status = status
        change.services.add(*services)
        change.configuration_items.add(*items)
        return change

    return make


@pytest.fixture
def make_freeze(manager: User) -> Callable[..., FreezeWindow]:
    def make(
        name: str = "Freeze",
        *,
        start: datetime = T0,
        hours: float = 24,
        services: Iterable[Service] = (),
    ) -> FreezeWindow:
        window = FreezeWindow.objects.create(
            name=name,
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            created_by=manager,
            created_at=start - timedelta(days=30),
        )
        window.services.add(*services)
        return window

    return make
