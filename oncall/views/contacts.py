"""'My contact methods': how the signed-in agent is reached when paged (methods, their rules),
with add, enable/disable, delete, rotate a signed webhook's secret and send a test. A new
secret is shown in the answer that made it and never again (not in a message or the session).
Someone else's method or rule is a 404 (oncall.paging_selectors)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.exceptions import ValidationFailed
from core.web.access import agent_required, current_user
from core.web.forms import apply_domain_errors
from oncall.contact_services import (
    contact_method_delete,
    contact_method_save,
    contact_method_secret_rotate,
    contact_method_test,
    rule_delete,
    rule_save,
)
from oncall.models import ContactMethod, ContactMethodKind
from oncall.paging_forms import ContactMethodForm, RuleForm
from oncall.paging_selectors import contact_method_get, contact_method_list, rule_get


def _page(
    request: HttpRequest,
    form: ContactMethodForm | None = None,
    *,
    secret: str = "",
    secret_for: ContactMethod | None = None,
    rule_errors: dict[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = current_user(request)
    methods = contact_method_list(user, person=user)
    return render(
        request,
        "oncall/contact.html",
        {
            "methods": methods,
            "form": form or ContactMethodForm(),
            "rule_form": RuleForm(),
            "secret": secret,
            "secret_for": secret_for,
            "rule_errors": rule_errors or {},
            "webhook": ContactMethodKind.WEBHOOK,
            "any_working": any(m.is_working and m.rules.all() for m in methods),
        },
        status=status,
    )


@never_cache
@agent_required
def contact_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request)
    user = current_user(request)
    form = ContactMethodForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        method, secret = contact_method_save(
            method=None, person=user, data=form.cleaned_data, actor=user
        )
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {})
        return _page(request, form, status=400)
    if secret:
        return _page(request, secret=secret, secret_for=method)
    messages.success(request, f"“{method.label}” is saved; it is notified as soon as you're paged.")
    return redirect("oncall:contact")


@require_POST
@agent_required
def contact_toggle_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    method = contact_method_get(user, pk)
    enable = not method.is_working
    contact_method_save(method=method, person=method.person, data={"is_active": enable}, actor=user)
    messages.success(request, f"“{method.label}” is {'on' if enable else 'off'}.")
    return redirect("oncall:contact")


@require_POST
@agent_required
def contact_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    method = contact_method_get(user, pk)
    contact_method_delete(method=method, actor=user)
    messages.success(request, f"“{method.label}” is deleted.")
    return redirect("oncall:contact")


@never_cache
@require_POST
@agent_required
def contact_rotate_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    method = contact_method_get(user, pk)
    try:
        secret = contact_method_secret_rotate(method=method, actor=user)
    except ValidationFailed as exc:
        messages.error(request, " ".join(exc.errors.values()))
        return redirect("oncall:contact")
    return _page(request, secret=secret, secret_for=method)


@require_POST
@agent_required
def contact_test_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    method = contact_method_get(user, pk)
    try:
        contact_method_test(method=method, actor=user)
    except ValidationFailed as exc:
        messages.error(request, " ".join(exc.errors.values()))
    else:
        messages.success(request, f"A test is on its way to “{method.label}”.")
    return redirect("oncall:contact")


@require_POST
@agent_required
def rule_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    method = contact_method_get(user, pk)
    form = RuleForm(request.POST)
    if not form.is_valid():
        problem = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _page(request, rule_errors={method.pk: problem}, status=400)
    try:
        rule_save(
            rule=None, method=method, delay_minutes=form.cleaned_data["delay_minutes"], actor=user
        )
    except ValidationFailed as exc:
        return _page(request, rule_errors={method.pk: " ".join(exc.errors.values())}, status=400)
    messages.success(request, "The rule is saved.")
    return redirect("oncall:contact")


@require_POST
@agent_required
def rule_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    rule_delete(rule=rule_get(user, pk), actor=user)
    messages.success(request, "The rule is deleted.")
    return redirect("oncall:contact")
