"""HTML input validation for the change pages. Forms only check and convert input; every write
goes through changes.services, whose domain errors the views map back onto these fields."""

from typing import Any

from django import forms
from django.db.models import Model, QuerySet

from changes.choices import ChangeImpact, ChangeType, Decision, Risk
from changes.models import Change, ChangeTemplate
from changes.services.closed_loop import was_implemented
from core.models import ConfigurationItem, Service, SupportGroup, User
from core.web.forms import (
    AgentChoiceField,
    CappedModelChoiceField,
    CappedModelChoiceIterator,
    ConfigurationItemChoiceField,
    VersionedForm,
    active_groups,
    active_services,
    agent_users,
    assign_options,
    with_blank,
)

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


def _text(
    label: str, help_text: str = "", *, rows: int = 4, required: bool = False
) -> forms.CharField:
    return forms.CharField(
        widget=forms.Textarea(attrs={"rows": rows}),
        label=label,
        help_text=help_text,
        required=required,
        max_length=50_000,
    )


def _moment(label: str, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        help_text=help_text,
        input_formats=[LOCAL_MINUTE, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_MINUTE),
    )


class CappedMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A multiple select that renders at most MAX_SELECT_OPTIONS options."""

    iterator = CappedModelChoiceIterator


class CappedCIMultipleChoiceField(CappedMultipleChoiceField):
    def label_from_instance(self, obj: Model) -> str:
        if isinstance(obj, ConfigurationItem):
            return f"{obj.service.name}: {obj.name}"
        return str(obj)


def _active_cis() -> QuerySet[ConfigurationItem]:
    return (
        ConfigurationItem.objects.filter(is_active=True, service__is_active=True)
        .select_related("service")
        .order_by("service__name", "name")
    )


class _ScopeFields(forms.Form):
    """The services and configuration items a change touches."""

    service = CappedModelChoiceField(
        queryset=Service.objects.none(), required=False, empty_label="None", label="Main service"
    )
    configuration_item = ConfigurationItemChoiceField(
        queryset=ConfigurationItem.objects.none(),
        required=False,
        empty_label="None",
        label="Main configuration item",
        help_text="Must belong to the main service.",
    )
    services = CappedMultipleChoiceField(
        queryset=Service.objects.none(),
        required=False,
        label="Other services it touches",
    )
    configuration_items = CappedCIMultipleChoiceField(
        queryset=ConfigurationItem.objects.none(),
        required=False,
        label="Configuration items it touches",
        help_text="Each must belong to a service the change touches.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("service", "services"):
            assign_options(self.fields[name], active_services)
        for name in ("configuration_item", "configuration_items"):
            self.fields[name].queryset = _active_cis()  # type: ignore[attr-defined]


class ChangeDetailsForm(_ScopeFields):
    """What the change is about, its assessment, plans and window (creation and edits)."""

    title = forms.CharField(max_length=200)
    description = _text("Description", "Why the change is needed. Markdown is supported.")
    risk = forms.ChoiceField(choices=with_blank(Risk.choices, "Not assessed"), required=False)
    impact = forms.ChoiceField(
        choices=with_blank(ChangeImpact.choices, "Not assessed"), required=False
    )
    implementation_plan = _text("Implementation plan", rows=3)
    test_plan = _text("Test plan", rows=3)
    backout_plan = _text("Back-out plan", rows=3)
    planned_start = _moment("Window starts")
    planned_end = _moment("Window ends")
    approval_group = CappedModelChoiceField(
        queryset=SupportGroup.objects.none(),
        required=False,
        empty_label="None",
        label="Change advisory group",
        help_text="Its active members (and managers) approve the change.",
    )

    field_order = [
        "title",
        "description",
        "risk",
        "impact",
        "implementation_plan",
        "test_plan",
        "backout_plan",
        "planned_start",
        "planned_end",
        "service",
        "configuration_item",
        "services",
        "configuration_items",
        "approval_group",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assign_options(self.fields["approval_group"], active_groups)


class ChangeCreateForm(ChangeDetailsForm):
    change_type = forms.ChoiceField(
        choices=[(ChangeType.NORMAL, "Normal"), (ChangeType.EMERGENCY, "Emergency")],
        initial=ChangeType.NORMAL,
        label="Type",
        help_text=(
            "Normal: assessed and approved before it is scheduled. Emergency: implemented now "
            "and approved after the fact."
        ),
    )
    assignee = AgentChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Unassigned"
    )

    field_order = ["change_type", *ChangeDetailsForm.field_order, "assignee"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assign_options(self.fields["assignee"], agent_users)


class TemplateChoiceField(CappedModelChoiceField):
    def label_from_instance(self, obj: Model) -> str:
        if isinstance(obj, ChangeTemplate):
            return f"{obj.name} ({obj.get_risk_display().lower()} risk)"
        return str(obj)


class ChangeFromTemplateForm(_ScopeFields):
    """A standard change: the template's plans, risk, impact and service are pre-approved."""

    template = TemplateChoiceField(
        queryset=ChangeTemplate.objects.none(), empty_label="Choose a template…"
    )
    title = forms.CharField(
        max_length=200, required=False, help_text="Leave empty for the template's name."
    )
    description = _text("Description", "Leave empty for the template's.", rows=3)
    planned_start = _moment("Window starts")
    planned_end = _moment("Window ends")
    assignee = AgentChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Unassigned"
    )

    field_order = [
        "template",
        "title",
        "description",
        "planned_start",
        "planned_end",
        "configuration_item",
        "services",
        "configuration_items",
        "assignee",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.pop("service")
        self.fields["template"].queryset = ChangeTemplate.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).order_by("name")
        assign_options(self.fields["assignee"], agent_users)
        self.fields["configuration_item"].help_text = "Must belong to the template's service."


