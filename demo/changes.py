"""Demo changes for `manage.py seed_demo`: a change advisory board, three templates (one a patch
rollout), and changes across the services in every status — standard ones from the templates,
normal ones through assessment and approval, an emergency change still waiting for its
after-the-fact approval, one change that fixes a demo problem and one that caused a demo
incident.

Everything goes through the services, so numbers, timelines, approvals and links are as in real
use. Idempotent: nothing is added when changes exist already.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from changes import services
from changes.choices import ChangeImpact, ChangeStatus, ChangeType, Risk
from changes.models import Change, ChangeTemplate
from core.choices import Role, Tier
from core.models import ConfigurationItem, Service, SupportGroup, User
from core.roles import ROLE_GROUP_NAMES
from core.tickets.kinds import kind_named
from demo.organisation import DEMO_LOGINS
from incidents.models import Incident
from problems.models import Problem

CAB_NAME = "Change Advisory Board"

TEMPLATES: tuple[dict[str, Any], ...] = (
    {
        "name": "Monthly OS patch rollout",
        "service": "File shares",
        "description": "The month's Debian security updates on every server, ring by ring.",
        "implementation_plan": "Approve the updates in MDM for ring 1, then ring 2 a day later.",
        "test_plan": "Check the MDM compliance report and a sample of laptops per ring.",
        "backout_plan": "Pause the rollout in MDM and uninstall the update on affected rings.",
        "is_patch": True,
    },
    {
        "name": "TLS certificate renewal",
        "service": "Email",
        "description": "Replace a certificate before it expires.",
        "implementation_plan": "Install the renewed certificate and reload the service.",
        "test_plan": "Check the chain with openssl s_client from outside.",
        "backout_plan": "Reinstall the previous certificate (valid until its expiry).",
    },
    {
        "name": "Firewall rule for a new partner",
        "service": "VPN",
        "description": "Open one partner network to one internal service.",
        "implementation_plan": "Add the reviewed rule to the change set and push it.",
        "test_plan": "Connect from the partner's test host.",
        "backout_plan": "Remove the rule and push again.",
        "risk": Risk.MEDIUM,
    },
)


@dataclass(frozen=True)
class DemoChange:
    title: str
    service: str
    status: str
    change_type: str = ChangeType.NORMAL
    template: str = ""
    risk: str = Risk.MEDIUM
    impact: str = ChangeImpact.DEGRADED
    # Days from now the window starts (negative: it is over).
    starts_in_days: int = 3
    via_failure: bool = False


N, S, E = ChangeType.NORMAL, ChangeType.STANDARD, ChangeType.EMERGENCY
ST = ChangeStatus
PATCH, CERT, FIREWALL = (t["name"] for t in TEMPLATES)

DEMO_CHANGES: tuple[DemoChange, ...] = (
    DemoChange("Move the ERP database to new storage", "ERP", ST.DRAFT, risk=""),
    DemoChange("Replace the Wi-Fi controller", "Wi-Fi", ST.DRAFT, risk="", impact=""),
    DemoChange("Upgrade the VPN gateways to 7.4", "VPN", ST.ASSESSING),
    DemoChange("Enable MFA number matching", "Identity & SSO", ST.ASSESSING, risk=Risk.LOW),
    DemoChange(
        "Split the mail gateway into two sites", "Email", ST.AWAITING_APPROVAL, risk=Risk.HIGH
    ),
    DemoChange("New backup schedule for file shares", "File Shares", ST.AWAITING_APPROVAL),
    DemoChange("ERP year-end batch tuning", "ERP", ST.APPROVED, starts_in_days=6),
    DemoChange("Raise the mailbox size limit", "Email", ST.APPROVED, risk=Risk.LOW),
    DemoChange("Retire the old print server", "Printing", ST.REJECTED),
    DemoChange("Roll the VPN client to 5.3", "VPN", ST.SCHEDULED, starts_in_days=2),
    DemoChange(
        "Server OS patches, December", "File shares", ST.SCHEDULED, S, PATCH, starts_in_days=1
    ),
    DemoChange("Renew the webmail certificate", "Email", ST.SCHEDULED, S, CERT, starts_in_days=4),
    DemoChange("Add a Wi-Fi access point on 3rd floor", "Wi-Fi", ST.IMPLEMENTING, starts_in_days=0),
    DemoChange(
        "Partner network for Logistics", "VPN", ST.IMPLEMENTING, S, FIREWALL, starts_in_days=0
    ),
    DemoChange(
        "Block the exploited SSO endpoint", "Identity & SSO", ST.IMPLEMENTING, E, risk=Risk.HIGH
    ),
    DemoChange("Rebalance the mail databases", "Email", ST.IMPLEMENTED, starts_in_days=-1),
    DemoChange(
        "Server OS patches, November", "File shares", ST.IMPLEMENTED, S, PATCH, starts_in_days=-2
    ),
    DemoChange("ERP reporting index rebuild", "ERP", ST.FAILED, starts_in_days=-2),
    DemoChange("Wi-Fi firmware 8.10", "Wi-Fi", ST.BACKED_OUT, starts_in_days=-3),
    DemoChange(
        "SSO session timeout to 12 hours",
        "Identity & SSO",
        ST.IN_REVIEW,
        starts_in_days=-4,
        via_failure=True,
    ),
    DemoChange("Mail relay TLS 1.3 only", "Email", ST.IN_REVIEW, starts_in_days=-5),
    DemoChange(
        "Server OS patches, October", "File shares", ST.CLOSED, S, PATCH, starts_in_days=-30
    ),
    DemoChange("VPN RADIUS failover", "VPN", ST.CLOSED, starts_in_days=-12),
    DemoChange("ERP archive old orders", "ERP", ST.CANCELLED),
    DemoChange("Guest Wi-Fi captive portal", "Wi-Fi", ST.CANCELLED, starts_in_days=10),
)


def _users() -> tuple[User | None, User | None]:
    """Who raises the demo changes (agent2), and who chairs the board (the manager)."""

    def first(username: str, role: Role) -> User | None:
        people = User.objects.filter(is_active=True, groups__name=ROLE_GROUP_NAMES[role])
        return people.filter(username=username).first() or people.order_by("pk").first()

    return first("agent2", Role.AGENT), first("manager", Role.MANAGER)


def _board_members() -> list[User]:
    """Two engineers who are not demo logins (those keep their one group each)."""
    logins = {login.username for login in DEMO_LOGINS}
    agents = User.objects.filter(is_active=True, groups__name=ROLE_GROUP_NAMES[Role.AGENT])
    return list(
        agents.filter(support_groups__tier=Tier.L3).exclude(username__in=logins).order_by("pk")[:2]
    )


def _board(manager: User, members: list[User]) -> SupportGroup:
    board, _ = SupportGroup.objects.get_or_create(
        name=CAB_NAME,
        defaults={"tier": Tier.L2, "manager": manager, "email": "cab@example.com"},
    )
    board.members.add(manager, *members)
    return board


def _templates(actor: User) -> dict[str, ChangeTemplate]:
    made = {}
    for spec in TEMPLATES:
        fields = {k: v for k, v in spec.items() if k not in ("name", "service")}
        made[spec["name"]], _ = ChangeTemplate.objects.get_or_create(
            name=spec["name"],
            defaults={
                **fields,
                "service": Service.objects.filter(name=spec["service"]).first(),
                "created_by": actor,
                "created_at": timezone.now(),
            },
        )
    return made


def _walk(change: Change, spec: DemoChange, actor: User, approver: User) -> Change:
    """Take a change from draft to the spec's status through the services."""
    for step in _steps(spec, actor, approver):
        if change.status == spec.status:
            break
        change = step(change)
    return change


