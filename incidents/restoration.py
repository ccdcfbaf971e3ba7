"""When the service came back: the instant MTBF ends an incident's outage at.

The resolution sets Incident.service_restored_at to its own time unless an agent recorded it
before (incidents.services.incident_resolve), a reopen clears it; here an agent records or
corrects it, from the incident page or the API (the `service_restored` action).
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.choices import EventKind, Source
from core.exceptions import TransitionError, ValidationFailed
from core.models import TimelineEvent, User
from core.roles import is_agent
from core.tickets.events import details_edited_event
from core.tickets.executor import ticket_lock, ticket_save
from core.tickets.kinds import kind_of
from incidents.choices import IncidentStatus
from incidents.models import Incident


def _outage_start(incident: Incident) -> datetime:
    """When the incident's current outage began: its report, or its last reopen."""
    reopened = (
        TimelineEvent.objects.filter(
            ticket_type_id=kind_of(incident).content_type_id,
            ticket_id=incident.pk,
            kind=EventKind.STATUS_CHANGED,
            from_status=IncidentStatus.RESOLVED,
        )
        .order_by("-id")
        .values_list("created_at", flat=True)
        .first()
    )
    return reopened or incident.identified_at


def incident_record_service_restored(
    incident: Incident,
    *,
    actor: User | None,
    service_restored_at: datetime | None,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Incident:
    """Record when the service was back for its users; MTBF ends the outage there.

    Agents only, on any incident but a cancelled one (a review often settles the instant
    after the incident closed). The instant must lie between the start of the current outage
    (the report, or the last reopen) and now, and not after the resolution: a ValidationFailed
    on `service_restored_at` otherwise, and nothing changes. Appends a fields-changed event
    with the instant, which is where MTBF finds each earlier pass's value of a reopened
    incident. Setting the value it already has changes nothing."""
    if actor is None or not is_agent(actor):
        raise TransitionError("Only agents can record when the service was restored.")
    if service_restored_at is None:
        raise ValidationFailed({"service_restored_at": "Give the date and time."})
    if timezone.is_naive(service_restored_at):
        raise ValidationFailed({"service_restored_at": "Give a time zone with the time."})
    with transaction.atomic():
        locked = ticket_lock(incident, expected_version)
        if locked.status == IncidentStatus.CANCELLED:
            raise TransitionError(f"{locked.number} is cancelled: it was no outage.")
        now = timezone.now()
        _check_restored(service_restored_at, since=_outage_start(locked), locked=locked, now=now)
        if locked.service_restored_at == service_restored_at:
            return locked
        locked.service_restored_at = service_restored_at
        ticket_save(locked, {"service_restored_at"}, now=now)
        details_edited_event(
            locked,
            actor=actor,
            source=source,
            fields={"service_restored_at": service_restored_at},
        )
    return locked


def _check_restored(value: datetime, *, since: datetime, locked: Incident, now: datetime) -> None:
    def words(moment: datetime) -> str:
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")

    if value < since:
        raise ValidationFailed(
            {"service_restored_at": f"The outage began at {words(since)}; give a later time."}
        )
    if value > now:
        raise ValidationFailed({"service_restored_at": "That is in the future."})
    if locked.resolved_at is not None and value > locked.resolved_at:
        raise ValidationFailed(
            {
                "service_restored_at": (
                    f"{locked.number} was resolved at {words(locked.resolved_at)}; the service "
                    "was back by then."
                )
            }
        )