class ChangeEditForm(VersionedForm, ChangeDetailsForm):
    @classmethod
    def initial_for(cls, change: Change) -> dict[str, Any]:
        return {
            "version": change.version,
            "title": change.title,
            "description": change.description,
            "risk": change.risk,
            "impact": change.impact,
            "implementation_plan": change.implementation_plan,
            "test_plan": change.test_plan,
            "backout_plan": change.backout_plan,
            "planned_start": change.planned_start,
            "planned_end": change.planned_end,
            "service": change.service_id,
            "configuration_item": change.configuration_item_id,
            "services": [s.pk for s in change.services.all()],
            "configuration_items": [ci.pk for ci in change.configuration_items.all()],
            "approval_group": change.approval_group_id,
        }


# --- Lifecycle ------------------------------------------------------------------------------


class ScheduleForm(VersionedForm):
    planned_start = _moment("Window starts", "Leave both empty to keep the window set.")
    planned_end = _moment("Window ends")


class CompleteForm(VersionedForm):
    outcome_notes = _text("How did it go?", "Optional.", rows=2)


class OutcomeForm(VersionedForm):
    outcome_notes = _text("What happened?", rows=3, required=True)


class ResolveProblemsField(forms.BooleanField):
    def __init__(self) -> None:
        super().__init__(
            required=False,
            label="Resolve the problems it fixes",
            help_text=(
                "Each open linked problem is resolved with this change as its permanent fix, "
                "then its open incidents. Only for a change that was implemented."
            ),
        )


class CloseForm(VersionedForm):
    resolve_problems = ResolveProblemsField()


class CloseReviewForm(VersionedForm):
    review_notes = _text("What did the review find?", rows=3, required=True)
    resolve_problems = ResolveProblemsField()


def close_initial(change: Change) -> dict[str, Any]:
    return {"resolve_problems": was_implemented(change)}


class ReviseForm(VersionedForm):
    reason = _text("What is revised?", rows=2, required=True)


class CancelForm(VersionedForm):
    cancel_reason = _text("Why is it cancelled?", rows=2, required=True)


# --- Approvals and links --------------------------------------------------------------------


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=Decision.choices, widget=forms.RadioSelect, label="Your decision"
    )
    comment = _text("Comment", "Required when you reject: it is the reason.", rows=2)


class LinkProblemForm(forms.Form):
    problem = forms.CharField(
        max_length=20, label="Problem number", help_text="A problem this change fixes, PRB-…."
    )


class LinkIncidentForm(forms.Form):
    incident = forms.CharField(
        max_length=20, label="Incident number", help_text="An incident this change caused, INC-…."
    )
