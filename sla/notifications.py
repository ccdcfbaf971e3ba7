"""Who hears about an SLA warning or breach. Messages are outbox rows with a dedupe key per
clock, generation and stage, inserted together per sweep batch (a conflict on the key is
skipped), so a repeated sweep can never notify twice."""

from dataclasses import dataclass, field

from django.db.models import Prefetch

from core.choices import Role
from core.models import OutboxMessage, SupportGroup, TicketBase, User
from core.outbox import outbox_enqueue_many
from core.roles import ROLE_GROUP_NAMES


@dataclass
class Audience:
    assignee: bool = True
    group: bool = True
    manager: bool = False
    all_managers: bool = False


@dataclass
class NotificationBatch:
    """Collects the notifications of one sweep batch and writes them with one insert."""

    messages: list[OutboxMessage] = field(default_factory=list)
    _groups: dict[int, SupportGroup] = field(default_factory=dict)
    _all_managers: list[str] | None = None

    def load_groups(self, group_ids: set[int]) -> None:
        active_members = User.objects.filter(is_active=True).exclude(email="")
        for group in (
            SupportGroup.objects.filter(pk__in=group_ids - self._groups.keys())
            .select_related("manager")
            .prefetch_related(Prefetch("members", queryset=active_members))
        ):
            self._groups[group.pk] = group

    def _group_emails(self, group: SupportGroup) -> list[str]:
        if group.email:
            return [group.email]
        return [member.email for member in group.members.all()]

    def _managers(self) -> list[str]:
        if self._all_managers is None:
            self._all_managers = list(
                User.objects.filter(is_active=True, groups__name=ROLE_GROUP_NAMES[Role.MANAGER])
                .exclude(email="")
                .values_list("email", flat=True)
                .distinct()
            )
        return self._all_managers

    def add(
        self,
        *,
        ticket: TicketBase,
        dedupe_key: str,
        subject: str,
        body: str,
        link: str,
        audience: Audience,
        assignee_email: str = "",
    ) -> None:
        group = self._groups.get(ticket.support_group_id) if ticket.support_group_id else None
        recipients: list[str] = []
        if audience.assignee and assignee_email:
            recipients.append(assignee_email)
        if audience.group and group is not None:
            recipients += self._group_emails(group)
        if audience.manager and group is not None and group.manager and group.manager.email:
            recipients.append(group.manager.email)
        if audience.all_managers:
            recipients += self._managers()
        if recipients:
            self.messages.append(
                OutboxMessage(
                    task_name="core.send_email",
                    payload={
                        "to": sorted(set(recipients)),
                        "subject": f"[{ticket.number}] {subject}",
                        "body": f"{body}\n\n{link}\n",
                    },
                    dedupe_key=f"{dedupe_key}:email",
                )
            )
        if audience.group and group is not None and group.webhook_url:
            self.messages.append(
                OutboxMessage(
                    task_name="core.post_webhook",
                    payload={
                        "url": group.webhook_url,
                        "json": {"text": f"*{ticket.number}* {subject}\n{body}\n<{link}>"},
                    },
                    dedupe_key=f"{dedupe_key}:webhook",
                )
            )

    def write(self) -> int:
        return outbox_enqueue_many(self.messages)
