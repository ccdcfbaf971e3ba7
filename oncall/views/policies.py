"""Escalation policy pages of the agent workspace: every group's policies with their steps in
words and what pages through them; a policy's page (who it would skip), with the edit form for
admins and the group's manager; a new policy."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.exceptions import ValidationFailed
from core.models import SupportGroup, User
from core.roles import is_admin
from core.web.access import agent_required, current_user
from core.web.forms import apply_domain_errors
from oncall.access import can_manage_policies
from oncall.models import EscalationPolicy
from oncall.paging_forms import PolicyForm, StepFormSet, step_initial
from oncall.paging_selectors import (
    group_people_unreachable,
    policy_get,
    policy_list,
    step_words,
    triggers_words,
)
from oncall.policy_services import policy_delete, policy_save


def _managed_groups(user: User) -> QuerySet[SupportGroup]:
    groups = SupportGroup.objects.filter(is_active=True).order_by("tier", "name")
    return groups if is_admin(user) else groups.filter(manager=user)


def _summary(policy: EscalationPolicy) -> dict[str, Any]:
    return {
        "policy": policy,
        "steps": [step_words(step) for step in policy.steps.all()],
        "triggers": triggers_words(policy),
    }


@never_cache
@agent_required
def policies_view(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    policies = [_summary(p) for p in policy_list()]
    return render(
        request,
        "oncall/policies.html",
        {"policies": policies, "can_add": _managed_groups(user).exists()},
    )


def _policy_page(
    request: HttpRequest,
    policy: EscalationPolicy | None,
    form: PolicyForm | None = None,
    steps: Any = None,
    status: int = 200,
) -> HttpResponse:
    user = current_user(request)
    groups = _managed_groups(user)
    can_manage = (
        can_manage_policies(user, policy.support_group) if policy is not None else groups.exists()
    )
    if form is None and can_manage:
        initial: dict[str, Any] = {"repeat": 0, "is_active": True}
        if policy is not None:
            initial = {
                "name": policy.name,
                "support_group": policy.support_group_id,
                "service": policy.service_id,
                "repeat": policy.repeat,
                "page_priorities": policy.page_priorities,
                "page_on_breach": policy.page_on_breach,
                "is_active": policy.is_active,
            }
        form = PolicyForm(initial=initial, groups=groups)
        steps = StepFormSet(initial=step_initial(policy), prefix="step")
    return render(
        request,
        "oncall/policy.html",
        {
            "policy": policy,
            "summary": _summary(policy) if policy is not None else None,
            "unreachable": group_people_unreachable(policy.support_group) if policy else [],
            "can_manage": can_manage,
            "form": form,
            "steps": steps,
        },
        status=status,
    )


def _save(request: HttpRequest, policy: EscalationPolicy | None) -> HttpResponse:
    user = current_user(request)
    if policy is not None and not can_manage_policies(user, policy.support_group):
        raise PermissionDenied("Only admins and the group's manager can change its policies.")
    groups = _managed_groups(user)
    if policy is None and not groups.exists():
        raise PermissionDenied("Only admins and group managers can add policies.")
    form = PolicyForm(request.POST, groups=groups)
    steps = StepFormSet(request.POST, prefix="step")
    if not (form.is_valid() and steps.is_valid()):
        return _policy_page(request, policy, form, steps, status=400)
    data = {**form.cleaned_data, "steps": [s for s in (f.step() for f in steps) if s]}
    try:
        saved = policy_save(policy=policy, data=data, actor=user)
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {})
        return _policy_page(request, policy, form, steps, status=400)
    messages.success(request, f"The policy “{saved.name}” is saved.")
    return redirect("oncall:policy", saved.pk)


@never_cache
@agent_required
def policy_new_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _save(request, None)
    if not _managed_groups(current_user(request)).exists():
        raise PermissionDenied("Only admins and group managers can add policies.")
    return _policy_page(request, None)


@never_cache
@agent_required
def policy_view(request: HttpRequest, pk: int) -> HttpResponse:
    policy = policy_get(pk)
    if request.method == "POST":
        return _save(request, policy)
    return _policy_page(request, policy)


@require_POST
@agent_required
def policy_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    policy = policy_get(pk)
    policy_delete(policy=policy, actor=current_user(request))
    messages.success(request, f"The policy “{policy.name}” is deleted.")
    return redirect("oncall:policies")
