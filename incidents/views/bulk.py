"""The triage queue's bulk bar: assign, change priority, change status for the ticked incidents.

One endpoint, two steps. `step=<assign|priority|status>` answers with the panel for that action
(for "status", only the transitions legal for every selected incident); `apply=<same>` validates
the panel's fields and runs incidents.bulk, which refuses incidents one by one. From the queue
the requests come through HTMX and the answers are partials for the bar; without JavaScript the
same form posts here and gets a full page.
"""

import json
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from core.choices import Priority
from core.lifecycle import Transition
from core.models import SupportGroup, User
from core.tickets.actions import actions_of
from core.tickets.bulk import (
    BulkOutcome,
    bulk_common_actions,
    tickets_bulk_assign,
    tickets_bulk_transition,
)
from core.tickets.kinds import kind_named
from core.web.access import HtmxHttpRequest, agent_required, current_user, safe_next
from core.web.forms import (
    MAX_SELECT_OPTIONS,
    CappedModelChoiceField,
    active_groups,
    agent_users,
    assign_options,
)
from incidents.bulk import incident_bulk_change_priority
from incidents.models import Incident
from incidents.selectors import incident_list_by_numbers_for_user

STEPS = {
    "assign": "Assign",
    "priority": "Change priority",
    "status": "Change status",
}
KEEP, ME, NOBODY = "", "me", "null"


class _AssigneeField(forms.ChoiceField):
    """Keep / me / nobody / an agent id; the agents listed are capped, any agent validates."""

    def valid_value(self, value: str) -> bool:
        return value in (KEEP, ME, NOBODY) or value.isdigit()


