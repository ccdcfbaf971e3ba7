"""Standard-change template pages for managers: the list (active and retired), a new
template, an edit form, and retire / reactivate buttons."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from changes.calendar.change_templates import change_template_save, change_template_set_active
from changes.calendar.freeze import can_manage_calendar
from changes.forms_calendar import ChangeTemplateForm
from changes.models import ChangeTemplate
from core.models import User
from core.web.access import agent_required, current_user
from core.web.editor import Editor

FIELDS = (
    "name",
    "description",
    "risk",
    "impact",
    "implementation_plan",
    "test_plan",
    "backout_plan",
    "is_patch",
)


def _initial(template: ChangeTemplate) -> dict[str, Any]:
    return {**{name: getattr(template, name) for name in FIELDS}, "service": template.service_id}


def _save(template: ChangeTemplate | None, form: ChangeTemplateForm, actor: User) -> ChangeTemplate:
    return change_template_save(template=template, data=dict(form.cleaned_data), actor=actor)


EDITOR = Editor[ChangeTemplate](
    form_class=ChangeTemplateForm,
    template="changes/calendar/template_form.html",
    context_name="template",
    can_manage=can_manage_calendar,
    refusal="Only managers can change the change templates.",
    get=lambda pk: get_object_or_404(ChangeTemplate, pk=pk),
    save=_save,
    initial=_initial,
    saved=lambda template: f"The template “{template.name}” is saved.",
    done=lambda template: "changes:template_list",
)
template_create_view = EDITOR.new_view()
template_edit_view = EDITOR.edit_view()


@never_cache
@agent_required
def template_list_view(request: HttpRequest) -> HttpResponse:
    EDITOR.require(request)
    templates = list(ChangeTemplate.objects.select_related("service").order_by("name"))
    return render(
        request,
        "changes/calendar/template_list.html",
        {
            "active": [t for t in templates if t.is_active],
            "retired": [t for t in templates if not t.is_active],
        },
    )


def _set_active(request: HttpRequest, pk: int, *, active: bool) -> HttpResponse:
    EDITOR.require(request)
    template = get_object_or_404(ChangeTemplate, pk=pk)
    change_template_set_active(template=template, active=active, actor=current_user(request))
    if active:
        messages.success(request, f"The template “{template.name}” opens changes again.")
    else:
        messages.success(request, f"The template “{template.name}” is retired.")
    return redirect("changes:template_list")


@never_cache
@agent_required
@require_POST
def template_retire_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_active(request, pk, active=False)


@never_cache
@agent_required
@require_POST
def template_activate_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_active(request, pk, active=True)
