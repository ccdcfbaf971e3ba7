"""SLO pages of the agent workspace: the objectives with their budget and burn (/slo/, a page
at a time, by service and kind), a service's objectives with the budget over time, burn rates
and alert history (/slo/<service id>/), and the objective form for managers (core.web.editor).
Agents read; managers write (PermissionDenied otherwise). The two read-only pages read the replica
when there is a usable one (core.read_replica), like the other reports; the form and the burn-alert
evaluation (slo.alerts) read the primary."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.models import Service, User
from core.read_replica import reads_replica
from core.web.access import agent_required, current_user, paginate
from core.web.editor import Editor
from slo.budget import ALERT_POLICIES, WINDOWS
from slo.charts import budget_chart
from slo.filtersets import ObjectiveFilterSet
from slo.forms import ObjectiveForm
from slo.models import Objective
from slo.selectors import (
    budget_history,
    episode_list,
    objective_get,
    objective_list,
    objective_statuses,
    objectives_of_service,
)
from slo.services import (
    can_manage_objectives,
    objective_create,
    objective_delete,
    objective_update,
)

LIST_WINDOWS = ("1h", "6h", "1d", "3d")


@never_cache
@agent_required
@reads_replica
def slo_list_view(request: HttpRequest) -> HttpResponse:
    """One page of objectives (filtered by service and kind): their statuses cost the same
    queries for any page (slo.selectors.objective_statuses)."""
    filterset = ObjectiveFilterSet(request.GET, queryset=objective_list())
    page = paginate(request, filterset.qs, settings.QUEUE_PAGE_SIZE)
    return render(
        request,
        "slo/list.html",
        {
            "filterset": filterset,
            "page": page,
            "statuses": objective_statuses(list(page.object_list)),
            "filtered": any(request.GET.get(name) for name in filterset.filters),
            "windows": LIST_WINDOWS,
            "can_manage": can_manage_objectives(current_user(request)),
        },
    )


@never_cache
@agent_required
@reads_replica
def slo_service_view(request: HttpRequest, service_id: int) -> HttpResponse:
    service = get_object_or_404(Service, pk=service_id)
    now = timezone.now()
    objectives = objectives_of_service(service)
    cards: list[dict[str, Any]] = []
    for status in objective_statuses(objectives, now=now):
        points = budget_history(status.objective, now=now)
        cards.append(
            {
                "status": status,
                "points": points,
                "chart": budget_chart(points),
                "chart_id": f"budget-{status.objective.pk}",
                "alerts": [
                    {
                        "policy": policy,
                        "long": status.burns[policy.long],
                        "short": status.burns[policy.short],
                        "holds": policy in status.holding,
                    }
                    for policy in ALERT_POLICIES
                ],
            }
        )
    return render(
        request,
        "slo/service.html",
        {
            "service": service,
            "cards": cards,
            "windows": list(WINDOWS),
            "episodes": list(episode_list(objectives)),
            "can_manage": can_manage_objectives(current_user(request)),
        },
    )


def _save(objective: Objective | None, form: ObjectiveForm, actor: User) -> Objective:
    if objective is None:
        return objective_create(actor=actor, data=form.data_for_service())
    return objective_update(objective=objective, actor=actor, data=form.data_for_service())


def _initial(objective: Objective) -> dict[str, Any]:
    return {
        "service": objective.service_id,
        "kind": objective.kind,
        "target": objective.target.normalize(),
        "window_days": objective.window_days,
        "priorities": objective.priorities,
        "threshold_minutes": objective.threshold_minutes,
    }


def _new_initial(request: HttpRequest) -> dict[str, Any]:
    initial: dict[str, Any] = {"kind": "availability", "target": "99.9", "window_days": 28}
    service = request.GET.get("service", "")
    if service.isdigit():
        initial["service"] = int(service)
    return initial


def _objective(pk: int) -> Objective:
    try:
        return objective_get(pk)
    except Objective.DoesNotExist:
        raise Http404("No such objective.") from None


EDITOR = Editor[Objective](
    form_class=ObjectiveForm,
    template="slo/objective_form.html",
    context_name="objective",
    can_manage=can_manage_objectives,
    refusal="Only managers define service level objectives.",
    get=_objective,
    save=_save,
    initial=_initial,
    new_initial=_new_initial,
    saved=lambda objective: f"The objective “{objective.describe()}” is saved.",
    done=lambda objective: reverse("slo:service", args=[objective.service_id]),
)
objective_new_view = EDITOR.new_view()
objective_edit_view = EDITOR.edit_view()


@require_POST
@agent_required
def objective_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    objective = _objective(pk)
    objective_delete(objective=objective, actor=current_user(request))
    messages.success(request, f"The objective “{objective.describe()}” is deleted.")
    return redirect("slo:service", objective.service_id)