class BulkAssignForm(forms.Form):
    assignee = _AssigneeField(label="Assignee", required=False)
    support_group = CappedModelChoiceField(
        queryset=SupportGroup.objects.none(),
        required=False,
        empty_label="Keep each incident's group",
        label="Group",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        assign_options(self.fields["support_group"], active_groups)
        self.fields["assignee"].choices = self._assignee_choices  # type: ignore[attr-defined]

    def _assignee_choices(self) -> list[tuple[str, str]]:
        fixed = [
            (KEEP, "Keep each incident's assignee"),
            (ME, f"Me ({self.user.display_name})"),
            (NOBODY, "Nobody (unassigned)"),
        ]
        agents = agent_users().exclude(pk=self.user.pk)[: MAX_SELECT_OPTIONS - len(fixed)]
        return fixed + [(str(agent.pk), agent.display_name) for agent in agents]

    def clean_assignee(self) -> tuple[bool, User | None]:
        """(keep the current assignee?, the new assignee or None for nobody)."""
        value: str = self.cleaned_data.get("assignee") or KEEP
        if value == KEEP:
            return True, None
        if value == ME:
            return False, self.user
        if value == NOBODY:
            return False, None
        agent = agent_users().filter(pk=int(value)).first()
        if agent is None:
            raise forms.ValidationError("Choose an active agent.")
        return False, agent

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        keep, _ = data.get("assignee") or (True, None)
        if "assignee" in data and keep and data.get("support_group") is None:
            raise forms.ValidationError("Choose an assignee, a group, or both.")
        return data


class BulkPriorityForm(forms.Form):
    priority = forms.TypedChoiceField(
        coerce=int, choices=[("", "Choose…"), *Priority.choices], label="New priority"
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        label="Reason",
        help_text="Goes on each incident's timeline (internal).",
    )

    def clean_reason(self) -> str:
        reason: str = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why the priority changes.")
        return reason


class BulkStatusForm(forms.Form):
    transition = forms.ChoiceField(widget=forms.RadioSelect, label="New status")

    def __init__(self, *args: Any, actions: list[Transition], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["transition"].choices = [(t.action, t.label) for t in actions]  # type: ignore[attr-defined]


def _transition_form(action: str, data: Any = None) -> forms.Form:
    """The incident page's form for `action` (from the action table), without the version
    (bulk acts on each incident's state when it gets there; the service re-checks the table
    under the lock)."""
    row = actions_of(kind_named("incident")).get(action)
    assert row is not None and row.form is not None
    form: forms.Form = row.form(data, prefix=f"bulk-{action}")
    del form.fields["version"]
    return form


def _selection(request: HtmxHttpRequest) -> tuple[list[str], str]:
    numbers = list(dict.fromkeys(n.strip() for n in request.POST.getlist("incidents") if n.strip()))
    limit = settings.QUEUE_PAGE_SIZE
    if not numbers:
        return [], "Select at least one incident first: tick its box (or press x on its row)."
    if len(numbers) > limit:
        return [], f"Select at most {limit} incidents at a time (one page of the queue)."
    return numbers, ""


def _apply(
    step: str,
    incidents: list[Incident],
    user: User,
    form: forms.Form,
    subform: forms.Form | None,
) -> BulkOutcome:
    data = form.cleaned_data
    if step == "assign":
        keep, assignee = data["assignee"]
        return tickets_bulk_assign(
            incidents,
            actor=user,
            assignee=assignee,
            keep_assignee=keep,
            support_group=data["support_group"],
        )
    if step == "priority":
        return incident_bulk_change_priority(
            incidents, actor=user, priority=data["priority"], reason=data["reason"]
        )
    return tickets_bulk_transition(
        kind_named("incident"),
        incidents,
        actor=user,
        action=data["transition"],
        data=subform.cleaned_data if subform is not None else {},
    )


def _panel_forms(
    request: HtmxHttpRequest, step: str, user: User, actions: list[Transition]
) -> tuple[forms.Form, dict[str, forms.Form]]:
    """The step's form, and for "status" the page's form of each action offered (only the chosen
    one bound to the posted data)."""
    applying = bool(request.POST.get("apply"))
    data = request.POST if applying else None
    if step == "assign":
        return BulkAssignForm(data, user=user, prefix="bulk"), {}
    if step == "priority":
        return BulkPriorityForm(data, prefix="bulk"), {}
    chosen = request.POST.get("bulk-transition") if applying else None
    subforms = {
        t.action: _transition_form(t.action, data if t.action == chosen else None) for t in actions
    }
    return BulkStatusForm(data, actions=actions, prefix="bulk"), subforms


def _result(
    request: HtmxHttpRequest, context: dict[str, Any], outcome: BulkOutcome
) -> HttpResponse:
    context["outcome"] = outcome
    if not request.htmx:
        return render(request, "incidents/agent/bulk.html", context)
    response = render(request, "incidents/agent/_bulk_result.html", context)
    response["HX-Trigger"] = json.dumps(
        {
            "queue-refresh": {
                "done": outcome.done,
                "unchanged": outcome.unchanged,
                "refused": outcome.refused_numbers,
            }
        }
    )
    return response


@agent_required
def agent_bulk(request: HtmxHttpRequest) -> HttpResponse:
    """POST opens a panel (`step`) or applies it (`apply`); a GET (reloading the page without
    JavaScript) goes back to the queue."""
    back = safe_next(request, reverse("incidents:agent_list"))
    if request.method != "POST":
        return redirect(back)
    user = current_user(request)
    applying = bool(request.POST.get("apply"))
    step = request.POST.get("apply") or request.POST.get("step") or ""
    numbers, problem = _selection(request)
    if step not in STEPS:
        problem = problem or "Choose what to do with the selected incidents."
    incidents = incident_list_by_numbers_for_user(user, numbers) if not problem else []
    found = {incident.number for incident in incidents}
    missing = [number for number in numbers if number not in found]
    if numbers and not incidents and not problem:
        problem = "None of the selected incidents exists any more."
    actions = (
        bulk_common_actions(kind_named("incident"), user, incidents) if step == "status" else []
    )
    form, subforms = (None, {}) if problem else _panel_forms(request, step, user, actions)
    context: dict[str, Any] = {
        "step": step,
        "step_label": STEPS.get(step, "Bulk action"),
        "problem": problem,
        "incidents": incidents,
        "missing": missing,
        "form": form,
        "actions": actions,
        "subforms": [(t, subforms[t.action]) for t in actions],
        "next": back,
    }
    subform = subforms.get(request.POST.get("bulk-transition", "")) if applying else None
    valid = (
        applying
        and form is not None
        and form.is_valid()
        and (step != "status" or (subform is not None and subform.is_valid()))
    )
    if not valid or form is None:
        template = "_bulk_panel.html" if request.htmx else "bulk.html"
        return render(request, f"incidents/agent/{template}", context)
    outcome = _apply(step, incidents, user, form, subform)
    for number in missing:
        outcome.refuse(number, f"{number} was not found.")
    return _result(request, context, outcome)
