"""What benchmarks/faults.py writes into its fresh database and reads back to judge a fault:
the setup (users, tokens, groups, a webhook subscription), the outbox's state, and the counts of
lost and duplicated incidents, emails, webhook deliveries and SLA actions.

Runs in the benchmark's own process with Django pointed straight at the cluster (not through
the proxy, so cutting the proxy never blinds the measurement).
"""

import os
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.parser import BytesHeaderParser
from pathlib import Path

UNFINISHED = ("pending", "dispatched", "running")
SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def django_setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    # The benchmark's webhook receiver listens on loopback, which subscriptions refuse otherwise.
    os.environ["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = "true"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


@dataclass
class Setup:
    client_tokens: list[str]
    agent_tokens: list[str]
    r5_priority: int


def create_setup(*, clients: int, agents: int, webhook_url: str) -> Setup:
    """End users with an email each (every create mails its requester), agents in an L1 group,
    L1-L3 groups with a manager (SLA escalation needs them), a 24x7 calendar, and a webhook
    subscription for incident.created."""
    from django.contrib.auth.models import Group

    from core.api.tokens import api_token_create
    from core.choices import Role, Tier
    from core.models import SupportGroup, User
    from core.roles import ROLE_GROUP_NAMES
    from core.webhooks.services import webhook_subscription_create
    from incidents.priority import priority_for

    manager = User.objects.create(username="manager", email="manager@example.com")
    manager.groups.add(Group.objects.get(name=ROLE_GROUP_NAMES[Role.MANAGER]))
    groups = {
        tier: SupportGroup.objects.create(
            name=f"Tier {tier}", tier=tier, manager=manager, email=f"l{tier}@example.com"
        )
        for tier in (Tier.L1, Tier.L2, Tier.L3)
    }
    end_users = Group.objects.get(name=ROLE_GROUP_NAMES[Role.END_USER])
    agent_group = Group.objects.get(name=ROLE_GROUP_NAMES[Role.AGENT])
    client_tokens, agent_tokens = [], []
    for number in range(clients):
        user = User.objects.create(username=f"client{number}", email=f"client{number}@example.com")
        user.groups.add(end_users)
        client_tokens.append(
            api_token_create(user=user, name="faults", scopes=["read", "write"]).secret
        )
    for number in range(agents):
        agent = User.objects.create(username=f"agent{number}", email=f"agent{number}@example.com")
        agent.groups.add(agent_group)
        groups[Tier.L1].members.add(agent)
        agent_tokens.append(
            api_token_create(user=agent, name="faults", scopes=["read", "write"]).secret
        )
    webhook_subscription_create(
        name="faults receiver",
        url=webhook_url,
        event_types=["incident.created"],
        created_by=manager,
    )
    return Setup(client_tokens, agent_tokens, priority_for("high", "high"))


def sla_policy_create(priority: int, response_seconds: int) -> None:
    """A policy whose response target falls due seconds after a create (R5 only uses it)."""
    from sla.models import Calendar, SlaPolicy

    calendar, _ = Calendar.objects.get_or_create(name="24x7", defaults={"is_24x7": True})
    SlaPolicy.objects.create(
        name=f"faults P{priority}",
        ticket_kind="incident",
        priority=priority,
        calendar=calendar,
        response_target=timedelta(seconds=response_seconds),
        resolution_target=timedelta(days=30),
    )


# --- the outbox --------------------------------------------------------------------------------


def db_now() -> datetime:
    from django.utils import timezone

    return timezone.now()


def unfinished(created_before: datetime | None = None) -> int:
    from core.models import OutboxMessage

    rows = OutboxMessage.objects.filter(status__in=UNFINISHED)
    if created_before is not None:
        rows = rows.filter(created_at__lte=created_before)
    return rows.count()


def wait_drained(created_before: datetime, *, since: float, limit: float) -> float | None:
    """Seconds from `since` (a monotonic time) until no outbox row created before
    `created_before` is unfinished; None when that did not happen within `limit` seconds."""
    from django.db import connection

    deadline = since + limit
    while time.monotonic() < deadline:
        try:
            if unfinished(created_before) == 0:
                return time.monotonic() - since
        except Exception:  # the database may be on its way back
            connection.close()
        time.sleep(0.5)
    return None


def outbox_by_status(created_after: datetime) -> Counter[str]:
    from django.db.models import Count

    from core.models import OutboxMessage

    rows = (
        OutboxMessage.objects.filter(created_at__gte=created_after)
        .values_list("status")
        .annotate(n=Count("id"))
    )
    return Counter(dict(rows))


def interrupted_emails(created_after: datetime) -> int:
    from core.models import OutboxMessage
    from core.outbox import INTERRUPTED_ERROR

    return OutboxMessage.objects.filter(
        created_at__gte=created_after, task_name="core.send_email", last_error=INTERRUPTED_ERROR
    ).count()


# --- incidents ---------------------------------------------------------------------------------


@dataclass
class IncidentCheck:
    lost: int  # acknowledged, not in the database
    duplicated: int  # extra incidents with the title of one create
    half_written: int  # incidents without their "created" timeline event


def check_incidents(label: str, acked: dict[str, str]) -> IncidentCheck:
    from django.db.models import Count

    from core.models import TimelineEvent
    from incidents.models import Incident

    phase = Incident.objects.filter(title__startswith=f"fault {label} ")
    stored = dict(phase.values_list("title", "number"))
    lost = sum(1 for title, number in acked.items() if stored.get(title) != number)
    counts = phase.values("title").annotate(n=Count("id")).filter(n__gt=1)
    duplicated = sum(row["n"] - 1 for row in counts)
    ids = list(phase.values_list("id", flat=True))
    with_event = set(
        TimelineEvent.objects.filter(ticket_id__in=ids, kind="created").values_list(
            "ticket_id", flat=True
        )
    )
    return IncidentCheck(lost, duplicated, len(set(ids) - with_event))


# --- emails and webhooks -----------------------------------------------------------------------


def emails_sent(folder: Path) -> Counter[tuple[str, str]]:
    """(recipients, subject) of every message the file-based backend wrote, counted."""
    parser = BytesHeaderParser()
    sent: Counter[tuple[str, str]] = Counter()
    for path in folder.glob("*.log"):
        for raw in path.read_bytes().split(SEPARATOR):
            if raw.strip():
                message = parser.parsebytes(raw.lstrip(b"\n"))
                sent[(str(message["To"]), str(message["Subject"]))] += 1
    return sent


@dataclass
class WebhookCheck:
    deliveries: int  # delivery rows created in the phase
    not_received: int  # deliveries finished (succeeded or failed) the receiver never saw
    queued: int  # deliveries still pending (not lost yet: the outbox has not reached them)
    repeated_same_id: int  # extra POSTs of one delivery id (at-least-once, allowed)
    duplicated_events: int  # one event under two delivery ids (never allowed)


def check_webhooks(created_after: datetime, received: list[tuple[float, str, str]]) -> WebhookCheck:
    from core.webhooks.models import WebhookDelivery

    rows = dict(
        WebhookDelivery.objects.filter(created_at__gte=created_after).values_list(
            "delivery_id", "status"
        )
    )
    ids = {str(pk): status for pk, status in rows.items()}
    by_id = Counter(delivery for _at, delivery, _event in received if delivery in ids)
    events: dict[str, set[str]] = {}
    for _at, delivery, event in received:
        if delivery in ids:
            events.setdefault(event, set()).add(delivery)
    missing = [status for pk, status in ids.items() if pk not in by_id]
    return WebhookCheck(
        deliveries=len(ids),
        not_received=sum(1 for status in missing if status != "pending"),
        queued=sum(1 for status in missing if status == "pending"),
        repeated_same_id=sum(n - 1 for n in by_id.values()),
        duplicated_events=sum(len(d) - 1 for d in events.values()),
    )


# --- SLA actions -------------------------------------------------------------------------------


@dataclass
class SlaCheck:
    breached_clocks: int
    missing_actions: int  # breached clocks with no escalation/SLA timeline event
    duplicated_actions: int  # extra events for one clock


def check_sla(label: str) -> SlaCheck:
    """One escalation (or SLA event) per breached response clock of the phase's incidents."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Count

    from core.models import TimelineEvent
    from incidents.models import Incident
    from sla.models import SlaClock

    ids = list(
        Incident.objects.filter(title__startswith=f"fault {label} ").values_list("id", flat=True)
    )
    content_type = ContentType.objects.get_for_model(Incident)
    breached = set(
        SlaClock.objects.filter(
            ticket_type=content_type,
            ticket_id__in=ids,
            metric="response",
            breached_at__isnull=False,
        ).values_list("ticket_id", flat=True)
    )
    events = dict(
        TimelineEvent.objects.filter(ticket_id__in=ids, kind__in=["escalated", "sla"])
        .values_list("ticket_id")
        .annotate(n=Count("id"))
    )
    return SlaCheck(
        breached_clocks=len(breached),
        missing_actions=sum(1 for pk in breached if not events.get(pk)),
        duplicated_actions=sum(n - 1 for n in events.values() if n > 1),
    )


def sla_due_unprocessed(label: str) -> int:
    """Response clocks of the phase past due and not yet marked breached (the sweeper has work
    left; a breached clock stays "running" until the ticket responds)."""
    from django.utils import timezone

    from incidents.models import Incident
    from sla.models import SlaClock

    ids = Incident.objects.filter(title__startswith=f"fault {label} ").values_list("id", flat=True)
    return SlaClock.objects.filter(
        ticket_id__in=list(ids),
        metric="response",
        state="running",
        breached_at__isnull=True,
        due_at__lt=timezone.now(),
    ).count()


def sweep_seen() -> datetime | None:
    from core.leases import last_heartbeat

    return last_heartbeat("sla.sweep")


def email_rows_create(count: int, label: str) -> list[int]:
    """`count` pending email outbox rows, one recipient each; their ids."""
    from django.db import transaction

    from core.models import OutboxMessage
    from core.outbox import outbox_enqueue_many

    rows = [
        OutboxMessage(
            task_name="core.send_email",
            payload={"to": [f"reader{i}@example.com"], "subject": f"{label} {i}", "body": "Hi."},
        )
        for i in range(count)
    ]
    with transaction.atomic():
        for start in range(0, count, 1000):
            outbox_enqueue_many(rows[start : start + 1000])
    return [row.pk for row in rows]


def in_process_email_rate(count: int, batch: int) -> float:
    """Rows/s of the email task run in THIS process, one batch after another (one slot, no
    broker, locmem backend): what one worker slot could do on this machine right now. Call
    while no worker runs, or it would compete for the rows."""
    from django.conf import settings

    from core.tasks import send_email_task

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ids = email_rows_create(count, "R7 in-process")
    started = time.perf_counter()
    for start in range(0, len(ids), batch):
        send_email_task(ids[start : start + batch])
    return count / (time.perf_counter() - started)
