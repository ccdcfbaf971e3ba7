"""HTML input validation for the request pages. Forms only check and convert input; every write
goes through service_requests.services, whose domain errors the views map back onto fields.

The catalog item's own questions become a real Django form (`RequestForm`), built from the
same field definitions request_create validates with (service_requests.answers).
"""

from typing import Any

from django import forms

from core.models import SupportGroup, User
from core.web.forms import (
    AgentChoiceField,
    CappedModelChoiceField,
    VersionedForm,
    active_groups,
    agent_users,
)
from incidents.choices import Impact, Urgency
from service_requests.answers import form_field_for
from service_requests.choices import CancelReason, HoldReason
from service_requests.models import CatalogField, CatalogItem


def _with_blank(choices: list[tuple[str, str]], label: str = "Choose…") -> list[tuple[str, str]]:
    return [("", label), *choices]


def _notes(label: str, help_text: str = "", *, required: bool = True) -> forms.CharField:
    return forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label=label,
        help_text=help_text,
        required=required,
        max_length=10_000,
    )


class RequestForm(forms.Form):
    """The item's questions (one field per CatalogField, named by its key) and free details."""

    def __init__(self, *args: Any, specs: list[CatalogField], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for spec in specs:
            self.fields[spec.key] = form_field_for(spec)
        self.fields["details"] = _notes(
            "Anything else we should know?",
            "Markdown is supported.",
            required=False,
        )


# --- Lifecycle ------------------------------------------------------------------------------


class StartForm(VersionedForm):
    pass


class FulfilForm(VersionedForm):
    fulfilment_notes = _notes("What was done", "The requester sees these notes.")


class CloseForm(VersionedForm):
    pass


class HoldForm(VersionedForm):
    on_hold_reason = forms.ChoiceField(choices=_with_blank(HoldReason.choices), label="Waiting for")
    note = _notes("Note", required=False)


class ResumeForm(VersionedForm):
    pass


class CancelForm(VersionedForm):
    cancel_reason = forms.ChoiceField(
        choices=_with_blank(
            [(v, label) for v, label in CancelReason.choices if v != "converted_to_incident"]
        ),
        label="Reason",
    )
    note = _notes("Note", "The requester sees this note.", required=False)


AGENT_TRANSITION_FORMS: dict[str, type[VersionedForm]] = {
    "start": StartForm,
    "fulfil": FulfilForm,
    "close": CloseForm,
    "hold": HoldForm,
    "resume": ResumeForm,
    "cancel": CancelForm,
}


class WithdrawForm(VersionedForm):
    """The requester withdraws their own request."""

    note = _notes("Why are you withdrawing it?", required=False)


class ConfirmForm(VersionedForm):
    """The requester confirms a fulfilled request (it closes)."""


class ApproveForm(VersionedForm):
    comment = _notes("Comment", "Optional; the requester sees it.", required=False)


class RejectForm(VersionedForm):
    reason = _notes("Why are you rejecting it?", "The requester sees this reason.")


class AssignForm(VersionedForm):
    assignee = AgentChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Unassigned", label="Assignee"
    )
    support_group = CappedModelChoiceField(
        queryset=SupportGroup.objects.none(),
        required=False,
        empty_label="Keep the current group",
        label="Support group",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = agent_users()  # type: ignore[attr-defined]
        self.fields["support_group"].queryset = active_groups()  # type: ignore[attr-defined]


class TaskForm(forms.Form):
    done = forms.BooleanField(required=False)


class ToIncidentForm(VersionedForm):
    impact = forms.ChoiceField(choices=Impact.choices, initial=Impact.LOW)
    urgency = forms.ChoiceField(choices=Urgency.choices, initial=Urgency.MEDIUM)


class CatalogItemChoiceField(CappedModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        if isinstance(obj, CatalogItem):
            return f"{obj.category.name}: {obj.name}"
        return str(obj)


class ToRequestForm(VersionedForm):
    """Convert an incident: the catalog item the request is for."""

    item = CatalogItemChoiceField(
        queryset=CatalogItem.objects.none(),
        empty_label="Choose…",
        label="Catalog item",
        help_text="The request follows this item's approval step and fulfilment checklist.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from service_requests.selectors import catalog_items_for_conversion

        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = catalog_items_for_conversion()  # type: ignore[attr-defined]
