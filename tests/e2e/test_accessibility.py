"""Accessibility: every HTML page, seen by the role that uses it, checked in Chromium with axe-core
(tests/e2e/node_modules, from the npm registry). A serious or critical violation fails the test;
so does a Content-Security-Policy violation or a JavaScript error on the page, since either
leaves the page broken for everyone.

Pages come from the URL conf, not from a hand-kept list alone: every named route is either a page
in PAGES (with the role that visits it and how to build its arguments), explained in NOT_PAGES,
an action that refuses GET (405), or a page without arguments that is swept automatically as an
admin. A new route that fits none of these fails `test_every_route_is_checked_or_explained`.

axe is injected with `page.evaluate`, which runs through the DevTools protocol and is not subject
to the page's CSP: `page.add_script_tag(content=...)` adds an inline <script>, which our CSP
(script-src 'self') blocks, and `bypass_csp=True` would also let through inline styles the real
page refuses, so the check would no longer see what users see.

Artifacts in var/e2e-screenshots/accessibility/: a PNG of every page and axe-report.json with
every violation of any impact, by role and page.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from changes import services as changes
from changes.models import ChangeTemplate
from changes.patches.services import rollout_add_targets, rollout_set_advisories
from core.models import ConfigurationItem
from core.services import attachment_add
from email_intake.models import Mailbox
from email_intake.processing import process_inbound
from email_intake.store import store_message
from incidents import services as incidents
from incidents.choices import Category, Impact, IncidentStatus, ResolutionCode, Urgency
from incidents.models import Incident
from oncall.models import (
    ContactMethod,
    ContactMethodKind,
    EscalationPolicy,
    EscalationStep,
    LayerMember,
    NotificationRule,
    Override,
    PageReason,
    RotationLayer,
    Schedule,
    StepTarget,
)
from oncall.paging.services import page_start
from problems.links import problem_link_incident
from problems.recurrence import proposals_detect
from problems.reviews import review_start
from service_requests import services as requests
from service_requests.models import ServiceRequest
from slo.models import Objective
from tests.changes.calendar.samples import (
    calendar_sample,
    calendar_sample_freeze,
    calendar_sample_template,
)
from tests.e2e.conftest import PNG_1X1, SCREENSHOT_ROOT, Screenshots
from tests.factories import IncidentFactory
from tests.problems.factories import KnownErrorFactory

BLOCKING_IMPACTS = ("serious", "critical")


# --- Which pages, for whom ------------------------------------------------------------------


@dataclass
class Sample:
    """One ticket of each kind in the state that shows the most of its page."""

    resolved_incident: Incident  # the requester is asked to confirm or reopen
    open_incident: Incident  # classified, assigned, replies and notes: every agent action
    major_incident: Incident  # its post-incident review is started
    pending_request: ServiceRequest  # waits for the manager's approval
    working_request: ServiceRequest  # in fulfilment, one task done
    fulfilled_request: ServiceRequest  # the requester is asked to confirm
    known_error: Any
    item_slug: str
    users: dict[str, Any] = field(default_factory=dict)
    # The demo-like mailbox and a reply that came in through it (on open_incident).
    mailbox_id: int = 0
    inbound_id: int = 0
    # An on-call schedule whose rotation names agent_l1, with an override ahead.
    schedule_id: int = 0
    # An escalation policy of agent_l1's group paging that schedule, then the group.
    policy_id: int = 0
    # A normal change awaiting approval that fixes the known error and caused resolved_incident.
    change_number: str = ""


@dataclass(frozen=True)
class Page:
    role: str  # "anonymous", "end_user", "manager" (the end user's approver), "agent", "admin"
    args: Callable[[Sample], list[str]] = lambda sample: []
    query: str = ""
    # What a person does on the page before it is checked, to bring up content that loads later.
    prepare: Callable[[Any, Sample], None] | None = None


def _type_a_title_with_suggestions(page: Any, sample: Sample) -> None:
    from playwright.sync_api import expect

    page.get_by_label(re.compile("what is broken", re.I)).press_sequentially("relay certificate")
    expect(page.get_by_text(sample.known_error.title).first).to_be_visible()


def _open_the_bulk_status_panel(page: Any, sample: Sample) -> None:
    from playwright.sync_api import expect

    page.get_by_label("Select all on this page").check()
    page.get_by_role("button", name=re.compile(r"^Change status")).click()
    expect(page.locator("#bulk-apply")).to_be_visible()


def _create_a_token(page: Any, sample: Sample) -> None:
    from playwright.sync_api import expect

    page.get_by_label("Name", exact=True).fill("Backup script")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("heading", name=re.compile("Your new token"))).to_be_visible()


def _show_a_feed_link_for_one_service(page: Any, sample: Sample) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name=re.compile("calendar link|new link")).click()
    page.get_by_label("Only the changes of").select_option(index=1)
    page.get_by_role("button", name="Show the link for this service").click()
    expect(page.locator(".cc-feed-service-url")).to_be_visible()


def _wait_for_every_tile(page: Any, sample: Sample) -> None:
    from playwright.sync_api import expect

    # Tiles load themselves after the page; a tile still loading is marked aria-busy.
    expect(page.locator("[aria-busy=true]")).to_have_count(0)


def _whatif_scenario(sample: Sample) -> str:
    """A what-if scenario run over the sample's incidents with no time to respond: its page
    shows the draft, the results and the flipped tickets."""
    from sla.whatif.run import scenario_run_job
    from sla.whatif.services import ScenarioInput, scenario_create, scenario_run

    now = timezone.now()
    draft = {
        "overrides": [
            {"kind": "incident", "priority": priority, "response_minutes": 0}
            for priority in range(1, 6)
        ]
    }
    data = ScenarioInput(
        name="Faster P3",
        since=now - timedelta(days=1),
        until=now + timedelta(days=1),
        kinds=["incident"],
        draft=draft,
    )
    queued = scenario_run(scenario=scenario_create(actor=sample.users["manager"], data=data))
    scenario_run_job(queued.pk, str(queued.run_token))
    return str(queued.pk)


def _first_layer(schedule_id: int) -> int:
    return RotationLayer.objects.filter(schedule_id=schedule_id).values_list("pk", flat=True)[0]


def _slo_objective(sample: Sample) -> int:
    """An availability objective on the sample incidents' service (made on first use)."""
    service = sample.open_incident.service
    objective = Objective.objects.filter(service=service).first()
    if objective is None:
        now = timezone.now()
        objective = Objective.objects.create(
            service=service,
            kind="availability",
            target="99.9",
            window_days=28,
            created_by=sample.users["manager"],
            created_at=now,
            updated_at=now,
        )
    return objective.pk


