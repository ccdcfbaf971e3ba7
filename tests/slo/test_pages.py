"""The SLO pages: agents read every objective and a service's page (chart with its table,
burn rates, alert history); managers create, edit and delete objectives; bad input changes
nothing; the list shows a page at a time, filtered by service and kind, and costs the same
queries for 2 and 22 objectives and past a page."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from slo.alerts import slo_evaluate
from slo.models import Objective
from tests.factories import ServiceFactory
from tests.slo.conftest import NOW, ago, availability, outage, response

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _at_now():
    with time_machine.travel(NOW, tick=False):
        yield


def test_agents_see_every_objective(client_for, agent_l1, mail_service, slo_manager):
    outage(mail_service, ago(days=10), ago(days=10) + timedelta(minutes=50))
    availability(mail_service, slo_manager)
    response(mail_service, slo_manager)
    page = client_for(agent_l1).get(reverse("slo:list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "99.9 % available over 28 days" in text
    assert "90 % of P1/P2 incidents acknowledged within 5 min over 7 days" in text
    assert "spent (-24 %)" in text  # 3000 s of 2419.2 s: 1 - 3000/2419.2 = -24 %
    assert "Exhausted" in text
    assert reverse("slo:objective_new") not in text  # agents read only


def test_end_users_do_not_find_the_pages(client_for, end_user, mail_service):
    assert client_for(end_user).get(reverse("slo:list")).status_code == 404
    url = reverse("slo:service", args=[mail_service.pk])
    assert client_for(end_user).get(url).status_code == 404


def test_the_list_costs_the_same_for_2_and_22_objectives_and_past_a_page(
    client_for, agent_l1, slo_manager, settings
):
    settings.QUEUE_PAGE_SIZE = 25
    client = client_for(agent_l1)

    def count(params: dict[str, str] | None = None) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("slo:list"), params or {}).status_code == 200
        return len(queries)

    # One of each kind: each kind's statuses are one query, whatever the number of rows.
    first = ServiceFactory(name="First")
    availability(first, slo_manager)
    response(first, slo_manager)
    count()  # warms the content-type cache
    one = count()
    for n in range(10):
        service = ServiceFactory(name=f"S{n:02d}")
        availability(service, slo_manager)
        response(service, slo_manager)
    assert Objective.objects.count() == 22
    count()  # new services: the service select's options are read again once (CHOICES_MEMO)
    assert count() == one
    for n in range(10, 20):
        service = ServiceFactory(name=f"S{n:02d}")
        availability(service, slo_manager)
        response(service, slo_manager)
    count()  # the options again
    assert count() == one  # 42 objectives: a page of 25
    assert count({"page": "2"}) == one
    assert count({"kind": "response", "service": str(service.pk)}) == one


def test_the_list_shows_a_page_at_a_time(client_for, agent_l1, slo_manager, settings):
    settings.QUEUE_PAGE_SIZE = 3
    for n in range(4):
        availability(ServiceFactory(name=f"Service {n}"), slo_manager)
    client = client_for(agent_l1)
    first = client.get(reverse("slo:list")).content.decode()
    assert "4 objectives" in first and "Page 1 of 2" in first
    assert ">Service 0</a>" in first and ">Service 2</a>" in first and ">Service 3</a>" not in first
    second = client.get(reverse("slo:list"), {"page": "2"}).content.decode()
    assert ">Service 3</a>" in second and ">Service 0</a>" not in second
    # A page past the end shows the last one (never a 404 or an empty table).
    assert ">Service 3</a>" in client.get(reverse("slo:list"), {"page": "9"}).content.decode()


def test_the_list_filters_by_service_and_kind(client_for, agent_l1, mail_service, slo_manager):
    other = ServiceFactory(name="Intranet")
    availability(mail_service, slo_manager)
    response(mail_service, slo_manager)
    availability(other, slo_manager)
    client = client_for(agent_l1)

    def rows(params: dict[str, str]) -> str:
        page = client.get(reverse("slo:list"), params)
        assert page.status_code == 200
        return page.content.decode()

    by_service = rows({"service": str(mail_service.pk)})
    assert "2 objectives" in by_service and ">Intranet</a>" not in by_service
    by_kind = rows({"kind": "availability"})
    assert "2 objectives" in by_kind and "acknowledged within" not in by_kind
    both = rows({"service": str(other.pk), "kind": "response"})
    assert "No objective matches these filters" in both


def test_a_bad_filter_is_named_and_ignored(client_for, agent_l1, mail_service, slo_manager):
    availability(mail_service, slo_manager)
    page = client_for(agent_l1).get(reverse("slo:list"), {"service": "999999", "kind": "nope"})
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count('class="error-text"') == 2
    assert "1 objective" in text


def test_the_service_page_draws_the_budget_and_history(
    client_for, agent_l1, mail_service, slo_manager
):
    outage(mail_service, ago(days=10), ago(days=10) + timedelta(minutes=50))
    objective = availability(mail_service, slo_manager)
    slo_evaluate()
    page = client_for(agent_l1).get(reverse("slo:service", args=[mail_service.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "<svg" in text and 'class="chart chart-time"' in text
    assert "Budget left as a table" in text
    assert text.count('<tr><th scope="row">') >= 29  # a row per day and now
    assert "Budget spent" in text and "Still holds" in text
    assert f'id="objective-{objective.pk}-left"' in text


def test_a_service_without_objectives_says_so(client_for, agent_l1, mail_service):
    page = client_for(agent_l1).get(reverse("slo:service", args=[mail_service.pk]))
    assert "No objective for Mail" in page.content.decode()
    assert client_for(agent_l1).get(reverse("slo:service", args=[999999])).status_code == 404


def test_a_manager_creates_edits_and_deletes(client_for, mail_service, slo_manager):
    client = client_for(slo_manager)
    assert client.get(reverse("slo:objective_new")).status_code == 200
    created = client.post(
        reverse("slo:objective_new"),
        {
            "service": mail_service.pk,
            "kind": "response",
            "target": "95",
            "window_days": "28",
            "priorities": ["1", "2"],
            "threshold_minutes": "5",
        },
    )
    assert created.status_code == 302
    objective = Objective.objects.get()
    assert (objective.priorities, objective.threshold_minutes) == ([1, 2], 5)
    assert objective.created_by == slo_manager
    edit = reverse("slo:objective_edit", args=[objective.pk])
    assert client.get(edit).status_code == 200
    changed = client.post(
        edit,
        {"service": mail_service.pk, "kind": "availability", "target": "99.95", "window_days": 7},
    )
    assert changed.status_code == 302
    objective.refresh_from_db()
    assert objective.kind == "availability" and str(objective.target) == "99.950"
    assert objective.priorities == [] and objective.threshold_minutes is None
    deleted = client.post(reverse("slo:objective_delete", args=[objective.pk]))
    assert deleted.status_code == 302
    assert not Objective.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"target": "100"}, "target", "strictly between 0 and 100"),
        ({"target": "abc"}, "target", "Enter a number"),
        ({"window_days": "91"}, "window_days", "less than or equal to 90"),
        ({"kind": "response", "threshold_minutes": "5"}, "priorities", "Choose one or more"),
        ({"kind": "response", "priorities": ["1"]}, "threshold_minutes", "Give a whole number"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    client_for, mail_service, slo_manager, fields, field, message
):
    data = {"service": mail_service.pk, "kind": "availability", "target": "99.9", "window_days": 28}
    page = client_for(slo_manager).post(reverse("slo:objective_new"), {**data, **fields})
    assert page.status_code == 400
    assert message in page.content.decode()
    assert not Objective.objects.exists()


def test_agents_may_not_write(client_for, agent_l1, mail_service, slo_manager):
    objective = availability(mail_service, slo_manager)
    client = client_for(agent_l1)
    assert client.get(reverse("slo:objective_new")).status_code == 403
    assert client.post(reverse("slo:objective_delete", args=[objective.pk])).status_code == 403
    edit = reverse("slo:objective_edit", args=[objective.pk])
    assert client.post(edit, {"target": "50"}).status_code == 403
    objective.refresh_from_db()
    assert str(objective.target) == "99.900"
