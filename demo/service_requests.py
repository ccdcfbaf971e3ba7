"""Demo service catalog and requests for `manage.py seed_demo` (idempotent).

The catalog (categories, items, their form fields and fulfilment checklists) is looked up by
slug / key and created only when missing. The demo `user` gets the demo `manager` as manager, so
the approval flow can be tried by signing in as both. Requests are created through the services
(timeline and SLA clocks as in real life), and only when there are none yet. Loading demo data
emails nobody: the outbox rows those services wrote are dropped in the same transaction.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from core.choices import Priority
from core.models import OutboxMessage, Service, SupportGroup, User
from service_requests import services
from service_requests.choices import ApprovalMode, FieldType
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


def _finish_tasks(request: ServiceRequest, agent: User, count: int | None = None) -> None:
    for task in list(request.tasks.order_by("order", "id"))[:count]:
        services.request_task_set_done(task, actor=agent, done=True)


def _seed_requests(items: dict[str, CatalogItem]) -> int:
    user, manager, agent = _user("user"), _user("manager"), _user("agent1")
    soon = (timezone.localdate() + timedelta(days=10)).isoformat()
    services.request_create(
        requester=user,
        item=items["new-laptop"],
        answers={
            "model": 'Performance 16"',
            "needed_by": soon,
            "justification": "My laptop is five years old and cannot run the new CAD tools.",
        },
    )
    vpn = services.request_create(
        requester=user,
        item=items["vpn-access"],
        answers={"reason": "On call from home two weeks a month."},
    )
    vpn = services.request_approve(vpn, actor=manager, comment="Fine for on-call duty.")
    vpn = services.request_start(vpn, actor=agent)
    _finish_tasks(vpn, agent, count=1)
    mfa = services.request_create(
        requester=user, item=items["reset-mfa"], answers={"device_lost": False}
    )
    mfa = services.request_start(mfa, actor=agent)
    _finish_tasks(mfa, agent)
    services.request_fulfil(
        mfa, actor=agent, fulfilment_notes="MFA reset; enrol your new phone at next sign-in."
    )
    services.request_create(
        requester=user,
        item=items["second-monitor"],
        answers={"size": '27"'},
        details="Desk 4.12, next to the window.",
    )
    licence = services.request_create(
        requester=user,
        item=items["software-licence"],
        answers={"product": "Microsoft Visio", "seats": 1},
    )
    services.request_reject(
        licence, actor=manager, reason="We use draw.io for diagrams; please try it first."
    )
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
