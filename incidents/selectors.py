"""Reads of incidents, always scoped to the viewer: agents see every incident, requesters only
their own. Something out of scope is a 404, never a 403."""

from django.db.models import QuerySet
from django.http import Http404

from core.models import User
from core.roles import is_agent
from incidents.models import Incident


def incident_list_for_user(user: User) -> QuerySet[Incident]:
    incidents = Incident.objects.select_related(
        "requester", "assignee", "support_group", "service", "configuration_item"
    )
    if is_agent(user):
        return incidents
    return incidents.filter(requester=user)


def incident_get_for_user(user: User, number: str) -> Incident:
    try:
        return incident_list_for_user(user).get(number=number)
    except Incident.DoesNotExist as exc:
        raise Http404(f"No incident {number}.") from exc
