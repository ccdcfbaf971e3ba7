"""The manager dashboard's SLO tile: objectives by status and the least budget left first,
narrowed by the dashboard's service filter; its queries do not grow with objectives."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import ServiceFactory
from tests.slo.conftest import NOW, ago, availability, outage, response

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _at_now(settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    with time_machine.travel(NOW, tick=False):
        yield


def tile(client, **params: str) -> str:
    got = client.get(reverse("reporting:dashboard_tile", args=["slo"]), params)
    assert got.status_code == 200
    return got.content.decode()


def test_the_tile_counts_statuses_and_lists_the_worst(
    client_for, manager, mail_service, slo_manager
):
    outage(mail_service, ago(days=10), ago(days=10) + timedelta(minutes=50))
    availability(mail_service, slo_manager)
    availability(ServiceFactory(name="Intranet"), slo_manager)
    html = tile(client_for(manager))
    assert 'id="stat-slo-exhausted" data-value="1"' in html
    assert 'id="stat-slo-healthy" data-value="1"' in html
    assert html.index("Mail") < html.index("Intranet")  # least budget left first
    assert reverse("slo:service", args=[mail_service.pk]) in html
    only_mail = tile(client_for(manager), service=str(mail_service.pk))
    assert "Intranet" not in only_mail


def test_an_empty_desk_says_so(client_for, manager):
    assert "No service level objective" in tile(client_for(manager))


def test_the_tile_queries_do_not_grow(client_for, manager, slo_manager):
    client = client_for(manager)
    availability(ServiceFactory(name="First"), slo_manager)
    response(ServiceFactory(name="Second"), slo_manager)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            tile(client)
        return len(queries)

    count()
    one = count()
    for n in range(10):
        availability(ServiceFactory(name=f"S{n}"), slo_manager)
        response(ServiceFactory(name=f"R{n}"), slo_manager)
    assert count() == one