def _slo_service(sample: Sample) -> int:
    _slo_objective(sample)
    return sample.open_incident.service_id  # type: ignore[no-any-return]


def _clashing_changes(sample: Sample) -> list[str]:
    """Two overlapping scheduled changes on the sample's service inside a freeze window this
    week, so the calendar is checked with its flags (no arguments: the calendar takes none)."""
    return calendar_sample(sample.open_incident.service, sample.users["agent"])


def _freeze_window(sample: Sample) -> list[str]:
    return [str(calendar_sample_freeze(sample.users["manager"]).pk)]


def _change_template(sample: Sample) -> list[str]:
    return [str(calendar_sample_template(sample.users["manager"]).pk)]


def _patch_rollout(sample: Sample) -> list[str]:
    """A patch rollout (a standard change from a patch template) with a patch and an item."""
    manager, agent = sample.users["manager"], sample.users["agent"]
    template = ChangeTemplate.objects.create(
        name="Accessibility patch rollout",
        implementation_plan="Patch and reboot.",
        test_plan="Health checks.",
        backout_plan="Uninstall.",
        is_patch=True,
        created_by=manager,
        created_at=timezone.now(),
    )
    rollout = changes.change_create_from_template(template, actor=agent)
    rollout = rollout_set_advisories(
        rollout, actor=agent, advisories=[("DSA-5660-1", ["CVE-2024-3094"])]
    )
    server = ConfigurationItem.objects.create(
        service=sample.open_incident.service, name="a11y-patch-01", kind="server"
    )
    rollout_add_targets(rollout, actor=agent, configuration_items=[server])
    return [rollout.number]


def _no_arguments(made: list[str]) -> list[str]:
    """A list page takes no arguments; `made` was only built so that it shows a row."""
    return []


