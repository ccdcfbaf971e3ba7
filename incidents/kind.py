"""The incident kind, as the kernel's registry knows it (registered in IncidentsConfig.ready)."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.choices import Role, Source
from core.models import User
from core.tickets.closing import close_refusal
from core.tickets.kinds import (
    AutoClose,
    ClockRules,
    ClosedLoop,
    Conversion,
    EmailIntake,
    RatingRules,
    Recovery,
    ReportingExtras,
    ReportingMilestones,
    Review,
    TicketKind,
)
from incidents.choices import CancelReason, Impact, ResolutionCode
from incidents.choices import IncidentStatus as S
from incidents.forms import ToIncidentForm
from incidents.models import Incident
from incidents.permissions import incident_permission
from incidents.portal_spec import PORTAL
from incidents.recovery import incident_resolve_recovered
from incidents.selectors import incident_get_for_user, incident_list_for_user
from incidents.services import (
    incident_from_email,
    incident_from_ticket,
    incident_mark_review_completed,
    incident_resolve,
    incident_resume,
)
from incidents.transitions import LIFECYCLE, Context
from incidents.visibility import SECURITY_INCIDENTS


def _guard_context(incident: Any, action: str) -> Context:
    """What the incident lifecycle's guards read besides the incident: now, the reopen window,
    and, for a major incident about to be closed (or whose legal actions are listed: action
    ""), what the post-incident review still holds against closing."""
    checks_closing = action in ("close", "") and incident.is_major
    return Context(
        now=timezone.now(),
        reopen_window=timedelta(days=settings.INCIDENT_REOPEN_WINDOW_DAYS),
        close_refusal=close_refusal(incident) if checks_closing else None,
    )


def _autoclose_days() -> int:
    return settings.INCIDENT_AUTOCLOSE_DAYS


def _reply_refusal(incident: Any) -> str | None:
    if incident.is_open or incident.status == S.RESOLVED:
        return None
    return (
        f"{incident.number} is {incident.get_status_display().lower()}; "
        "report a new incident instead."
    )


def _resolve_with_fix(
    incident: Incident,
    *,
    actor: User,
    resolution_code: str,
    notes: str,
    source: str = Source.WEB,
) -> Incident:
    """Resolve an open incident with another ticket's fix (a problem's permanent fix): one on
    hold — typically awaiting that problem — is resumed first. All or nothing: when the
    incident cannot be resolved (still logged, a major incident not contained...), the resume
    is rolled back with it."""
    with transaction.atomic():
        current = incident
        if current.status == S.ON_HOLD:
            current = incident_resume(current, actor=actor, source=source)
        return incident_resolve(
            current,
            actor=actor,
            resolution_code=resolution_code,
            resolution_notes=notes,
            source=source,
        )


def _needs_review(incident: Incident) -> bool:
    return incident.is_major


def _findings(incident: Incident) -> str:
    return incident.diagnosis_notes


INCIDENT = TicketKind(
    name="incident",
    model=Incident,
    lifecycle=LIFECYCLE,
    list_for_user=incident_list_for_user,
    get_for_user=incident_get_for_user,
    created_verb="reported the incident",
    created_description="An incident was reported (portal, API, alert or email).",
    permission=incident_permission,
    guard_context=_guard_context,
    reply_refusal=_reply_refusal,
    note_fields=frozenset({"containment_notes", "diagnosis_notes", "resolution_notes"}),
    clock_rules=ClockRules(
        cancel_on=frozenset({S.CANCELLED}),
        pause_in=frozenset({S.ON_HOLD}),
        response_met_on=frozenset({S.LOGGED}),
        resolution_met_on=frozenset({S.RESOLVED}),
        retarget_on=frozenset({"priority", "service"}),
    ),
    resolved_status=S.RESOLVED,
    ack_action="accept",
    reporting=ReportingMilestones(started="identified_at", acknowledged="logged_at"),
    rating=RatingRules(asked_verb="reported", wait_text="you can rate it once it is resolved."),
    autoclose=AutoClose(days=_autoclose_days),
    conversion=Conversion(
        create_from=incident_from_ticket,
        cancel_reasons={"request": CancelReason.CONVERTED_TO_REQUEST},
        form=ToIncidentForm,
    ),
    portal=PORTAL,
    closed_loop=ClosedLoop(
        resolve_with_fix=_resolve_with_fix,
        resolution_codes=tuple(
            (code.value, str(code.label))
            for code in (ResolutionCode.FIXED, ResolutionCode.WORKAROUND)
        ),
    ),
    review=Review(
        is_needed=_needs_review,
        findings=_findings,
        mark_completed=incident_mark_review_completed,
    ),
    reporting_extras=ReportingExtras(
        impact="impact",
        impacts=tuple(Impact.values),
        reopen_count="reopen_count",
        restored="service_restored_at",
        cancel_reason="cancel_reason",
        unmeasured_cancel_reasons=(CancelReason.DUPLICATE, CancelReason.NOT_AN_INCIDENT),
        queue_filters=frozenset(
            {"support_group", "assignee", "priority", "tier", "service", "sla_state"}
        ),
    ),
    view_roles=frozenset({Role.AGENT, Role.MANAGER}),
    restriction=SECURITY_INCIDENTS,
    email=EmailIntake(open_ticket=incident_from_email),
    recovery=Recovery(resolve_recovered=incident_resolve_recovered),
)
