"""Emergency changes still waiting for their after-the-fact approval: once one has been
implementing for CHANGE_EMERGENCY_APPROVAL_HOURS without it, the managers are emailed, once per
change (a compare-and-set on `emergency_reminded_at`, and the outbox's dedupe key behind it)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from changes.choices import ChangeStatus, ChangeType
from changes.models import Change
from core.choices import Role
from core.models import User
from core.outbox import outbox_enqueue
from core.outgoing_mail import email_payload
from core.roles import ROLE_GROUP_NAMES
from core.tickets.kinds import kind_of

BATCH = 200


def emergency_approval_deadline(now: datetime | None = None) -> datetime:
    """Emergency changes that started implementing before this are overdue for approval."""
    hours = max(0, int(settings.CHANGE_EMERGENCY_APPROVAL_HOURS))
    return (now or timezone.now()) - timedelta(hours=hours)


def is_approval_overdue(change: Change, *, deadline: datetime) -> bool:
    return (
        change.change_type == ChangeType.EMERGENCY
        and change.approved_at is None
        and change.implementing_at is not None
        and change.implementing_at <= deadline
        and change.status != ChangeStatus.CANCELLED
    )


def _managers() -> list[str]:
    names = [ROLE_GROUP_NAMES[Role.MANAGER], ROLE_GROUP_NAMES[Role.ADMIN]]
    people = User.objects.filter(is_active=True, groups__name__in=names).exclude(email="")
    return sorted(set(people.values_list("email", flat=True)))


def emergency_approvals_remind(*, now: datetime | None = None) -> int:
    """Email the managers about each emergency change overdue for its approval that nobody was
    told about yet; returns how many changes were announced. Safe to run twice or at once."""
    deadline = emergency_approval_deadline(now)
    due = list(
        Change.objects.filter(
            change_type=ChangeType.EMERGENCY,
            approved_at__isnull=True,
            implementing_at__lte=deadline,
            emergency_reminded_at__isnull=True,
        )
        .order_by("implementing_at", "id")
        .values_list("pk", flat=True)[:BATCH]
    )
    if not due:
        return 0
    recipients = _managers()
    told = 0
    for pk in due:
        with transaction.atomic():
            claimed = Change.objects.filter(pk=pk, emergency_reminded_at__isnull=True).update(
                emergency_reminded_at=timezone.now()
            )
            if not claimed:
                continue
            change = Change.objects.get(pk=pk)
            told += 1
            if recipients:
                outbox_enqueue(
                    task_name="core.send_email",
                    payload=_email(change, recipients),
                    dedupe_key=f"change-emergency-approval:{change.pk}",
                )
    return told


def _email(change: Change, recipients: list[str]) -> dict[str, object]:
    hours = int(settings.CHANGE_EMERGENCY_APPROVAL_HOURS)
    started = timezone.localtime(change.implementing_at).strftime("%Y-%m-%d %H:%M %Z")
    return email_payload(
        to=recipients,
        subject=f"[{change.number}] Emergency change still unapproved: {change.title}",
        body=(
            f"The emergency change {change.number} ({change.title}) started implementing on "
            f"{started} and has not been approved after the fact within {hours} hours.\n\n"
            f"Approve it (or back it out): {kind_of(change).agent_url(change.number)}\n"
        ),
        headers={"Auto-Submitted": "auto-generated"},
    )
