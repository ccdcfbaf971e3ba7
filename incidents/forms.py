"""HTML input validation for the incident pages. Forms only check and convert input; every write
goes through incidents.services, whose domain errors the views map back onto these fields."""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.urls import reverse

from core.choices import Priority
from core.models import ConfigurationItem, Service, SupportGroup
from core.web.forms import (
    MAX_REPORT_FILES,
    CappedModelChoiceField,
    ConfigurationItemChoiceField,
    MultipleFileField,
    VersionedForm,
    active_groups,
    active_services,
    assign_options,
    attachment_help_text,
    notes_field,
    with_blank,
)
from incidents.choices import (
    Category,
    Impact,
    ResolutionCode,
    Urgency,
)
from incidents.priority import priority_for

# --- End-user report ------------------------------------------------------------------------


@dataclass(frozen=True)
class Effect:
    """One answer to "How does this affect you?" and the impact x urgency it stands for."""

    key: str
    label: str
    impact: str
    urgency: str

    @property
    def explanation(self) -> str:
        impact = Impact(self.impact).name.lower()
        urgency = Urgency(self.urgency).name.lower()
        return f"{impact} impact, {urgency} urgency"


# Plain-language answers a requester can give, mapped onto the ITIL impact x urgency matrix
# (incidents.priority turns the pair into P1..P5). Agents can correct both when classifying.
EFFECTS: tuple[Effect, ...] = (
    Effect("me_can_work", "Only me, and I can still work", Impact.LOW, Urgency.LOW),
    Effect("me_slowed", "Only me, and my work is slowed down", Impact.LOW, Urgency.MEDIUM),
    Effect("me_stopped", "Only me, and I cannot work at all", Impact.LOW, Urgency.HIGH),
    Effect(
        "team_slowed",
        "My team or part of a service, work is slowed down",
        Impact.MEDIUM,
        Urgency.MEDIUM,
    ),
    Effect(
        "team_stopped",
        "My team or part of a service, work has stopped",
        Impact.MEDIUM,
        Urgency.HIGH,
    ),
    Effect(
        "many_stopped",
        "Many people / a whole service, work has stopped",
        Impact.HIGH,
        Urgency.HIGH,
    ),
)
EFFECTS_BY_KEY = {effect.key: effect for effect in EFFECTS}


class IncidentReportForm(forms.Form):
    title = forms.CharField(
        max_length=200,
        label="What is broken?",
        help_text="One line, e.g. “Cannot send email from Outlook”.",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        label="Details",
        help_text="What happened, since when, and any error message. Markdown is supported: "
        "**bold**, _italic_, lists, `code` and links.",
    )
    service = CappedModelChoiceField(
        queryset=Service.objects.none(),
        required=False,
        empty_label="Not sure / something else",
        label="Which service?",
    )
    effect = forms.ChoiceField(
        choices=[(e.key, e.label) for e in EFFECTS],
        widget=forms.RadioSelect,
        label="How does this affect you?",
        error_messages={"required": "Tell us how this affects you, so we can prioritise it."},
    )
    attachment = MultipleFileField(required=False, label="Screenshots or files")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assign_options(self.fields["service"], active_services)
        limits = attachment_help_text()
        self.fields[
            "attachment"
        ].help_text = f"Up to {MAX_REPORT_FILES} files, each {limits[:1].lower()}{limits[1:]}"
        # While the title is typed, matching known errors are suggested below it (htmx); the
        # form works the same without JavaScript.
        self.fields["title"].widget.attrs.update(
            {
                "autocomplete": "off",
                "hx-get": reverse("problems:portal_suggest"),
                "hx-trigger": "keyup changed delay:300ms",
                "hx-target": "#known-error-suggestions",
                "hx-swap": "innerHTML",
                "aria-controls": "known-error-suggestions",
            }
        )

    def clean_title(self) -> str:
        title: str = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("Give the incident a short title.")
        return title

    @property
    def chosen_effect(self) -> Effect:
        return EFFECTS_BY_KEY[self.cleaned_data["effect"]]

    def effect_options(self) -> list[dict[str, Any]]:
        """The radio options with their explanation, for a template that shows the mapping."""
        subwidgets = {str(w.data["value"]): w for w in self["effect"].subwidgets}
        return [{"effect": e, "widget": subwidgets[e.key]} for e in EFFECTS]


# --- Lifecycle transitions ------------------------------------------------------------------


@dataclass(frozen=True)
class PriorityPreview:
    """The priority an impact and an urgency give, as the classify form shows it live."""

    impact: str
    urgency: str
    priority: int

    @property
    def label(self) -> str:
        return str(Priority(self.priority).label)

    @property
    def impact_label(self) -> str:
        return str(Impact(self.impact).label)

    @property
    def urgency_label(self) -> str:
        return str(Urgency(self.urgency).label)


def priority_preview(impact: object, urgency: object) -> PriorityPreview | None:
    """The matrix's answer (incidents.priority.priority_for, as the service computes it), or
    None while either value is missing or unknown."""
    if impact not in Impact.values or urgency not in Urgency.values:
        return None
    return PriorityPreview(str(impact), str(urgency), priority_for(str(impact), str(urgency)))