PAGES: dict[str, Page] = {
    "login": Page("anonymous"),
    # Portal
    "portal:home": Page("end_user"),
    "incidents:portal_report": Page("end_user", prepare=_type_a_title_with_suggestions),
    "incidents:portal_list": Page("end_user"),
    "portal:tickets": Page("end_user"),
    "problems:portal_search": Page("end_user", query="q=relay"),
    "incidents:portal_detail": Page("end_user", lambda s: [s.resolved_incident.number]),
    "requests:catalog": Page("end_user"),
    "requests:catalog_item": Page("end_user", lambda s: [s.item_slug]),
    "requests:portal_list": Page("end_user"),
    "requests:portal_detail": Page("end_user", lambda s: [s.fulfilled_request.number]),
    "core:tokens": Page("end_user", prepare=_create_a_token),
    "core:preferences": Page("end_user"),
    # Approvals and the manager's dashboard
    "requests:approval_list": Page("manager"),
    "requests:approval_detail": Page("manager", lambda s: [s.pending_request.number]),
    "reporting:dashboard": Page("manager", prepare=_wait_for_every_tile),
    "sla_whatif:list": Page("manager"),
    "sla_whatif:new": Page("manager"),
    "sla_whatif:detail": Page("manager", lambda s: [_whatif_scenario(s)]),
    "sla_whatif:edit": Page("manager", lambda s: [_whatif_scenario(s)]),
    # Agent workspace
    "incidents:agent_list": Page("agent", prepare=_open_the_bulk_status_panel),
    "incidents:agent_detail": Page("agent", lambda s: [s.open_incident.number]),
    "requests:agent_list": Page("agent"),
    "requests:agent_detail": Page("agent", lambda s: [s.working_request.number]),
    "problems:agent_list": Page("agent"),
    "problems:new": Page("agent"),
    "problems:agent_detail": Page("agent", lambda s: [s.known_error.number]),
    "problems:known_errors": Page("agent"),
    "problems:proposals": Page("agent"),
    "problems:review": Page("agent", lambda s: [s.major_incident.number]),
    "changes:agent_list": Page("agent"),
    "changes:new": Page("agent"),
    "changes:agent_detail": Page("manager", lambda s: [s.change_number]),
    "changes:portal_detail": Page("end_user", lambda s: [s.change_number]),
    # Email (admins; the original message also for agents who see its ticket)
    "email_intake:mailbox_detail": Page("admin", lambda s: [str(s.mailbox_id)]),
    "email_intake:mailbox_edit": Page("admin", lambda s: [str(s.mailbox_id)]),
    "email_intake:message": Page("agent", lambda s: [str(s.inbound_id)]),
    # On call (agents)
    "oncall:now": Page("agent"),
    "oncall:schedule": Page("agent", lambda s: [str(s.schedule_id)]),
    "oncall:my_shifts": Page("agent"),
    # On-call schedule writing (admins and group managers)
    "oncall:schedule_create": Page("admin"),
    "oncall:schedule_edit": Page("admin", lambda s: [str(s.schedule_id)]),
    "oncall:schedule_delete": Page("admin", lambda s: [str(s.schedule_id)]),
    "oncall:layer_create": Page("admin", lambda s: [str(s.schedule_id)]),
    "oncall:layer_edit": Page("admin", lambda s: [str(_first_layer(s.schedule_id))]),
    "oncall:layer_delete": Page("admin", lambda s: [str(_first_layer(s.schedule_id))]),
    "oncall:policies": Page("agent"),
    "oncall:policy": Page("manager", lambda s: [str(s.policy_id)]),
    "oncall:policy_new": Page("manager"),
    "oncall:contact": Page("agent"),
    # Service level objectives (agents read, managers define)
    "slo:list": Page("agent"),
    "slo:service": Page("agent", lambda s: [str(_slo_service(s))]),
    "slo:objective_new": Page("manager"),
    "slo:objective_edit": Page("manager", lambda s: [str(_slo_objective(s))]),
    # Change calendar (agents), freeze windows and templates (managers)
    "changes:calendar": Page("agent", _clashing_changes, prepare=_show_a_feed_link_for_one_service),
    "changes:freeze_list": Page("agent", lambda s: _no_arguments(_freeze_window(s))),
    "changes:freeze_create": Page("manager"),
    "changes:freeze_edit": Page("manager", _freeze_window),
    "changes:freeze_delete": Page("manager", _freeze_window),
    "changes:template_list": Page("manager", lambda s: _no_arguments(_change_template(s))),
    "changes:template_create": Page("manager"),
    "changes:template_edit": Page("manager", _change_template),
    # Patch rollouts (agents)
    "changes:patch_exposure": Page("agent"),
    "changes:rollout": Page("agent", _patch_rollout),
    # Deployments and DORA (changes/urls_dora.py)
    "dora:deployments": Page("agent"),
    "dora:report": Page("manager"),
}

