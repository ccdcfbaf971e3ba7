"""Who hears about an SLA warning or breach, written to the outbox with a dedupe key per clock,
generation and stage, so a repeated sweep can never notify twice."""

from django.db.models import Q

from core.choices import Role
from core.models import SupportGroup, TicketBase, User
from core.outbox import outbox_enqueue
from core.roles import ROLE_GROUP_NAMES


def group_emails(group: SupportGroup | None) -> list[str]:
    if group is None:
        return []
    if group.email:
        return [group.email]
    return list(
        group.members.filter(is_active=True).exclude(email="").values_list("email", flat=True)
    )


def manager_emails(group: SupportGroup | None) -> list[str]:
    if group is not None and group.manager_id and group.manager and group.manager.email:
        return [group.manager.email]
    return []


def all_manager_emails() -> list[str]:
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(groups__name=ROLE_GROUP_NAMES[Role.MANAGER]))
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )


def notify(
    *,
    ticket: TicketBase,
    dedupe_key: str,
    subject: str,
    body: str,
    link: str,
    include_assignee: bool = True,
    include_group: bool = True,
    include_manager: bool = False,
    include_all_managers: bool = False,
) -> None:
    group = ticket.support_group
    recipients: list[str] = []
    if include_assignee and ticket.assignee_id and ticket.assignee and ticket.assignee.email:
        recipients.append(ticket.assignee.email)
    if include_group:
        recipients += group_emails(group)
    if include_manager:
        recipients += manager_emails(group)
    if include_all_managers:
        recipients += all_manager_emails()
    unique = sorted(set(recipients))
    text = f"{body}\n\n{link}\n"
    if unique:
        outbox_enqueue(
            task_name="core.send_email",
            payload={"to": unique, "subject": f"[{ticket.number}] {subject}", "body": text},
            dedupe_key=f"{dedupe_key}:email",
        )
    if include_group and group is not None and group.webhook_url:
        outbox_enqueue(
            task_name="core.post_webhook",
            payload={
                "url": group.webhook_url,
                "json": {"text": f"*{ticket.number}* {subject}\n{body}\n<{link}>"},
            },
            dedupe_key=f"{dedupe_key}:webhook",
        )