def _steps(spec: DemoChange, actor: User, approver: User) -> list[Callable[[Change], Any]]:
    """The services that take a change of the spec's type towards its status, in order."""
    target = spec.status
    steps: list[Callable[[Change], Any]] = []
    if spec.change_type == ChangeType.STANDARD:
        steps.append(lambda c: services.change_schedule(c, actor=actor))
    elif spec.change_type == ChangeType.EMERGENCY:
        steps.append(lambda c: services.change_start_emergency(c, actor=actor))
    else:
        decision, comment = ("approved", "Fine in this window.")
        if target == ST.REJECTED:
            decision = "rejected"
            comment = "No tested back-out for the print queues; revise and resubmit."
        steps += [
            lambda c: services.change_assess(c, actor=actor),
            lambda c: services.change_submit(c, actor=actor),
            lambda c: (
                services.change_decide(c, actor=approver, decision=decision, comment=comment).change
            ),
            lambda c: services.change_schedule(c, actor=actor),
        ]
    if spec.change_type != ChangeType.EMERGENCY:
        steps.append(lambda c: services.change_start(c, actor=actor))
    if target == ST.BACKED_OUT:
        notes = "Clients dropped off after the upgrade; rolled back."
        steps.append(lambda c: services.change_back_out(c, actor=actor, outcome_notes=notes))
    elif target == ST.FAILED or spec.via_failure:
        notes = "It ran past the window and was stopped."
        steps.append(lambda c: services.change_fail(c, actor=actor, outcome_notes=notes))
    else:
        steps.append(lambda c: services.change_complete(c, actor=actor, outcome_notes="Done."))
    if target == ST.CLOSED:
        steps.append(lambda c: services.change_close(c, actor=actor, resolve_problems=False).change)
    else:
        steps.append(lambda c: services.change_review(c, actor=actor))
    return steps


