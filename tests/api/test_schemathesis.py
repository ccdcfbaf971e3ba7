"""Property-based checks of the whole API against its live OpenAPI schema (schemathesis).

The schema is loaded from the running app (`/api/schema/`); requests go in-process through the
WSGI app, authenticated as an admin's token (admins see and may do everything, so requests reach
the code rather than a 403). Checks: no server error (5xx), and every response conforms to the
schema (documented status code, body shape).

Two tests:
- `test_api_conforms_to_its_schema`: every operation with generated input (schema examples and
  a bounded fuzzing run of valid and invalid data, SCHEMATHESIS_EXAMPLES per operation, 4 by
  default: the whole API in about a minute on the 2-core CI machine; raise it for a deeper run).
  Generated numbers and ids rarely exist, so this mostly exercises validation and 404s...
- `test_every_read_of_real_objects_conforms`: ...so every GET is also called once on seeded
  objects (an incident, a request, a problem, their comments and files, the catalog, SLA
  configuration, people), which checks the shapes of full responses.

"""

import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core import signals
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance

from changes import services as change_services
from changes.deployments import deployment_record, deployment_report_clean
from changes.models import ChangeTemplate, FreezeWindow
from core.api.tokens import api_token_create
from core.choices import Role, Source
from core.models import Service, SupportGroup, User
from core.services import attachment_add, comment_add
from email_intake.choices import InboundStatus
from email_intake.models import InboundEmail, Mailbox
from email_intake.store import store_message
from incidents import services as incident_services
from oncall.models import (
    ContactMethod,
    EscalationPolicy,
    EscalationStep,
    LayerMember,
    NotificationRule,
    Override,
    Page,
    RotationLayer,
    Schedule,
)
from problems import services as problem_services
from service_requests import services as request_services
from service_requests.choices import ApprovalMode, FieldType
from service_requests.models import CatalogCategory, CatalogField, CatalogItem, CatalogTask
from sla.models import Calendar, Holiday, SlaPolicy, SlaThreshold, WorkingHours
from slo.models import Objective
from tests.factories import ConfigurationItemFactory, UserFactory

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "4"))

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20251123,
        "cache": {"enabled": False},
        # The coverage phase's exhaustive boundary cases take minutes for this many operations;
        # schema examples and a bounded fuzzing run (valid and invalid data) take seconds.
        "phases": {"coverage": {"enabled": False}},
        "generation": {"max-examples": EXAMPLES, "mode": "all"},
    }
)
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=CONFIG)


def check(case: schemathesis.Case, response: Any) -> None:
    """No server error, ever; then the schema."""
    case.validate_response(response, checks=[not_a_server_error])
    case.validate_response(response, checks=[response_schema_conformance])


