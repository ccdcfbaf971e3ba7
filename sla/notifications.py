"""Who hears about an SLA warning or breach. Messages are outbox rows with a dedupe key per
clock, generation and stage, inserted together per sweep batch (a conflict on the key is
skipped), so a repeated sweep can never notify twice.

The sweeper's messages carry their instants in ISO 8601 (the timeline shows them in each
reader's zone); an email shows them in its recipients' zone, so recipients who read dates in
different zones get one email per zone. The site's zone keeps the key `<key>:email`, another
zone gets `<key>:email:<zone>`: the same recipients always give the same keys.

A restricted ticket (a security incident, core.tickets.visibility) is told only to people who
may see it: its assignee, managers and security group members among the group's people; a
group's shared address and chat webhook only when the group handles security.
"""

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Prefetch

from core.choices import Role
from core.models import OutboxMessage, SupportGroup, TicketBase, User
from core.outbox import outbox_enqueue_many
from core.roles import ROLE_GROUP_NAMES
from core.tickets.visibility import is_restricted, readers_of_every_restricted
from core.time_zones import instants_localised, site_zone, zone_of

# (address, the name of the zone its reader reads dates in)
Recipient = tuple[str, str]


def _recipient(user: User) -> Recipient:
    return user.email, zone_of(user).key


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
    _all_managers: list[Recipient] | None = None
    _restricted_readers: set[int] | None = None

    def load_groups(self, group_ids: set[int]) -> None:
        active_members = User.objects.filter(is_active=True).exclude(email="")
        for group in (
            SupportGroup.objects.filter(pk__in=group_ids - self._groups.keys())
            .select_related("manager")
            .prefetch_related(Prefetch("members", queryset=active_members))
        ):
            self._groups[group.pk] = group

    def _group_emails(self, group: SupportGroup, *, restricted: bool) -> list[Recipient]:
        if group.email and (group.handles_security or not restricted):
            # A shared mailbox belongs to no one person: it reads the site's zone.
            return [(group.email, settings.TIME_ZONE)]
        members = group.members.all()
        if restricted and not group.handles_security:
            readers = self._readers()
            return [_recipient(member) for member in members if member.pk in readers]
        return [_recipient(member) for member in members]

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

    def _managers(self) -> list[Recipient]:
        if self._all_managers is None:
            managers = (
                User.objects.filter(is_active=True, groups__name=ROLE_GROUP_NAMES[Role.MANAGER])
                .exclude(email="")
                .distinct()
            )
            self._all_managers = [_recipient(manager) for manager in managers]
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
        assignee: User | None = None,
    ) -> None:
        group = self._groups.get(ticket.support_group_id) if ticket.support_group_id else None
        restricted = is_restricted(ticket)
        recipients: list[Recipient] = []
        if audience.assignee and assignee is not None and assignee.email:
            recipients.append(_recipient(assignee))
        if audience.group and group is not None:
            recipients += self._group_emails(group, restricted=restricted)
        manager = group.manager if group is not None else None
        if (
            audience.manager
            and manager is not None
            and manager.email
            and self._may_see(manager.pk, restricted=restricted)
        ):
            recipients.append(_recipient(manager))
        if audience.all_managers:
            recipients += self._managers()
        for zone_name, addresses in _by_zone(recipients).items():
            zone = ZoneInfo(zone_name)
            suffix = "" if zone_name == settings.TIME_ZONE else f":{zone_name}"
            self.messages.append(
                OutboxMessage(
                    task_name="core.send_email",
                    payload={
                        "to": addresses,
                        "subject": instants_localised(f"[{ticket.number}] {subject}", zone),
                        "body": instants_localised(f"{body}\n\n{link}\n", zone),
                    },
                    dedupe_key=f"{dedupe_key}:email{suffix}",
                )
            )
        chat_allowed = group is not None and (group.handles_security or not restricted)
        if audience.group and group is not None and group.webhook_url and chat_allowed:
            text = instants_localised(f"*{ticket.number}* {subject}\n{body}\n<{link}>", site_zone())
            self.messages.append(
                OutboxMessage(
                    task_name="core.post_webhook",
                    payload={"url": group.webhook_url, "json": {"text": text}},
                    dedupe_key=f"{dedupe_key}:webhook",
                )
            )

    def write(self) -> int:
        return outbox_enqueue_many(self.messages)


def _by_zone(recipients: list[Recipient]) -> dict[str, list[str]]:
    """Addresses per zone, each address once (under the first zone it came with), sorted."""
    zones: dict[str, str] = {}
    for address, zone_name in recipients:
        if address:
            zones.setdefault(address, zone_name)
    grouped: dict[str, list[str]] = {}
    for address in sorted(zones):
        grouped.setdefault(zones[address], []).append(address)
    return dict(sorted(grouped.items()))
