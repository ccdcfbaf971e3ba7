"""Emails about incidents, written to the outbox inside the change's transaction."""

from django.conf import settings

from core.models import User
from core.outbox import outbox_enqueue
from incidents.models import Incident


def _link(incident: Incident, *, for_requester: bool) -> str:
    area = "portal" if for_requester else "agent"
    return f"{settings.SITE_URL}/{area}/incidents/{incident.number}/"


def notify_requester(
    incident: Incident, *, subject: str, body: str, key: str, key_is_new: bool = False
) -> None:
    """Email the requester (once per `key` for this incident; `key_is_new` when the incident was
    created in this transaction, so the key cannot have been used)."""
    email = incident.requester.email
    if not email:
        return
    outbox_enqueue(
        task_name="core.send_email",
        payload={
            "to": [email],
            "subject": f"[{incident.number}] {subject}",
            "body": f"{body}\n\nFollow it here: {_link(incident, for_requester=True)}\n",
        },
        dedupe_key=f"incident:{incident.pk}:{key}",
        key_is_new=key_is_new,
    )


def notify_agent(incident: Incident, agent: User, *, subject: str, body: str, key: str) -> None:
    if not agent.email:
        return
    outbox_enqueue(
        task_name="core.send_email",
        payload={
            "to": [agent.email],
            "subject": f"[{incident.number}] {subject}",
            "body": f"{body}\n\n{_link(incident, for_requester=False)}\n",
        },
        dedupe_key=f"incident:{incident.pk}:{key}",
    )