NOT_PAGES: dict[str, str] = {
    "oncall:page_link": "a page message's signed link (a token for a live page and person); "
    "its GET, POST and refusals are tested in tests/oncall/paging/test_links.py",
    "problems:portal_suggest": "partial: the suggestions the report form shows while typing",
    "incidents:agent_bulk": "POST (the queue's bulk bar; checked there); a GET goes to the queue",
    "home": "redirects to the portal or the agent workspace",
    "healthz": "JSON health check",
    "logout": "POST only",
    "core:attachment_download": "a file download (Content-Disposition: attachment)",
    "email_intake:message_raw": "a file download (the original .eml, as an attachment)",
    "reporting:dashboard_tile": "partial: one dashboard tile, checked inside the dashboard",
    "reporting:dashboard_csv": "a CSV download",
    "dora:csv": "a CSV download (the DORA figures)",
    "sla_whatif:progress": "partial: a what-if run's progress bar, checked inside its page",
    "sla_whatif:flips_csv": "a CSV download",
    "sla_whatif:totals_csv": "a CSV download",
    "incidents:agent_priority_preview": "partial: the classify form's live priority, checked there",
    "core:assignee_options": "partial: <option>s for the assignment panel's person search",
    "core:configuration_item_options": "partial: <option>s for classify's configuration items",
    "oncall:feed": "an iCalendar feed (text/calendar) behind a secret token",
    "changes:calendar_feed": "an iCalendar feed (text/calendar) behind a secret token",
    "oncall:policy_delete": "POST only (the policy page's delete button)",
    "oncall:contact_toggle": "POST only (My contact methods: turn a method on or off)",
    "oncall:contact_delete": "POST only (My contact methods: delete a method)",
    "oncall:contact_rotate": "POST only: answers with My contact methods, checked there",
    "oncall:contact_test": "POST only (My contact methods: send a test)",
    "oncall:rule_add": "POST only (My contact methods: add a rule)",
    "oncall:rule_delete": "POST only (My contact methods: remove a rule)",
    "slo:objective_delete": "POST only (the service's SLO page: delete an objective)",
    "changes:rollout_patches": "POST only (a rollout's page: save its patches)",
    "changes:rollout_targets": "POST only (a rollout's page: add configuration items)",
    "changes:rollout_target_status": "POST only (a rollout's page: one item's status)",
}

ROLES = ("anonymous", "end_user", "manager", "agent", "admin")


@dataclass(frozen=True)
class Route:
    name: str
    path: str
    params: tuple[str, ...]


def named_routes() -> list[Route]:
    """Every named route of the site, except the Django admin and the REST API."""
    found: dict[str, Route] = {}

    def walk(patterns: list[Any], prefix: str, namespace: str, outer: tuple[str, ...]) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            # Parameters of this pattern, after those of the include()s it sits in.
            params = outer + tuple(getattr(entry.pattern, "converters", {}) or ())
            if isinstance(entry, URLResolver):
                if route.startswith(("admin/", "api/")):
                    continue
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, route, inner, params)
            elif isinstance(entry, URLPattern) and entry.name:
                name = namespace + entry.name
                found.setdefault(name, Route(name, route, params))

    walk(get_resolver().url_patterns, "", "", ())
    return sorted(found.values(), key=lambda r: r.name)


PROBE_VALUES = {"int": "999999", "slug": "no-such-thing", "str": "NO-SUCH-1", "path": "no/such"}


def _probe_path(route: Route) -> str:
    kwargs = {}
    for param in route.params:
        kind = next((k for k in PROBE_VALUES if f"<{k}:{param}>" in route.path), "str")
        kwargs[param] = PROBE_VALUES[kind]
    return reverse(route.name, kwargs=kwargs)


def _is_html_document(response: Any) -> bool:
    content_type = response.headers.get("Content-Type", "")
    return (
        response.status_code == 200
        and content_type.startswith("text/html")
        and b"<html" in response.content[:2000].lower()
    )


