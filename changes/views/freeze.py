"""Freeze-window pages of the agent workspace: the list (agents read it), and for managers a
new window, an edit form and a delete confirmation."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from changes.calendar.freeze import (
    can_manage_calendar,
    freeze_window_delete,
    freeze_window_save,
)
from changes.forms_calendar import FreezeWindowForm
from changes.models import FreezeWindow
from core.exceptions import ValidationFailed
from core.web.access import agent_required, current_user
from core.web.forms import apply_domain_errors


def _require_manager(request: HttpRequest) -> None:
    if not can_manage_calendar(current_user(request)):
        raise PermissionDenied("Only managers can change freeze windows.")


@never_cache
@agent_required
def freeze_list_view(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    windows = FreezeWindow.objects.prefetch_related("services").order_by("starts_at", "id")
    return render(
        request,
        "changes/calendar/freeze_list.html",
        {
            "upcoming": list(windows.filter(ends_at__gt=now)),
            "past": list(windows.filter(ends_at__lte=now).order_by("-starts_at", "-id")[:20]),
            "can_manage": can_manage_calendar(current_user(request)),
        },
    )


def _form_page(
    request: HttpRequest, window: FreezeWindow | None, form: FreezeWindowForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "changes/calendar/freeze_form.html",
        {"window": window, "form": form},
        status=status,
    )


def _save(request: HttpRequest, window: FreezeWindow | None) -> HttpResponse:
    form = FreezeWindowForm(request.POST)
    if not form.is_valid():
        return _form_page(request, window, form, status=400)
    try:
        saved = freeze_window_save(
            window=window, data=dict(form.cleaned_data), actor=current_user(request)
        )
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {})
        return _form_page(request, window, form, status=400)
    messages.success(request, f"The freeze window “{saved.name}” is saved.")
    return redirect("changes:freeze_list")


def _initial(window: FreezeWindow) -> dict[str, Any]:
    return {
        "name": window.name,
        "reason": window.reason,
        "starts_at": timezone.localtime(window.starts_at),
        "ends_at": timezone.localtime(window.ends_at),
        "services": [s.pk for s in window.services.all()],
    }


@never_cache
@agent_required
def freeze_create_view(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    if request.method == "POST":
        return _save(request, None)
    return _form_page(request, None, FreezeWindowForm())


@never_cache
@agent_required
def freeze_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    window = get_object_or_404(FreezeWindow, pk=pk)
    if request.method == "POST":
        return _save(request, window)
    return _form_page(request, window, FreezeWindowForm(initial=_initial(window)))


@never_cache
@agent_required
def freeze_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    window = get_object_or_404(FreezeWindow, pk=pk)
    if request.method == "POST":
        freeze_window_delete(window=window, actor=current_user(request))
        messages.success(request, f"The freeze window “{window.name}” is deleted.")
        return redirect("changes:freeze_list")
    return render(request, "changes/calendar/freeze_delete.html", {"window": window})
