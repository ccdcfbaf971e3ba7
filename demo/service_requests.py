"""Demo service catalog and requests for `manage.py seed_demo` (idempotent).

The catalog (categories, items, their form fields and fulfilment checklists) is looked up by
slug / key and created only when missing. The demo `user` gets the demo `manager` as manager, so
the approval flow can be tried by signing in as both. Requests are created through the services
(timeline and SLA clocks as in real life), and only when there are none yet; each is taken to
its demo status by the actions of the request lifecycle's walk there (demo.walks). Loading demo
data emails nobody: the outbox rows those services wrote are dropped in the same transaction.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from core.choices import Priority
from core.models import OutboxMessage, Service, SupportGroup, User
from core.tickets.kinds import kind_named
from demo.walks import Walks
from service_requests import services
from service_requests.choices import ApprovalMode, FieldType, RequestStatus
from service_requests.models import (
    CatalogCategory,
    CatalogField,
    CatalogItem,
    CatalogTask,
    ServiceRequest,
)

APPROVER_GROUP = "Security approvers"


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    field_type: str
    required: bool = True
    help_text: str = ""
    choices: tuple[str, ...] = ()
    min_value: int | None = None
    max_value: int | None = None


@dataclass(frozen=True)
class ItemSpec:
    category: str
    slug: str
    name: str
    summary: str
    description: str
    group: str
    service: str | None
    approval: str
    tasks: tuple[str, ...]
    fields: tuple[FieldSpec, ...] = field(default=())
    priority: int = Priority.P3


CATEGORIES = (
    ("hardware", "Hardware", "Laptops, screens and other equipment."),
    ("access", "Access and accounts", "VPN, MFA and access to systems."),
    ("software", "Software", "Licences and installations."),
)

ITEMS: tuple[ItemSpec, ...] = (
    ItemSpec(
        "hardware",
        "new-laptop",
        "New laptop",
        "A new company laptop, imaged and ready to use.",
        "For new starters and replacements of laptops older than four years. "
        "Your manager approves the purchase first.",
        "Service Desk",
        "Laptops",
        ApprovalMode.MANAGER,
        ("Order the laptop", "Install the standard image", "Hand it over"),
        (
            FieldSpec(
                "model",
                "Model",
                FieldType.CHOICE,
                choices=('Standard 14"', 'Performance 16"', "MacBook Air 13"),
            ),
            FieldSpec("needed_by", "Needed by", FieldType.DATE, help_text="Allow a week."),
            FieldSpec(
                "justification",
                "Why do you need it?",
                FieldType.LONG_TEXT,
                help_text="Your manager reads this.",
            ),
        ),
    ),
    ItemSpec(
        "hardware",
        "second-monitor",
        "Second monitor",
        "An extra screen for your desk.",
        "",
        "Service Desk",
        None,
        ApprovalMode.NONE,
        ("Deliver the monitor",),
        (FieldSpec("size", "Size", FieldType.CHOICE, choices=('24"', '27"')),),
        Priority.P4,
    ),
    ItemSpec(
        "access",
        "vpn-access",
        "VPN access",
        "Work from outside the office through the company VPN.",
        "The security team approves VPN access.",
        "Service Desk",
        "VPN",
        ApprovalMode.GROUP,
        ("Create the VPN profile", "Send the setup guide"),
        (
            FieldSpec("reason", "What do you need it for?", FieldType.LONG_TEXT),
            FieldSpec(
                "until",
                "Until",
                FieldType.DATE,
                required=False,
                help_text="Leave empty for permanent access.",
            ),
        ),
    ),
    ItemSpec(
        "access",
        "reset-mfa",
        "Reset MFA",
        "Lost or new phone? Reset your multi-factor sign-in.",
        "",
        "Service Desk",
        "Identity & SSO",
        ApprovalMode.NONE,
        ("Verify the person's identity", "Reset the MFA enrolment"),
        (
            FieldSpec("device_lost", "Was the old device lost or stolen?", FieldType.YES_NO),
            FieldSpec(
                "phone",
                "Phone number to call you back",
                FieldType.TEXT,
                required=False,
            ),
        ),
        Priority.P2,
    ),
    ItemSpec(
        "software",
        "software-licence",
        "Software licence",
        "A licence for software outside the standard set.",
        "Your manager approves the cost.",
        "Application Support",
        None,
        ApprovalMode.MANAGER,
        ("Assign the licence", "Confirm activation with the user"),
        (
            FieldSpec(
                "product",
                "Product",
                FieldType.CHOICE,
                choices=("Microsoft Visio", "Adobe Acrobat Pro", "JetBrains IDE"),
            ),
            FieldSpec("seats", "Seats", FieldType.NUMBER, min_value=1, max_value=20),
            FieldSpec(
                "for_user",
                "For someone else?",
                FieldType.USER,
                required=False,
                help_text="Their username or email; leave empty if it is for you.",
            ),
        ),
    ),
)


def _user(username: str) -> User:
    found = User.objects.filter(username=username).first()
    if found is None:
        raise RuntimeError(f"Demo login '{username}' is missing; run seed_demo's reference data.")
    return found


def seed_catalog() -> dict[str, CatalogItem]:
    """Create the demo catalog where missing; return the items by slug."""
    approvers, _ = Group.objects.get_or_create(name=APPROVER_GROUP)
    approvers.user_set.add(_user("manager"))
    categories = {}
    for order, (slug, name, description) in enumerate(CATEGORIES):
        categories[slug], _ = CatalogCategory.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "order": order}
        )
    items = {}
    for order, spec in enumerate(ITEMS):
        item, created = CatalogItem.objects.get_or_create(
            slug=spec.slug,
            defaults={
                "category": categories[spec.category],
                "name": spec.name,
                "summary": spec.summary,
                "description": spec.description,
                "support_group": SupportGroup.objects.get(name=spec.group),
                "service": Service.objects.filter(name=spec.service).first()
                if spec.service
                else None,
                "priority": spec.priority,
                "approval_mode": spec.approval,
                "approver_group": approvers if spec.approval == ApprovalMode.GROUP else None,
                "order": order,
            },
        )
        if created:
            CatalogTask.objects.bulk_create(
                CatalogTask(item=item, title=title, order=i) for i, title in enumerate(spec.tasks)
            )
            CatalogField.objects.bulk_create(
                CatalogField(
                    item=item,
                    key=f.key,
                    label=f.label,
                    field_type=f.field_type,
                    required=f.required,
                    help_text=f.help_text,
                    choices="\n".join(f.choices),
                    min_value=Decimal(f.min_value) if f.min_value is not None else None,
                    max_value=Decimal(f.max_value) if f.max_value is not None else None,
                    order=i,
                )
                for i, f in enumerate(spec.fields)
            )
        items[spec.slug] = item
    return items


@dataclass(frozen=True)
class DemoRequest:
    """A demo request: what the demo user asks for, and the statuses it is taken through (the
    last is where it stays). The steps between come from the request lifecycle (demo.walks);
    `notes` holds what the person taking an action writes, by action, and `tasks_done` how
    many fulfilment tasks are ticked off where it stays."""

    item: str
    answers: dict[str, Any]
    route: tuple[str, ...]
    details: str = ""
    notes: dict[str, str] = field(default_factory=dict)
    tasks_done: int = 0


def _demo_requests() -> tuple[DemoRequest, ...]:
    soon = (timezone.localdate() + timedelta(days=10)).isoformat()
    return (
        DemoRequest(
            "new-laptop",
            {
                "model": 'Performance 16"',
                "needed_by": soon,
                "justification": "My laptop is five years old and cannot run the new CAD tools.",
            },
            route=(RequestStatus.AWAITING_APPROVAL,),
        ),
        DemoRequest(
            "vpn-access",
            {"reason": "On call from home two weeks a month."},
            route=(RequestStatus.IN_FULFILMENT,),
            notes={"approve": "Fine for on-call duty."},
            tasks_done=1,
        ),
        DemoRequest(
            "reset-mfa",
            {"device_lost": False},
            route=(RequestStatus.FULFILLED,),
            notes={"fulfil": "MFA reset; enrol your new phone at next sign-in."},
        ),
        DemoRequest(
            "second-monitor",
            {"size": '27"'},
            route=(RequestStatus.SUBMITTED,),
            details="Desk 4.12, next to the window.",
        ),
        DemoRequest(
            "software-licence",
            {"product": "Microsoft Visio", "seats": 1},
            route=(RequestStatus.REJECTED, RequestStatus.CLOSED),
            notes={"reject": "We use draw.io for diagrams; please try it first."},
        ),
    )


def _finish_tasks(request: ServiceRequest, agent: User, count: int | None = None) -> None:
    for task in list(request.tasks.order_by("order", "id"))[:count]:
        services.request_task_set_done(task, actor=agent, done=True)


Action = Callable[[ServiceRequest, DemoRequest], ServiceRequest]


def _actions(manager: User, agent: User) -> dict[str, Action]:
    """How the demo takes each action: the manager decides, the first-line agent fulfils."""

    def fulfil(request: ServiceRequest, spec: DemoRequest) -> ServiceRequest:
        # The lifecycle refuses to fulfil while a task is open: the agent ticks them off first.
        _finish_tasks(request, agent)
        return services.request_fulfil(request, actor=agent, fulfilment_notes=spec.notes["fulfil"])

    return {
        "approve": lambda request, spec: services.request_approve(
            request, actor=manager, comment=spec.notes["approve"]
        ),
        "reject": lambda request, spec: services.request_reject(
            request, actor=manager, reason=spec.notes["reject"]
        ),
        "start": lambda request, spec: services.request_start(request, actor=agent),
        "fulfil": fulfil,
    }


def _take_through(request: ServiceRequest, spec: DemoRequest, actions: dict[str, Action]) -> None:
    """Take the request along its route, one action of the lifecycle's walk at a time. A
    service may take more than one step (a rejection closes the request too): the walk goes
    on from wherever the request is."""
    route = Walks(kind_named("request").lifecycle).to(*spec.route, start=request.status)
    while request.status != route.end:
        if request.status not in route.statuses:
            raise RuntimeError(f"{request.number} left the demo route at '{request.status}'.")
        step = route.steps[route.statuses.index(request.status)]
        if step.action not in actions:
            raise RuntimeError(f"The demo cannot take the request action '{step.action}'.")
        request = actions[step.action](request, spec)


def _seed_requests(items: dict[str, CatalogItem]) -> int:
    user, manager, agent = _user("user"), _user("manager"), _user("agent1")
    actions = _actions(manager, agent)
    for spec in _demo_requests():
        request = services.request_create(
            requester=user, item=items[spec.item], answers=spec.answers, details=spec.details
        )
        _take_through(request, spec, actions)
        if spec.tasks_done:
            _finish_tasks(request, agent, count=spec.tasks_done)
    return ServiceRequest.objects.count()


def seed_requests_demo() -> dict[str, int]:
    """The demo catalog, the demo user's manager, and requests in several states (idempotent:
    requests are added only when there are none)."""
    with transaction.atomic():
        user, manager = _user("user"), _user("manager")
        if user.manager_id is None:
            user.manager = manager
            user.save(update_fields=["manager"])
        items = seed_catalog()
        if ServiceRequest.objects.exists():
            created = 0
        else:
            last_before = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first()
            created = _seed_requests(items)
            OutboxMessage.objects.filter(
                pk__gt=last_before or 0, dedupe_key__startswith="request:"
            ).delete()
    return {"items": CatalogItem.objects.count(), "requests_created": created}