@dataclass
class Census:
    pages: list[str] = field(default_factory=list)  # unlisted pages without arguments
    actions: list[str] = field(default_factory=list)  # answer GET with 405
    other: list[str] = field(default_factory=list)  # redirects, JSON, files, partials
    unexplained: list[str] = field(default_factory=list)


def route_census(admin_client: Client) -> Census:
    """Sort the routes PAGES and NOT_PAGES do not name by what a GET as an admin returns."""
    census = Census()
    for route in named_routes():
        if route.name in PAGES or route.name in NOT_PAGES:
            continue
        response = admin_client.get(_probe_path(route))
        if response.status_code == 405:
            census.actions.append(route.name)
        elif route.params:
            census.unexplained.append(
                f"{route.name} (/{route.path}) takes arguments and answers GET with "
                f"{response.status_code}: add it to PAGES in {__name__} with the role that "
                "visits it and how to build its arguments, or to NOT_PAGES with the reason "
                "it is not a page"
            )
        elif _is_html_document(response):
            census.pages.append(route.name)
        elif response.status_code in (200, 301, 302):
            census.other.append(route.name)
        else:
            census.unexplained.append(
                f"{route.name} (/{route.path}) answers an admin's GET with "
                f"{response.status_code}: list it in PAGES or NOT_PAGES"
            )
    return census


def test_every_route_is_checked_or_explained(admin_user, client_for):
    known = {route.name for route in named_routes()}
    stale = sorted((set(PAGES) | set(NOT_PAGES)) - known)
    assert not stale, f"PAGES / NOT_PAGES name routes that no longer exist: {stale}"
    census = route_census(client_for(admin_user))
    assert not census.unexplained, "\n".join(census.unexplained)


# --- Test data ------------------------------------------------------------------------------


def _open_incident(requester, agent, service, title, **classify: Any) -> Incident:
    incident = incidents.incident_create(
        requester=requester, title=title, description="It **fails** every time.", service=service
    )
    incident = incidents.incident_accept(incident, actor=agent)
    return incidents.incident_classify(
        incident,
        actor=agent,
        category=classify.pop("category", Category.SOFTWARE),
        impact=Impact.MEDIUM,
        urgency=Urgency.HIGH,
        service=service,
        **classify,
    )


def _oncall_schedule(agent: Any) -> Any:
    group = agent.support_groups.first()
    schedule = Schedule.objects.create(support_group=group, name="Primary", time_zone="UTC")
    layer = RotationLayer.objects.create(
        schedule=schedule, level=1, name="Daily", shift_hours=24, handoff_at=timezone.now()
    )
    LayerMember.objects.create(layer=layer, person=agent, position=0)
    start = timezone.now() + timedelta(days=1)
    Override.objects.create(
        schedule=schedule,
        person=agent,
        start=start,
        end=start + timedelta(hours=4),
        created_by=agent,
    )
    return schedule


def _page_the_on_call(ticket: Any, agent: Any) -> None:
    """A live page on `ticket` that notified `agent`: the ticket page's Paging panel, the
    queue's "Paged" marker and "Pages for me" on the on-call pages are checked with content."""
    policy = EscalationPolicy.objects.create(
        support_group=ticket.support_group, name="L1 paging", page_priorities=[1]
    )
    step = EscalationStep.objects.create(
        policy=policy, position=1, target=StepTarget.PEOPLE, wait_minutes=5
    )
    EscalationStep.objects.create(policy=policy, position=2, target="group", wait_minutes=10)
    step.people.add(agent)
    method = ContactMethod.objects.create(
        person=agent, kind=ContactMethodKind.EMAIL, label="Work", address=agent.email
    )
    NotificationRule.objects.create(contact_method=method, delay_minutes=0)
    page_start(ticket, reason=PageReason.MANUAL, actor=agent, message="Nobody can connect.")


def _oncall_policy(schedule: Any) -> Any:
    """The schedule's group policy (the live page may have made it), with a step paging the
    schedule's on-call."""
    group = schedule.support_group
    policy = EscalationPolicy.objects.filter(support_group=group, service__isnull=True).first()
    if policy is None:
        policy = EscalationPolicy.objects.create(
            support_group=group, name="On-call paging", page_priorities=[1]
        )
    EscalationStep.objects.create(
        policy=policy,
        position=policy.steps.count() + 1,
        target="schedule",
        schedule=schedule,
        wait_minutes=5,
    )
    return policy


