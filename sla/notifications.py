"""Who hears about an SLA warning or breach. Messages are outbox rows with a dedupe key per
clock, generation and stage, inserted together per sweep batch (a conflict on the key is
skipped), so a repeated sweep can never notify twice.

A restricted ticket (a security incident, core.tickets.visibility) is told only to people who
may see it: its assignee, managers and security group members among the group's people; a
group's shared address and chat webhook only when the group handles security."""

from dataclasses import dataclass, field

from django.db.models import Prefetch

from core.choices import Role
from core.models import OutboxMessage, SupportGroup, TicketBase, User
from core.outbox import outbox_enqueue_many
from core.roles import ROLE_GROUP_NAMES
from core.tickets.visibility import is_restricted, readers_of_every_restricted


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
    _restricted_readers: set[int] | None = None

    def load_groups(self, group_ids: set[int]) -> None:
        active_members = User.objects.filter(is_active=True).exclude(email="")
        for group in (
            SupportGroup.objects.filter(pk__in=group_ids - self._groups.keys())
            .select_related("manager")
            .prefetch_related(Prefetch("members", queryset=active_members))
        ):
            self._groups[group.pk] = group

    def _group_emails(self, group: SupportGroup, *, restricted: bool) -> list[str]:
        if group.email and (group.handles_security or not restricted):
            return [group.email]
        members = group.members.all()
        if restricted and not group.handles_security:
            readers = self._readers()
            return [member.email for member in members if member.pk in readers]
        return [member.email for member in members]

    def _may_see(self, user_id: int, *, restricted: bool) -> bool:
        return not restricted or user_id in self._readers()

    def _readers(self) -> set[int]:
        """Who among the loaded groups' people sees every restricted ticket (one query, only
        once a batch holds a restricted ticket)."""
        if self._restricted_readers is None:
            people = {
                member.pk for group in self._groups.values() for member in group.members.all()
            }
            people |= {group.manager_id for group in self._groups.values() if group.manager_id}
            self._restricted_readers = readers_of_every_restricted(people)
        return self._restricted_readers

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
        restricted = is_restricted(ticket)
        recipients: list[str] = []
        if audience.assignee and assignee_email:
            recipients.append(assignee_email)
        if audience.group and group is not None:
            recipients += self._group_emails(group, restricted=restricted)
        manager = group.manager if group is not None else None
        if (
            audience.manager
            and manager is not None
            and manager.email
            and self._may_see(manager.pk, restricted=restricted)
        ):
            recipients.append(manager.email)
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
        chat_allowed = group is not None and (group.handles_security or not restricted)
        if audience.group and group is not None and group.webhook_url and chat_allowed:
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
