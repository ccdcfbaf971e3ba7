"""The incident action table (core.tickets.actions): what agents and requesters can do to an
incident, on the incident page, the queue's bulk bar and the API (registered in
IncidentsConfig.ready)."""

from typing import Any

from django.utils import timezone

from core import ticket_actions as common
from core.api.action_inputs import EmptyInputSerializer, ReasonInputSerializer
from core.tickets.actions import Action, agents_only
from core.web.forms import ConfirmForm
from incidents import services
from incidents.api.serializers import (
    IncidentClassifyInputSerializer,
    IncidentContainInputSerializer,
    IncidentDiagnoseInputSerializer,
    IncidentRecategorizeInputSerializer,
    IncidentResolveInputSerializer,
    IncidentServiceRestoredInputSerializer,
)
from incidents.forms import (
    ClassifyForm,
    ContainForm,
    DiagnoseForm,
    RecategorizeForm,
    ReopenForm,
    ResolveForm,
    ServiceRestoredForm,
)
from incidents.models import Incident
from incidents.restoration import incident_record_service_restored


def _classify_initial(incident: Incident) -> dict[str, Any]:
    return {
        "category": incident.category,
        "impact": incident.impact,
        "urgency": incident.urgency,
        "service": incident.service_id,
        "configuration_item": incident.configuration_item_id,
        "is_major": incident.is_major,
    }


def _recategorized(before: Incident, after: Incident) -> str:
    return f"{after.number} is now in category {after.get_category_display()}."


def _classified(before: Incident, after: Incident) -> str:
    return f"{after.number} classified as {after.get_priority_display()}."


def _restored_initial(incident: Incident) -> dict[str, Any]:
    moment = incident.service_restored_at or incident.resolved_at
    return {"service_restored_at": timezone.localtime(moment) if moment else None}


def _restored(before: Incident, after: Incident) -> str:
    moment = after.service_restored_at
    shown = timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z") if moment else "—"
    return f"{after.number}: service restored at {shown}."


INCIDENT_ACTIONS: tuple[Action, ...] = (
    Action(
        "accept",
        services.incident_accept,
        "{number} accepted and logged.",
        form=ConfirmForm,
        serializer=EmptyInputSerializer,
        summary="identified → logged",
    ),
    Action(
        "classify",
        services.incident_classify,
        _classified,
        form=ClassifyForm,
        serializer=IncidentClassifyInputSerializer,
        summary=(
            "logged → classified: category, service, impact, urgency (priority from the matrix)"
        ),
        initial=_classify_initial,
    ),
    Action(
        "contain",
        services.incident_contain,
        "{number} contained.",
        form=ContainForm,
        serializer=IncidentContainInputSerializer,
        summary="classified → contained, with containment notes",
    ),
    Action(
        "diagnose",
        services.incident_diagnose,
        "Diagnosis recorded on {number}.",
        form=DiagnoseForm,
        serializer=IncidentDiagnoseInputSerializer,
        summary="→ diagnosed, with diagnosis notes",
    ),
    Action(
        "resolve",
        services.incident_resolve,
        "{number} resolved; the requester was told.",
        form=ResolveForm,
        serializer=IncidentResolveInputSerializer,
        summary="→ resolved, with resolution code and notes",
    ),
    Action(
        "close",
        services.incident_close,
        "{number} closed.",
        form=ConfirmForm,
        serializer=EmptyInputSerializer,
        summary="resolved → closed (the requester may confirm their own)",
    ),
    Action(
        "reopen",
        services.incident_reopen,
        "{number} reopened.",
        form=ReopenForm,
        serializer=ReasonInputSerializer,
        summary="resolved → classified within the reopen window, with a reason",
    ),
    Action(
        "recategorize",
        services.incident_recategorize,
        _recategorized,
        form=RecategorizeForm,
        serializer=IncidentRecategorizeInputSerializer,
        summary=(
            "Change the category, in any status, with a reason (agents); to or from security "
            "changes who sees the incident"
        ),
        label="Change category",
        transition=False,
        who=agents_only,
        initial=lambda incident: {"category": incident.category},
    ),
    Action(
        "service_restored",
        incident_record_service_restored,
        _restored,
        form=ServiceRestoredForm,
        serializer=IncidentServiceRestoredInputSerializer,
        summary="Record when the service was back (MTBF ends the outage there; agents)",
        label="Service restored at",
        transition=False,
        who=agents_only,
        initial=_restored_initial,
        api_path="service-restored",
    ),
    common.hold(Incident),
    common.resume(),
    common.cancel(Incident),
    *common.work_on_open_tickets(),
)
