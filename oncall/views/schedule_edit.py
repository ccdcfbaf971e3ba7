"""Writing schedules and their rotation layers from the pages: create, edit, delete (with a
confirmation step). Who may do it is decided by oncall.access through the services; the pages
check it first only to answer with 403 before showing a form the person could not submit.
Schedules are visible to every agent, so a schedule the person may not change is a 403, not a
404 (as the schedule page's feed button does)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import ProtectedError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache

from core.exceptions import ValidationFailed
from core.models import User
from core.web.access import agent_required, current_user
from core.web.forms import apply_domain_errors
from oncall.access import can_manage_group_schedules
from oncall.models import EscalationPolicy, RotationLayer, Schedule
from oncall.schedule_forms import COMMON_ZONES, LayerForm, ScheduleForm, manageable_groups
from oncall.services import layer_delete, layer_save, schedule_delete, schedule_save


def _require_manager(user: User, schedule: Schedule) -> None:
    if not can_manage_group_schedules(user, schedule.support_group):
        raise PermissionDenied(
            f"Only admins and the manager of {schedule.support_group.name} can change its "
            "schedules."
        )


def _schedule_of(pk: int) -> Schedule:
    return get_object_or_404(Schedule.objects.select_related("support_group"), pk=pk)


def _layer_of(pk: int) -> RotationLayer:
    return get_object_or_404(RotationLayer.objects.select_related("schedule__support_group"), pk=pk)


# --- Schedules ------------------------------------------------------------------------------


def _schedule_form_page(
    request: HttpRequest, form: ScheduleForm, schedule: Schedule | None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "oncall/schedule_form.html",
        {"form": form, "schedule": schedule, "zone_names": COMMON_ZONES},
        status=status,
    )


def _schedule_save(request: HttpRequest, schedule: Schedule | None) -> HttpResponse:
    user = current_user(request)
    if request.method != "POST":
        return _schedule_form_page(request, ScheduleForm(user=user, schedule=schedule), schedule)
    form = ScheduleForm(request.POST, user=user, schedule=schedule)
    if not form.is_valid():
        return _schedule_form_page(request, form, schedule, status=400)
    try:
        saved = schedule_save(schedule=schedule, data=form.data_for_service(), actor=user)
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {})
        return _schedule_form_page(request, form, schedule, status=400)
    messages.success(request, f"The schedule “{saved.name}” is saved.")
    return redirect("oncall:schedule", saved.pk)


@never_cache
@agent_required
def schedule_create_view(request: HttpRequest) -> HttpResponse:
    if not manageable_groups(current_user(request)).exists():
        raise PermissionDenied("Only admins and support group managers can add schedules.")
    return _schedule_save(request, None)


@never_cache
@agent_required
def schedule_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _schedule_of(pk)
    _require_manager(current_user(request), schedule)
    return _schedule_save(request, schedule)


@never_cache
@agent_required
def schedule_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes the schedule with its layers, overrides and
    feed. A schedule an escalation policy pages is kept (the database protects it) and the
    page says which policies to change first."""
    schedule = _schedule_of(pk)
    user = current_user(request)
    _require_manager(user, schedule)
    status = 200
    if request.method == "POST":
        try:
            schedule_delete(schedule=schedule, actor=user)
        except ProtectedError:
            status = 409
        else:
            messages.success(request, f"The schedule “{schedule.name}” is deleted.")
            return redirect("oncall:now")
    policies = list(
        EscalationPolicy.objects.filter(steps__schedule=schedule).distinct().order_by("name")
    )
    return render(
        request,
        "oncall/schedule_delete.html",
        {"schedule": schedule, "layer": None, "policies": policies},
        status=status,
    )


# --- Layers ---------------------------------------------------------------------------------


def _layer_form_page(
    request: HttpRequest,
    form: LayerForm,
    schedule: Schedule,
    layer: RotationLayer | None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "oncall/layer_form.html",
        {"form": form, "schedule": schedule, "layer": layer},
        status=status,
    )


def _layer_save(
    request: HttpRequest, schedule: Schedule, layer: RotationLayer | None
) -> HttpResponse:
    user = current_user(request)
    _require_manager(user, schedule)
    if request.method != "POST":
        form = LayerForm(schedule=schedule, layer=layer)
        return _layer_form_page(request, form, schedule, layer)
    form = LayerForm(request.POST, schedule=schedule, layer=layer)
    if not form.is_valid():
        return _layer_form_page(request, form, schedule, layer, status=400)
    try:
        saved = layer_save(schedule=schedule, layer=layer, data=form.data_for_service(), actor=user)
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {"member_ids": "members"})
        return _layer_form_page(request, form, schedule, layer, status=400)
    messages.success(request, f"The layer “{saved}” is saved.")
    return redirect("oncall:schedule", schedule.pk)


@never_cache
@agent_required
def layer_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _layer_save(request, _schedule_of(pk), None)


@never_cache
@agent_required
def layer_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    layer = _layer_of(pk)
    return _layer_save(request, layer.schedule, layer)


@never_cache
@agent_required
def layer_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes the layer and its members."""
    layer = _layer_of(pk)
    schedule = layer.schedule
    user = current_user(request)
    _require_manager(user, schedule)
    if request.method == "POST":
        layer_delete(layer=layer, actor=user)
        messages.success(request, f"The layer “{layer}” is deleted.")
        return redirect("oncall:schedule", schedule.pk)
    return render(
        request,
        "oncall/schedule_delete.html",
        {"schedule": schedule, "layer": layer, "policies": []},
    )