def _chosen_pk(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


class ClassifyForm(VersionedForm):
    # Shown after the fields by the kernel's action form (tickets/agent/_actions.html).
    preview_template = "incidents/agent/_priority_preview.html"
    # Its __init__ reads only its initial values, memoised options (by the chosen service's
    # SQL), URLs and the priority matrix setting: a kept "Next steps" card is keyed by all of
    # them (core.web.kept_fragments, core.web.ticket_page_parts.renders_from_initial).
    renders_from_initial = True

    category = forms.ChoiceField(choices=with_blank(Category.choices))
    impact = forms.ChoiceField(choices=Impact.choices)
    urgency = forms.ChoiceField(choices=Urgency.choices)
    service = CappedModelChoiceField(queryset=Service.objects.none(), empty_label="Choose…")
    configuration_item = ConfigurationItemChoiceField(
        queryset=ConfigurationItem.objects.none(),
        required=False,
        empty_label="None",
        label="Configuration item",
        help_text="Must belong to the chosen service. The list follows the service you choose.",
        error_messages={
            "invalid_choice": "The configuration item belongs to another service, or is no "
            "longer in use."
        },
    )
    support_group = CappedModelChoiceField(
        queryset=SupportGroup.objects.none(),
        required=False,
        empty_label="Keep the current group",
        label="Support group",
    )
    is_major = forms.BooleanField(
        required=False,
        label="Major incident",
        help_text="Major incidents must be contained before diagnosis or resolution.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assign_options(self.fields["service"], active_services)
        items = (
            ConfigurationItem.objects.filter(is_active=True, service__is_active=True)
            .select_related("service")
            .order_by("service__name", "name")
        )
        # Only the chosen service's items (a CI of another service is refused anyway); with no
        # service chosen yet, every item, named with its service. Changing the service swaps
        # the list over HTMX (core.web.pickers); without script, the next render follows it.
        service_pk = _chosen_pk(self["service"].value())
        if service_pk is not None:
            items = items.filter(service_id=service_pk)
        self.fields["configuration_item"].queryset = items  # type: ignore[attr-defined]
        assign_options(self.fields["support_group"], active_groups)
        self.fields["service"].widget.attrs.update(
            {
                "hx-get": reverse("core:configuration_item_options"),
                "hx-trigger": "change",
                "hx-target": "next select",
                "hx-swap": "innerHTML",
                "aria-controls": self["configuration_item"].auto_id,
            }
        )
        preview = {
            "hx-get": reverse("incidents:agent_priority_preview"),
            "hx-trigger": "change",
            "hx-include": "closest .action-fields",
            "hx-target": "next .priority-preview",
            "hx-swap": "outerHTML",
        }
        self.fields["impact"].widget.attrs.update(preview)
        self.fields["urgency"].widget.attrs.update(preview)

    @property
    def preview(self) -> PriorityPreview | None:
        return priority_preview(self["impact"].value(), self["urgency"].value())


class ContainForm(VersionedForm):
    containment_notes = notes_field(
        "Containment notes", "How the spread was stopped or which workaround is in place."
    )


class DiagnoseForm(VersionedForm):
    diagnosis_notes = notes_field("Diagnosis notes", "The cause that was found.")


class ResolveForm(VersionedForm):
    resolution_code = forms.ChoiceField(
        choices=with_blank(ResolutionCode.choices), label="Resolution code"
    )
    resolution_notes = notes_field(
        "Resolution notes", "The requester sees these notes: say what was done."
    )


class ReopenForm(VersionedForm):
    reason = notes_field("Why is it not fixed?")


class RecategorizeForm(VersionedForm):
    """Change the category outside classification (incidents.services.incident_recategorize)."""

    category = forms.ChoiceField(
        choices=Category.choices,
        help_text=(
            "Security incidents are seen only by the security team, their assignee, their "
            "requester and managers."
        ),
    )
    reason = notes_field("Why does the category change?")


# --- Outage ---------------------------------------------------------------------------------

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


class ServiceRestoredForm(VersionedForm):
    """When the service was back (MTBF ends the outage there); a time without a zone is read
    in the current time zone."""

    service_restored_at = forms.DateTimeField(
        label="Service restored at",
        input_formats=[LOCAL_MINUTE, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_MINUTE),
        help_text=(
            "When users had the service back, e.g. after a workaround; it defaults to the "
            "resolution time. MTBF counts the outage up to here."
        ),
    )


# --- Conversion -----------------------------------------------------------------------------


class ToIncidentForm(VersionedForm):
    """What an agent chooses when a ticket of another kind turns out to be an incident (the
    incident kind's Conversion.form; the version is the other ticket's)."""

    prefix = "to_incident"
    impact = forms.ChoiceField(choices=Impact.choices, initial=Impact.LOW)
    urgency = forms.ChoiceField(choices=Urgency.choices, initial=Urgency.MEDIUM)