def _make(
    spec: DemoChange, actor: User, board: SupportGroup, templates: dict[str, ChangeTemplate]
) -> Change | None:
    service = Service.objects.filter(name=spec.service, is_active=True).first()
    if service is None:
        return None
    start = (timezone.now() + timedelta(days=spec.starts_in_days)).replace(
        minute=0, second=0, microsecond=0
    ) + timedelta(hours=20 if spec.starts_in_days else 1)
    end = start + timedelta(hours=2)
    item = (
        ConfigurationItem.objects.filter(service=service, is_active=True).order_by("name").first()
    )
    if spec.template:
        return services.change_create_from_template(
            templates[spec.template],
            actor=actor,
            title=spec.title,
            configuration_item=item if templates[spec.template].service_id == service.pk else None,
            planned_start=start,
            planned_end=end,
        )
    planned = spec.status != ST.DRAFT
    timed = planned and spec.change_type != ChangeType.EMERGENCY
    return services.change_create(
        actor=actor,
        title=spec.title,
        change_type=spec.change_type,
        description=f"{spec.title}, on {service.name}.",
        risk=spec.risk if planned or spec.risk else "",
        impact=spec.impact,
        implementation_plan=f"Follow the runbook for {service.name}." if planned else "",
        test_plan="Run the service's smoke tests and watch the dashboards for an hour."
        if planned
        else "",
        backout_plan=f"Restore {service.name} from the snapshot taken before the window."
        if planned
        else "",
        service=service,
        configuration_item=item,
        approval_group=board if spec.change_type != ChangeType.STANDARD else None,
        planned_start=start if timed else None,
        planned_end=end if timed else None,
    )


def seed_changes_demo() -> dict[str, int]:
    """Create the demo board, templates and changes (nothing when changes exist)."""
    counts = {"templates": 0, "changes": 0, "links": 0}
    actor, approver = _users()
    if actor is None or approver is None or Change.objects.exists():
        return counts
    with transaction.atomic():
        board = _board(approver, _board_members())
        templates = _templates(approver)
        counts["templates"] = len(templates)
        made: dict[str, Change] = {}
        for spec in DEMO_CHANGES:
            change = _make(spec, actor, board, templates)
            if change is None:
                continue
            if spec.status == ST.CANCELLED:
                if spec.starts_in_days:
                    change = services.change_assess(change, actor=actor)
                change = services.change_cancel(
                    change, actor=actor, cancel_reason="Superseded by the new platform."
                )
            else:
                change = _walk(change, spec, actor, approver)
            made[spec.title] = change
        counts["changes"] = len(made)
        counts["links"] = _link(made, actor)
    return counts


def _link(made: dict[str, Change], actor: User) -> int:
    """One scheduled change fixes an open demo problem; one implemented change caused an
    incident of a demo requester."""
    links = 0
    fixing = made.get("Roll the VPN client to 5.3")
    problem = (
        Problem.objects.filter(status__in=sorted(kind_named("problem").lifecycle.open))
        .order_by("pk")
        .first()
    )
    if fixing is not None and problem is not None:
        services.change_link_problem(fixing, problem=problem, actor=actor)
        links += 1
    causing = made.get("Rebalance the mail databases")
    incident = (
        Incident.objects.filter(requester__username="user")
        .exclude(change_links__isnull=False)
        .order_by("-pk")
        .first()
    )
    if causing is not None and incident is not None:
        services.change_link_incident(causing, incident=incident, actor=actor)
        links += 1
    return links
