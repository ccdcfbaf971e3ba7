"""Freeze-window pages of the agent workspace: the list (agents read it), and for managers a
new window, an edit form and a delete confirmation."""

from typing import Any

from django.contrib import messages
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
from core.models import User
from core.web.access import agent_required, current_user
from core.web.editor import Editor


def _initial(window: FreezeWindow) -> dict[str, Any]:
    return {
        "name": window.name,
        "reason": window.reason,
        "starts_at": timezone.localtime(window.starts_at),
        "ends_at": timezone.localtime(window.ends_at),
        "services": [s.pk for s in window.services.all()],
    }


def _save(window: FreezeWindow | None, form: FreezeWindowForm, actor: User) -> FreezeWindow:
    return freeze_window_save(window=window, data=dict(form.cleaned_data), actor=actor)


EDITOR = Editor[FreezeWindow](
    form_class=FreezeWindowForm,
    template="changes/calendar/freeze_form.html",
    context_name="window",
    can_manage=can_manage_calendar,
    refusal="Only managers can change freeze windows.",
    get=lambda pk: get_object_or_404(FreezeWindow, pk=pk),
    save=_save,
    initial=_initial,
    saved=lambda window: f"The freeze window “{window.name}” is saved.",
    done=lambda window: "changes:freeze_list",
)
freeze_create_view = EDITOR.new_view()
freeze_edit_view = EDITOR.edit_view()


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


@never_cache
@agent_required
def freeze_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    EDITOR.require(request)
    window = get_object_or_404(FreezeWindow, pk=pk)
    if request.method == "POST":
        freeze_window_delete(window=window, actor=current_user(request))
        messages.success(request, f"The freeze window “{window.name}” is deleted.")
        return redirect("changes:freeze_list")
    return render(request, "changes/calendar/freeze_delete.html", {"window": window})