def _change(agent: Any, service: Any, tiers: Any, problem: Any, incident: Any) -> Any:
    """A normal change submitted to its advisory group, fixing `problem`, caused `incident`."""
    start = timezone.now() + timedelta(days=2)
    change = changes.change_create(
        actor=agent,
        title="Replace the mail relay certificate",
        service=service,
        description="Renew the expired certificate.",
        risk="low",
        impact="degraded",
        implementation_plan="Install the new certificate.",
        test_plan="Send a test mail.",
        backout_plan="Restore the old certificate.",
        approval_group=next(iter(tiers.values())),
        planned_start=start,
        planned_end=start + timedelta(hours=1),
    )
    change = changes.change_submit(changes.change_assess(change, actor=agent), actor=agent)
    changes.change_link_problem(change, problem=problem, actor=agent)
    changes.change_link_incident(change, incident=incident, actor=agent)
    return change


@pytest.fixture
def sample(
    requester,
    manager,
    agent_l1,
    admin_user,
    service,
    tiers,
    incident_policies,
    request_policies,
    laptop_item,
) -> Sample:
    resolved = _open_incident(requester, agent_l1, service, "Outlook cannot send mail")
    incidents.incident_comment(
        resolved, author=agent_l1, body="We are looking at the relay.", is_internal=False
    )
    attachment_add(
        ticket=resolved,
        uploaded_by=requester,
        upload=SimpleUploadedFile("error.png", PNG_1X1, content_type="image/png"),
    )
    resolved = incidents.incident_resolve(
        resolved,
        actor=agent_l1,
        resolution_code=ResolutionCode.FIXED,
        resolution_notes="The relay certificate was renewed.",
    )

    working = _open_incident(requester, agent_l1, service, "VPN drops every hour")
    incidents.incident_claim(working, actor=agent_l1)
    incidents.incident_comment(working, author=agent_l1, body="Checking logs.", is_internal=True)
    incidents.incident_comment(
        working, author=requester, body="It happened again at 10:00.", is_internal=False
    )
    mailbox = Mailbox.objects.create(
        name="helpdesk", address="helpdesk@example.com", ticket_kind="incident", service=service
    )
    reply = EmailMessage()
    reply["From"] = requester.email
    reply["To"] = mailbox.address
    reply["Subject"] = f"Re: [{working.number}] VPN drops every hour"
    reply["Message-ID"] = "<a11y-reply@mail.example.com>"
    reply.set_content("It drops on Wi-Fi only.")
    inbound, _ = store_message(mailbox, reply.as_bytes())
    process_inbound(inbound.pk)
    _page_the_on_call(working, agent_l1)
    working.refresh_from_db()

    major = _open_incident(
        requester, agent_l1, service, "Payroll is down", category=Category.DATA, is_major=True
    )
    review_start(major, actor=agent_l1)

    known_error = KnownErrorFactory(requester=agent_l1, service=service, title="Relay cert expiry")
    problem_link_incident(known_error, incident=resolved, actor=agent_l1)
    for n in range(3):
        IncidentFactory(
            requester=requester,
            service=service,
            category=Category.NETWORK,
            status=IncidentStatus.CLASSIFIED,
            title=f"Wi-Fi drops on floor {n + 2}",
        )
    proposals_detect(min_incidents=3)

    def new_request(answers: dict[str, str]) -> ServiceRequest:
        return requests.request_create(requester=requester, item=laptop_item, answers=answers)

    answers = {"model": 'Standard 14"', "justification": "Mine is five years old."}
    pending = new_request(answers)
    working_request = requests.request_approve(new_request(answers), actor=manager)
    working_request = requests.request_start(working_request, actor=agent_l1)
    first_task = working_request.tasks.order_by("order").first()
    requests.request_task_set_done(first_task, actor=agent_l1, done=True)
    fulfilled = requests.request_approve(new_request(answers), actor=manager)
    fulfilled = requests.request_start(fulfilled, actor=agent_l1)
    for task in fulfilled.tasks.all():
        requests.request_task_set_done(task, actor=agent_l1, done=True)
    fulfilled = requests.request_fulfil(
        fulfilled, actor=agent_l1, fulfilment_notes="Delivered to your desk."
    )

    schedule = _oncall_schedule(agent_l1)
    change = _change(agent_l1, service, tiers, known_error, resolved)
    return Sample(
        resolved_incident=resolved,
        open_incident=working,
        major_incident=major,
        pending_request=pending,
        working_request=working_request,
        fulfilled_request=fulfilled,
        known_error=known_error,
        item_slug=laptop_item.slug,
        mailbox_id=mailbox.pk,
        inbound_id=inbound.pk,
        schedule_id=schedule.pk,
        policy_id=_oncall_policy(schedule).pk,
        change_number=change.number,
        users={
            "anonymous": None,
            "end_user": requester,
            "manager": manager,
            "agent": agent_l1,
            "admin": admin_user,
        },
    )


