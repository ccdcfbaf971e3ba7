"""Every list endpoint of requests, problems, SLA and the reference resources costs the same
number of queries for 1 row as for 20 (no N+1), within the budget (DESIGN.md §7: ≤ 6)."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from core.choices import Role
from core.services import attachment_add, comment_add
from problems.models import ProblemIncident
from service_requests.choices import ApprovalMode, FieldType
from service_requests.models import CatalogField, CatalogItem, CatalogTask, RequestTask
from sla.models import Calendar, Holiday, SlaPolicy, SlaThreshold, WorkingHours
from tests.factories import (
    ConfigurationItemFactory,
    IncidentFactory,
    ServiceFactory,
    SupportGroupFactory,
    UserFactory,
)
from tests.problems.factories import KnownErrorFactory, ProblemFactory

pytestmark = pytest.mark.django_db
BUDGET = 6


def count(client: APIClient, url: str) -> tuple[int, int, list[str]]:
    client.get(url)  # warm per-process caches (content types), as in a running server
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries), len(response.json()["results"]), [q["sql"] for q in queries]


def assert_flat(client: APIClient, url: str, add_rows: Callable[[int], None]) -> None:
    """1 row, then 20: the same number of queries, within the budget."""
    add_rows(1)
    one, rows_one, _ = count(client, url)
    add_rows(19)
    twenty, rows_twenty, sql = count(client, url)
    assert (rows_one, rows_twenty) == (1, 20)
    assert one == twenty, "queries grow with rows:\n" + "\n".join(sql)
    assert twenty <= BUDGET, f"{twenty} queries:\n" + "\n".join(sql)


def repeat(make: Callable[[], object]) -> Callable[[int], None]:
    def add(n: int) -> None:
        for _ in range(n):
            make()

    return add


# --- service requests ----------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "?ordering=newest&open=false", "?status=awaiting_approval"])
def test_request_list(agent, vpn, make_request, query):
    # Approval by a group: the output names requester, assignee, approver group and decider.
    assert_flat(
        agent,
        f"/api/v1/requests/{query}",
        repeat(lambda: make_request(vpn, UserFactory(), assignee=UserFactory())),
    )


def test_request_list_for_a_requester(reporter, end_user, mfa, make_request):
    assert_flat(reporter, "/api/v1/requests/", repeat(lambda: make_request(mfa, end_user)))


def test_approvals_for_an_approver(client_as, approver, vpn, make_request):
    assert_flat(
        client_as(approver),
        "/api/v1/requests/approvals/",
        repeat(lambda: make_request(vpn, UserFactory())),
    )


@pytest.fixture
def a_request(end_user, mfa, make_request):
    return make_request(mfa, end_user)


def test_request_tasks(agent, a_request):
    def add(n: int) -> None:
        for i in range(n):
            RequestTask.objects.create(
                request=a_request, title=f"t{i}", order=i, is_done=True, done_by=UserFactory()
            )

    a_request.tasks.all().delete()
    assert_flat(agent, f"/api/v1/requests/{a_request.number}/tasks/", add)


def test_request_comments_attachments_timeline(agent, end_user, mfa, make_request):
    def comment_on(sr):  # type: ignore[no-untyped-def]
        def add(n: int) -> None:
            for i in range(n):
                comment_add(ticket=sr, author=UserFactory(), body=f"c{i}", is_internal=False)

        return add

    def attach_to(sr):  # type: ignore[no-untyped-def]
        def add(n: int) -> None:
            for _ in range(n):
                upload = SimpleUploadedFile("a.txt", b"x")
                attachment_add(ticket=sr, uploaded_by=UserFactory(), upload=upload)

        return add

    first, second, third = (make_request(mfa, end_user) for _ in range(3))
    assert_flat(agent, f"/api/v1/requests/{first.number}/comments/", comment_on(first))
    assert_flat(agent, f"/api/v1/requests/{second.number}/attachments/", attach_to(second))
    # The timeline starts with the "created" event (1 row), then 19 comment events join it.
    events = comment_on(third)
    assert_flat(
        agent, f"/api/v1/requests/{third.number}/timeline/", lambda n: events(0 if n == 1 else n)
    )


def test_catalog_items(reporter, category, l1_group, service):
    group = Group.objects.create(name="Budget owners")
    counter = iter(range(1000))

    def make() -> None:
        i = next(counter)
        item = CatalogItem.objects.create(
            category=category,
            slug=f"item-{i}",
            name=f"Item {i}",
            summary="s",
            support_group=l1_group,
            service=service,
            approval_mode=ApprovalMode.GROUP,
            approver_group=group,
        )
        CatalogField.objects.create(item=item, key="a", label="A", field_type=FieldType.TEXT)
        CatalogTask.objects.create(item=item, title="Do it")

    assert_flat(reporter, "/api/v1/catalog-items/", repeat(make))


# --- problems ------------------------------------------------------------------------------


def test_problem_list(agent, service, l1_group):
    def make() -> None:
        problem = ProblemFactory(
            requester=UserFactory(),
            assignee=UserFactory(),
            service=service,
            support_group=l1_group,
            configuration_item=ConfigurationItemFactory(service=service),
        )
        ProblemIncident.objects.create(
            problem=problem, incident=IncidentFactory(), linked_at=timezone.now()
        )

    assert_flat(agent, "/api/v1/problems/", repeat(make))


def note_on(problem: Any) -> Callable[[int], None]:
    def add(n: int) -> None:
        for i in range(n):
            comment_add(ticket=problem, author=UserFactory(), body=f"n{i}", is_internal=True)

    return add


def test_problem_incidents_and_conversation(agent, agent_l1):
    problem = ProblemFactory(requester=agent_l1)
    base = f"/api/v1/problems/{problem.number}"

    def link(n: int) -> None:
        for _ in range(n):
            ProblemIncident.objects.create(
                problem=problem,
                incident=IncidentFactory(),
                linked_by=UserFactory(),
                linked_at=timezone.now(),
            )

    note = note_on(problem)

    def attach(n: int) -> None:
        for _ in range(n):
            upload = SimpleUploadedFile("a.txt", b"x")
            attachment_add(ticket=problem, uploaded_by=UserFactory(), upload=upload)

    assert_flat(agent, f"{base}/incidents/", link)
    assert_flat(agent, f"{base}/comments/", note)
    assert_flat(agent, f"{base}/attachments/", attach)
    # Each note above was one timeline event: the timeline of another problem, 1 then 20.
    other = ProblemFactory(requester=agent_l1)
    events = note_on(other)
    assert_flat(agent, f"/api/v1/problems/{other.number}/timeline/", events)


def test_known_errors(agent, service):
    assert_flat(
        agent,
        "/api/v1/known-errors/",
        repeat(lambda: KnownErrorFactory(requester=UserFactory(), service=service)),
    )


# --- SLA -----------------------------------------------------------------------------------


def test_sla_policies(agent, always_open_calendar, l1_group):
    counter = iter(range(1000))

    def make() -> None:
        i = next(counter)
        policy = SlaPolicy.objects.create(
            name=f"P{i}",
            ticket_kind="incident",
            priority=1 + i % 5,
            service=ServiceFactory(owner_group=l1_group),
            response_target=timedelta(hours=1),
            resolution_target=timedelta(hours=8),
            calendar=always_open_calendar,
        )
        SlaThreshold.objects.create(policy=policy, percent=75)

    assert_flat(agent, "/api/v1/sla-policies/", repeat(make))


def test_sla_calendars(agent):
    counter = iter(range(1000))

    def make() -> None:
        calendar = Calendar.objects.create(name=f"Office {next(counter)}", timezone="UTC")
        WorkingHours.objects.create(calendar=calendar, weekday=0, start="08:00", end="17:00")
        Holiday.objects.create(calendar=calendar, date=date(2030, 1, 1))

    assert_flat(agent, "/api/v1/sla-calendars/", repeat(make))


# --- reference resources -------------------------------------------------------------------


def test_services_and_configuration_items(agent, reporter, l1_group, service):
    assert_flat(
        reporter,
        "/api/v1/services/?q=svc",
        repeat(lambda: ServiceFactory(name=f"svc {UserFactory().username}", owner_group=l1_group)),
    )
    assert_flat(
        agent,
        "/api/v1/configuration-items/",
        repeat(lambda: ConfigurationItemFactory(service=service)),
    )


def test_support_groups(agent):
    def make() -> None:
        group = SupportGroupFactory(tier=3, manager=UserFactory())
        group.members.add(UserFactory(), UserFactory())

    assert_flat(agent, "/api/v1/support-groups/?tier=3", repeat(make))


def test_users(client_as, agent_l1):
    client = client_as(agent_l1)
    group = SupportGroupFactory()

    def make() -> None:
        person = UserFactory(
            role=Role.AGENT, manager=UserFactory(username=f"m-{UserFactory().username}")
        )
        group.members.add(person)

    assert_flat(client, f"/api/v1/users/?support_group={group.pk}", repeat(make))
