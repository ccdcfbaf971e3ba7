"""HTML input of the paging pages: an escalation policy with a list of step rows, a contact
method, a notification rule. Forms only read input; the services decide (oncall.policy_services,
oncall.contact_services) and their refusals land on the matching fields."""

from typing import Any

from django import forms

from core.models import Service, SupportGroup, User
from core.web.forms import CappedModelChoiceField
from oncall.contact_services import MAX_DELAY_MINUTES
from oncall.models import ContactMethodKind, EscalationPolicy, Schedule, StepTarget
from oncall.policy_services import MAX_REPEAT, MAX_STEPS, MAX_WAIT_MINUTES, PRIORITIES

# Blank rows offered after a policy's steps: enough to add a couple without a script.
SPARE_STEP_ROWS = 2


class ScheduleChoiceField(CappedModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.support_group.name}: {obj.name}" if isinstance(obj, Schedule) else str(obj)


class PolicyForm(forms.Form):
    name = forms.CharField(max_length=100)
    support_group = CappedModelChoiceField(
        queryset=SupportGroup.objects.none(), label="Support group"
    )
    service = CappedModelChoiceField(
        queryset=Service.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label="Every ticket of the group",
        help_text="A policy for one service wins over the group's general policy.",
    )
    repeat = forms.IntegerField(
        min_value=0,
        max_value=MAX_REPEAT,
        initial=0,
        help_text="Run the steps again this many times before handing over to the next tier.",
    )
    page_priorities = forms.TypedMultipleChoiceField(
        choices=[(p, f"P{p}") for p in PRIORITIES],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Page at once for these priorities",
    )
    page_on_breach = forms.BooleanField(required=False, label="Page when an SLA target breaches")
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, groups: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["support_group"]
        assert isinstance(field, CappedModelChoiceField)
        field.queryset = groups


class StepForm(forms.Form):
    """One step row; a row without a target is left out."""

    target = forms.ChoiceField(
        choices=[("", "No step"), *StepTarget.choices], required=False, label="Page"
    )
    schedule = ScheduleChoiceField(
        queryset=Schedule.objects.select_related("support_group").order_by(
            "support_group__name", "name"
        ),
        required=False,
        empty_label="Choose a schedule…",
    )
    people = forms.CharField(
        required=False,
        max_length=2000,
        help_text="User names, separated by commas.",
        label="People",
    )
    wait_minutes = forms.IntegerField(
        min_value=1, max_value=MAX_WAIT_MINUTES, required=False, label="Then wait (minutes)"
    )

    def clean_people(self) -> list[int | str]:
        names = [n.strip() for n in self.cleaned_data.get("people", "").split(",") if n.strip()]
        found = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
        unknown = [n for n in names if n not in found]
        if unknown:
            raise forms.ValidationError(f"Nobody is called {', '.join(unknown)}.")
        return [found[n] for n in names]

    def step(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get("target"):
            return None
        return {
            "target": data["target"],
            "schedule": data.get("schedule"),
            "people": data.get("people") or [],
            "wait_minutes": data.get("wait_minutes"),
        }


StepFormSet = forms.formset_factory(
    StepForm, extra=0, max_num=MAX_STEPS, absolute_max=MAX_STEPS, validate_max=True
)


def step_initial(policy: EscalationPolicy | None) -> list[dict[str, Any]]:
    """The step rows of a policy (its steps, then spare blank rows)."""
    rows: list[dict[str, Any]] = []
    if policy is not None:
        for step in policy.steps.all():
            rows.append(
                {
                    "target": step.target,
                    "schedule": step.schedule_id,
                    "people": ", ".join(p.username for p in step.people.all()),
                    "wait_minutes": step.wait_minutes,
                }
            )
    spare = min(SPARE_STEP_ROWS, MAX_STEPS - len(rows))
    return rows + [{} for _ in range(max(spare, 0))]


class ContactMethodForm(forms.Form):
    kind = forms.ChoiceField(choices=ContactMethodKind.choices, label="Kind")
    label = forms.CharField(max_length=100, help_text="E.g. “Work email”, “SMS gateway”.")
    address = forms.CharField(
        max_length=500, help_text="An email address, or the https URL of the webhook."
    )


class RuleForm(forms.Form):
    delay_minutes = forms.IntegerField(
        min_value=0,
        max_value=MAX_DELAY_MINUTES,
        label="Notify after (minutes)",
        help_text="0: as soon as you are paged.",
    )