@pytest.fixture
def _in_process_requests() -> Iterator[None]:
    """As Django's test client does: keep the test's database connection (and its transaction)
    open across the in-process requests."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _whatif_done(admin: User) -> int:
    """An SLA what-if scenario whose run is done (its results and flips can be read)."""
    from sla.whatif.run import scenario_run_job
    from sla.whatif.services import ScenarioInput, scenario_create, scenario_run

    now = timezone.now()
    data = ScenarioInput(
        name="fuzz",
        since=now - timedelta(days=1),
        until=now + timedelta(days=1),
        kinds=["incident"],
        draft={"overrides": []},
    )
    queued = scenario_run(scenario=scenario_create(actor=admin, data=data))
    scenario_run_job(queued.pk, str(queued.run_token))
    return queued.pk


@pytest.fixture
def world(db: None, _in_process_requests: None, service: Service, l1_group: SupportGroup) -> Any:
    """An admin with a read+write token, and one of everything, made through the services."""
    admin: User = UserFactory(username="fuzz-admin", role=Role.ADMIN, email="")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    requester = UserFactory(username="fuzz-user", role=Role.END_USER, manager=admin)
    l1_group.manager = admin
    l1_group.members.add(admin)
    l1_group.save()
    calendar = Calendar.objects.create(name="Fuzz office", timezone="Europe/Berlin")
    WorkingHours.objects.create(calendar=calendar, weekday=0, start="08:00", end="00:00")
    Holiday.objects.create(calendar=calendar, date="2030-12-25", name="Christmas")
    for kind in ("incident", "request"):
        policy = SlaPolicy.objects.create(
            name=f"Fuzz {kind}",
            ticket_kind=kind,
            priority=3,
            response_target=timedelta(hours=1),
            resolution_target=timedelta(hours=8),
            calendar=calendar,
        )
        SlaThreshold.objects.create(policy=policy, percent=75)
    ci = ConfigurationItemFactory(service=service, description="")
    incident = incident_services.incident_create(
        requester=requester,
        actor=admin,
        title="Mail is down",
        service=service,
        source=Source.API,
        impact="medium",
        urgency="medium",
    )
    category = CatalogCategory.objects.create(name="Fuzz", slug="fuzz")
    item = CatalogItem.objects.create(
        category=category,
        slug="fuzz-item",
        name="Fuzz item",
        summary="s",
        support_group=l1_group,
        service=service,
        approval_mode=ApprovalMode.GROUP,
        approver_group=Group.objects.create(name="Fuzz approvers"),
    )
    CatalogField.objects.create(
        item=item, key="seats", label="Seats", field_type=FieldType.NUMBER, required=False
    )
    CatalogTask.objects.create(item=item, title="Do it")
    request = request_services.request_create(
        requester=requester, item=item, answers={"seats": "2"}, source=Source.API
    )
    problem = problem_services.problem_create(actor=admin, title="Relay", service=service)
    problem_services.problem_link_incident(problem, incident=incident, actor=admin)
    change = change_services.change_create(
        actor=admin, title="Renew the relay certificate", service=service, approval_group=l1_group
    )
    change_services.change_link_problem(change, problem=problem, actor=admin)
    change_services.change_link_incident(change, incident=incident, actor=admin)
    files = {}
    for ticket in (incident, request, problem, change):
        comment_add(ticket=ticket, author=admin, body="Note", is_internal=False)
        upload = SimpleUploadedFile("log.txt", b"log\n", content_type="text/plain")
        files[ticket.number] = attachment_add(ticket=ticket, uploaded_by=admin, upload=upload)
    token = api_token_create(user=admin, name="fuzz", scopes=["read", "write"])
    schedule = Schedule.objects.create(support_group=l1_group, name="Fuzz", time_zone="UTC")
    layer = RotationLayer.objects.create(
        schedule=schedule, level=1, shift_hours=24, handoff_at=timezone.now()
    )
    LayerMember.objects.create(layer=layer, person=admin, position=0)
    override = Override.objects.create(
        schedule=schedule,
        person=admin,
        start=timezone.now(),
        end=timezone.now() + timedelta(hours=1),
        created_by=admin,
    )
    policy = EscalationPolicy.objects.create(support_group=l1_group, name="Fuzz")
    EscalationStep.objects.create(policy=policy, position=1, target="group", wait_minutes=5)
    method = ContactMethod.objects.create(
        person=admin, kind="email", label="Fuzz", address="fuzz@example.com"
    )
    rule = NotificationRule.objects.create(contact_method=method, delay_minutes=0)
    page = Page.objects.create(
        ticket_type=ContentType.objects.get_for_model(incident),
        ticket_id=incident.pk,
        ticket_number=incident.number,
        ticket_title=incident.title,
        reason="manual",
        step_started_at=timezone.now(),
        created_at=timezone.now(),
    )
    objective = Objective.objects.create(
        service=service,
        kind="availability",
        target="99.9",
        window_days=28,
        created_by=admin,
        created_at=timezone.now(),
        updated_at=timezone.now(),
    )
    mailbox = Mailbox.objects.create(name="fuzz", address="fuzz@desk.example")
    inbound, _ = store_message(
        mailbox, b"From: a@example.com\r\nSubject: Hi\r\nMessage-ID: <f@x>\r\n\r\nHello\r\n"
    )
    InboundEmail.objects.filter(pk=inbound.pk).update(status=InboundStatus.IGNORED)
    deployed = deployment_record(
        actor=admin,
        report=deployment_report_clean(
            idempotency_key="fuzz-1",
            service=service,
            version="1.0.0",
            deployed_at=timezone.now() - timedelta(hours=1),
            committed_at=timezone.now() - timedelta(hours=2),
            url="https://ci.example.com/runs/1",
        ),
    ).deployment
    whatif = _whatif_done(admin)
    template = ChangeTemplate.objects.create(
        name="Fuzz patch rollout",
        implementation_plan="Patch.",
        test_plan="Check.",
        backout_plan="Uninstall.",
        is_patch=True,
        created_at=timezone.now(),
    )
    rollout = change_services.change_create_from_template(template, actor=admin)
    return {
        "headers": {"Authorization": f"Bearer {token.secret}"},
        "numbers": {
            "incidents": incident.number,
            "requests": request.number,
            "problems": problem.number,
            "changes": change.number,
            "patch-rollouts": rollout.number,
            "sla-clocks": request.number,
        },
        "files": {number: found.token for number, found in files.items()},
        "ids": {
            "services": service.pk,
            "configuration-items": ci.pk,
            "support-groups": l1_group.pk,
            "users": requester.pk,
            "sla-policies": SlaPolicy.objects.order_by("id").first().pk,  # type: ignore[union-attr]
            "sla-calendars": calendar.pk,
            "tokens": token.token.pk,
            "mailboxes": mailbox.pk,
            "inbound-emails": inbound.pk,
            "oncall/schedules": schedule.pk,
            "oncall/layers": layer.pk,
            "oncall/overrides": override.pk,
            "oncall/policies": policy.pk,
            "oncall/contact-methods": method.pk,
            "oncall/notification-rules": rule.pk,
            "oncall/pages": page.pk,
            "slos": objective.pk,
            "change-freeze-windows": FreezeWindow.objects.create(
                name="Fuzz freeze",
                starts_at=timezone.now(),
                ends_at=timezone.now() + timedelta(days=1),
                created_at=timezone.now(),
            ).pk,
            "deployments": deployed.pk,
            "change-templates": template.pk,
            "sla-what-if": whatif,
        },
        "slug": item.slug,
        "task_id": request.tasks.get().pk,
    }


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case: schemathesis.Case, world: dict[str, Any]) -> None:
    check(case, case.call(headers=world["headers"]))


def _path_parameters(path: str, world: dict[str, Any]) -> dict[str, Any]:
    parts = path.removeprefix("/api/v1/").split("/")
    # On-call resources sit one level down (/api/v1/oncall/schedules/{id}/).
    resource = "/".join(parts[:2]) if parts[0] == "oncall" else parts[0]
    values: dict[str, Any] = {}
    if "{number}" in path:
        values["number"] = world["numbers"][resource]
    if "{token}" in path:
        values["token"] = world["files"][values["number"]]
    if "{slug}" in path:
        values["slug"] = world["slug"]
    if "{id}" in path:
        values["id"] = world["ids"][resource]
    if "{task_id}" in path:
        values["task_id"] = world["task_id"]
    return values


READS = [
    result.ok() for result in schema.get_all_operations() if result.ok().method.upper() == "GET"
]


@pytest.mark.parametrize("operation", READS, ids=[op.label for op in READS])
def test_every_read_of_real_objects_conforms(operation: Any, world: dict[str, Any]) -> None:
    case = operation.Case(path_parameters=_path_parameters(operation.path, world))
    response = case.call(headers=world["headers"])
    check(case, response)
    assert response.status_code == 200, f"{operation.label}: {response.status_code}"
