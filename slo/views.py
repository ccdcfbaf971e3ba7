"""SLO pages of the agent workspace: the objectives with their budget and burn (/slo/, a page
at a time, by service and kind), a
service's objectives with the budget over time, burn rates and alert history
(/slo/<service id>/), and the objective form for managers. Agents read; managers write
(PermissionDenied otherwise)."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.exceptions import ValidationFailed
from core.models import Service
from core.web.access import agent_required, current_user, paginate
from core.web.forms import apply_domain_errors
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


def _form_page(
    request: HttpRequest, form: ObjectiveForm, objective: Objective | None, status: int = 200
) -> HttpResponse:
    return render(
        request, "slo/objective_form.html", {"form": form, "objective": objective}, status=status
    )


def _save(request: HttpRequest, objective: Objective | None) -> HttpResponse:
    user = current_user(request)
    form = ObjectiveForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, objective, status=400)
    try:
        if objective is None:
            saved = objective_create(actor=user, data=form.data_for_service())
        else:
            saved = objective_update(objective=objective, actor=user, data=form.data_for_service())
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {})
        return _form_page(request, form, objective, status=400)
    messages.success(request, f"The objective “{saved.describe()}” is saved.")
    return redirect("slo:service", saved.service_id)


def _require_manager(request: HttpRequest) -> None:
    if not can_manage_objectives(current_user(request)):
        raise PermissionDenied("Only managers define service level objectives.")


@never_cache
@agent_required
def objective_new_view(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    if request.method == "POST":
        return _save(request, None)
    initial: dict[str, Any] = {"kind": "availability", "target": "99.9", "window_days": 28}
    service = request.GET.get("service", "")
    if service.isdigit():
        initial["service"] = int(service)
    return _form_page(request, ObjectiveForm(initial=initial), None)


def _objective(pk: int) -> Objective:
    try:
        return objective_get(pk)
    except Objective.DoesNotExist:
        raise Http404("No such objective.") from None


@never_cache
@agent_required
def objective_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    objective = _objective(pk)
    if request.method == "POST":
        return _save(request, objective)
    form = ObjectiveForm(
        initial={
            "service": objective.service_id,
            "kind": objective.kind,
            "target": objective.target.normalize(),
            "window_days": objective.window_days,
            "priorities": objective.priorities,
            "threshold_minutes": objective.threshold_minutes,
        }
    )
    return _form_page(request, form, objective)


@require_POST
@agent_required
def objective_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    objective = _objective(pk)
    objective_delete(objective=objective, actor=current_user(request))
    messages.success(request, f"The objective “{objective.describe()}” is deleted.")
    return redirect("slo:service", objective.service_id)
