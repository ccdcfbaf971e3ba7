"""Reads of changes, scoped to the viewer. Agents see every change; a requester sees, read-only,
the changes linked to their own tickets (an incident the change caused, or an incident of a
problem the change fixes); anyone else sees none (a 404)."""

from django.db.models import Q, QuerySet
from django.http import Http404

from changes.models import Change
from changes.permissions import can_work_changes
from core.models import User


def _linked_to_requester(user: User) -> Q:
    return Q(incident_links__incident__requester=user) | Q(
        problem_links__problem__links__incident__requester=user
    )


def change_list_for_user(user: User) -> QuerySet[Change]:
    base = Change.objects.select_related(
        "requester", "assignee", "support_group", "service", "configuration_item"
    )
    if can_work_changes(user):
        return base
    if not user.is_authenticated:
        return Change.objects.none()
    visible = Change.objects.filter(_linked_to_requester(user)).values("pk")
    return base.filter(pk__in=visible)


def change_get_for_user(user: User, number: str) -> Change:
    try:
        return change_list_for_user(user).get(number=number)
    except Change.DoesNotExist as exc:
        raise Http404(f"No change {number}.") from exc