# --- The sweep ------------------------------------------------------------------------------


# Closed <details> hold the action forms; open them all (dropping the exclusive-accordion `name`
# that would close the others) so axe checks those forms as well.
OPEN_DISCLOSURES = """() => document.querySelectorAll("details").forEach((d) => {
    d.removeAttribute("name"); d.open = true;
})"""

RUN_AXE = """async () => {
    const result = await axe.run(document, { resultTypes: ["violations", "incomplete"] });
    const nodes = (items) => items.map((n) => ({
        target: n.target.join(" "), html: n.html.slice(0, 200), summary: n.failureSummary,
    }));
    const contrast = result.incomplete.find((r) => r.id === "color-contrast");
    return {
        violations: result.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, nodes: nodes(v.nodes),
        })),
        // Text whose contrast axe could not measure (e.g. over a gradient): to look at by eye.
        contrast_unmeasured: contrast ? nodes(contrast.nodes).map((n) => n.target) : [],
    };
}"""


def _describe(page_name: str, url: str, violation: dict[str, Any]) -> str:
    lines = [f"{page_name} {url}: [{violation['impact']}] {violation['id']} — {violation['help']}"]
    for node in violation["nodes"][:8]:
        lines.append(f"    at {node['target']}: {node['html']}")
    if len(violation["nodes"]) > 8:
        lines.append(f"    … and {len(violation['nodes']) - 8} more elements")
    return "\n".join(lines)


def _visits(role: str, sample: Sample, admin_client: Client) -> list[tuple[str, str, Page]]:
    visits = [
        (
            name,
            reverse(name, args=spec.args(sample)) + (f"?{spec.query}" if spec.query else ""),
            spec,
        )
        for name, spec in PAGES.items()
        if spec.role == role
    ]
    if role == "admin":
        visits += [
            (name, reverse(name), Page("admin")) for name in route_census(admin_client).pages
        ]
    return visits


@pytest.mark.browser
def test_every_page_has_no_serious_accessibility_violations(
    axe_source, new_page, login_with_session, sample, client_for
):
    """One sweep over every role's pages (one data set, one browser context per role); the
    failure lists every problem found, not only the first."""
    shot = Screenshots("accessibility")
    report_path = SCREENSHOT_ROOT / "accessibility" / "axe-report.json"
    report: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    checked: list[str] = []

    for role in ROLES:
        page = new_page()
        page.on(
            "console",
            lambda message, role=role, page=page: (
                problems.append(f"{role} at {page.url}: {message.text}")
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )
        page.on(
            "pageerror",
            lambda error, role=role, page=page: problems.append(
                f"{role} at {page.url}: JavaScript error: {error}"
            ),
        )
        if sample.users[role] is not None:
            login_with_session(page, sample.users[role])
        report[role] = {}
        for name, url, spec in _visits(role, sample, client_for(sample.users["admin"])):
            response = page.goto(url)
            assert response is not None
            assert response.status == 200, f"{name} {url} answered {response.status} for {role}"
            if spec.prepare is not None:
                spec.prepare(page, sample)
            shot(page, f"{role}-{name.replace(':', '-')}")
            page.evaluate(OPEN_DISCLOSURES)
            page.evaluate(axe_source)
            result = page.evaluate(RUN_AXE)
            report[role][url] = {"page": name, **result}
            checked.append(f"{name} as {role}")
            problems.extend(
                _describe(f"{name} as {role}", url, violation)
                for violation in result["violations"]
                if violation["impact"] in BLOCKING_IMPACTS
            )
        page.context.close()

    report_path.write_text(json.dumps(report, indent=2))
    assert not problems, (
        f"Checked {len(checked)} pages: {', '.join(checked)}.\n"
        f"Serious or critical axe violations, CSP violations or JavaScript errors "
        f"(every violation, of any impact, is in {report_path}):\n" + "\n".join(problems)
    )
