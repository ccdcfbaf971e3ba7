"""Standard-change template pages for managers: the list (active and retired), a new
template, an edit form, and retire / reactivate buttons."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from changes.calendar.change_templates import change_template_save, change_template_set_active
from changes.calendar.freeze import can_manage_calendar
from changes.forms_calendar import ChangeTemplateForm
from changes.models import ChangeTemplate
from core.exceptions import ValidationFailed
from core.web.access import agent_required, current_user
from core.web.forms import apply_domain_errors

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


def _require_manager(request: HttpRequest) -> None:
    if not can_manage_calendar(current_user(request)):
        raise PermissionDenied("Only managers can change the change templates.")


@never_cache
@agent_required
def template_list_view(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    templates = list(ChangeTemplate.objects.select_related("service").order_by("name"))
    return render(
        request,
        "changes/calendar/template_list.html",
        {
            "active": [t for t in templates if t.is_active],
            "retired": [t for t in templates if not t.is_active],
        },
    )


def _form_page(
    request: HttpRequest,
    template: ChangeTemplate | None,
    form: ChangeTemplateForm,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "changes/calendar/template_form.html",
        {"template": template, "form": form},
        status=status,
    )


def _save(request: HttpRequest, template: ChangeTemplate | None) -> HttpResponse:
    form = ChangeTemplateForm(request.POST)
    if not form.is_valid():
        return _form_page(request, template, form, status=400)
    try:
        saved = change_template_save(
            template=template, data=dict(form.cleaned_data), actor=current_user(request)
        )
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {})
        return _form_page(request, template, form, status=400)
    messages.success(request, f"The template “{saved.name}” is saved.")
    return redirect("changes:template_list")


def _initial(template: ChangeTemplate) -> dict[str, Any]:
    return {**{name: getattr(template, name) for name in FIELDS}, "service": template.service_id}


@never_cache
@agent_required
def template_create_view(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    if request.method == "POST":
        return _save(request, None)
    return _form_page(request, None, ChangeTemplateForm())


@never_cache
@agent_required
def template_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    template = get_object_or_404(ChangeTemplate, pk=pk)
    if request.method == "POST":
        return _save(request, template)
    return _form_page(request, template, ChangeTemplateForm(initial=_initial(template)))


def _set_active(request: HttpRequest, pk: int, *, active: bool) -> HttpResponse:
    _require_manager(request)
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
