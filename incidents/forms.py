"""HTML input validation for the incident pages. Forms only check and convert input; every write
goes through incidents.services, whose domain errors the views map back onto these fields."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Model, Q, QuerySet
from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue
from django.urls import reverse

from core.choices import Role
from core.exceptions import ValidationFailed
from core.models import ConfigurationItem, Service, SupportGroup, User
from core.roles import ROLE_GROUP_NAMES
from core.services import attachment_validate
from core.tickets.rating import COMMENT_MAX_LENGTH, SCORE_LABELS
from incidents.choices import (
    CancelReason,
    Category,
    HoldReason,
    Impact,
    ResolutionCode,
    Urgency,
)

# No page renders a select box of more than this many options (DESIGN.md §7).
MAX_SELECT_OPTIONS = 200


class CappedModelChoiceIterator(ModelChoiceIterator):
    """Renders at most MAX_SELECT_OPTIONS choices; validation still looks at the whole queryset."""

    def __iter__(self) -> Iterator[tuple[ModelChoiceIteratorValue | str, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset[:MAX_SELECT_OPTIONS]:
            yield self.choice(obj)

    def __len__(self) -> int:
        return min(self.queryset.count(), MAX_SELECT_OPTIONS) + (
            1 if self.field.empty_label is not None else 0
        )


class CappedModelChoiceField(forms.ModelChoiceField):
    iterator = CappedModelChoiceIterator


def agent_users() -> QuerySet[User]:
    """Active people who work tickets (agents, managers, admins), for assignee selects."""
    names = [ROLE_GROUP_NAMES[r] for r in (Role.AGENT, Role.MANAGER, Role.ADMIN)]
    return (
        User.objects.filter(Q(groups__name__in=names) | Q(is_superuser=True), is_active=True)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class AgentChoiceField(CappedModelChoiceField):
    def label_from_instance(self, obj: Model) -> str:
        return obj.display_name if isinstance(obj, User) else str(obj)


class ConfigurationItemChoiceField(CappedModelChoiceField):
    def label_from_instance(self, obj: Model) -> str:
        if isinstance(obj, ConfigurationItem):
            return f"{obj.service.name}: {obj.name}"
        return str(obj)


def active_services() -> QuerySet[Service]:
    return Service.objects.filter(is_active=True).order_by("name")


def active_groups() -> QuerySet[SupportGroup]:
    return SupportGroup.objects.filter(is_active=True).order_by("tier", "name")


def _with_blank(choices: list[tuple[str, str]], label: str = "Choose…") -> list[tuple[str, str]]:
    return [("", label), *choices]


def apply_domain_errors(form: forms.Form, error: ValidationFailed, aliases: dict[str, str]) -> None:
    """Put a service's ValidationFailed messages on the matching fields (the rest on the form)."""
    for name, message in error.errors.items():
        field = aliases.get(name, name)
        form.add_error(field if field in form.fields else None, message)


def _check_upload(upload: UploadedFile | None) -> UploadedFile | None:
    if upload is None:
        return None
    try:
        attachment_validate(upload)
    except ValidationFailed as exc:
        raise forms.ValidationError(list(exc.errors.values())) from exc
    return upload


def attachment_help_text() -> str:
    limit_mb = settings.ATTACHMENT_MAX_BYTES / (1024 * 1024)
    kinds = ", ".join(ext.lstrip(".") for ext in settings.ATTACHMENT_ALLOWED_EXTENSIONS)
    return f"Up to {limit_mb:g} MB. Accepted: {kinds}."


# How many files one report may carry; more can be added on the incident page afterwards.
MAX_REPORT_FILES = 5


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero or more uploaded files, each checked like a single attachment (size, type)."""

    widget = MultipleFileInput

    def __init__(self, *args: Any, max_files: int = MAX_REPORT_FILES, **kwargs: Any) -> None:
        self.max_files = max_files
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        uploads = [u for u in (data if isinstance(data, list | tuple) else [data]) if u]
        if not uploads:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        if len(uploads) > self.max_files:
            raise forms.ValidationError(
                f"Attach at most {self.max_files} files here; you can add more on the incident "
                "page afterwards."
            )
        cleaned: list[UploadedFile] = []
        errors: list[str] = []
        for upload in uploads:
            cleaned.append(super().clean(upload, initial))
            try:
                attachment_validate(upload)
            except ValidationFailed as exc:
                errors.extend(exc.errors.values())
        if errors:
            raise forms.ValidationError(errors)
        return cleaned


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
        self.fields["service"].queryset = active_services()  # type: ignore[attr-defined]
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


# --- Satisfaction ---------------------------------------------------------------------------


class SatisfactionForm(forms.Form):
    """The requester's rating (1-5 stars) and an optional comment; the rules are enforced by
    incidents.satisfaction / service_requests.satisfaction."""

    score = forms.TypedChoiceField(
        choices=[(score, f"{score} of 5: {label}") for score, label in SCORE_LABELS.items()],
        coerce=int,
        widget=forms.RadioSelect,
        label="How did we do?",
        error_messages={
            "required": "Choose from 1 (very poor) to 5 (excellent) stars.",
            "invalid_choice": "Choose from 1 (very poor) to 5 (excellent) stars.",
        },
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        label="Anything you want to tell us?",
        help_text="What went well, or what we could do better. Only the service desk sees it.",
    )

    def star_options(self) -> list[dict[str, Any]]:
        """The radio options with their score and words, for the star rating template."""
        subwidgets = {str(w.data["value"]): w for w in self["score"].subwidgets}
        return [
            {"score": score, "label": label, "widget": subwidgets[str(score)]}
            for score, label in SCORE_LABELS.items()
        ]


# --- Comments and files ---------------------------------------------------------------------


class ReplyForm(forms.Form):
    """A requester's reply (always public)."""

    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Reply",
        help_text="The service desk sees your reply. Markdown is supported.",
        max_length=50_000,
    )


class AgentCommentForm(forms.Form):
    PUBLIC = "public"
    INTERNAL = "internal"

    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Comment",
        help_text="Markdown is supported.",
        max_length=50_000,
    )
    visibility = forms.ChoiceField(
        choices=[
            (INTERNAL, "Internal note (agents only)"),
            (PUBLIC, "Public reply (the requester sees this)"),
        ],
        initial=INTERNAL,
        widget=forms.RadioSelect,
        label="Who can see it?",
    )

    @property
    def is_internal(self) -> bool:
        return bool(self.cleaned_data["visibility"] == self.INTERNAL)


class AttachmentForm(forms.Form):
    file = forms.FileField(label="File")

    def __init__(self, *args: Any, allow_internal: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = attachment_help_text()
        if allow_internal:
            self.fields["is_internal"] = forms.BooleanField(
                required=False, label="Internal (agents only; the requester cannot see it)"
            )

    def clean_file(self) -> UploadedFile | None:
        return _check_upload(self.cleaned_data.get("file"))


# --- Lifecycle transitions ------------------------------------------------------------------


class VersionedForm(forms.Form):
    """Every write form carries the version the agent saw; a stale one is refused as a conflict."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class AcceptForm(VersionedForm):
    pass


class ClassifyForm(VersionedForm):
    category = forms.ChoiceField(choices=_with_blank(Category.choices))
    impact = forms.ChoiceField(choices=Impact.choices)
    urgency = forms.ChoiceField(choices=Urgency.choices)
    service = CappedModelChoiceField(queryset=Service.objects.none(), empty_label="Choose…")
    configuration_item = ConfigurationItemChoiceField(
        queryset=ConfigurationItem.objects.none(),
        required=False,
        empty_label="None",
        label="Configuration item",
        help_text="Must belong to the chosen service.",
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
        self.fields["service"].queryset = active_services()  # type: ignore[attr-defined]
        self.fields["configuration_item"].queryset = (  # type: ignore[attr-defined]
            ConfigurationItem.objects.filter(is_active=True, service__is_active=True)
            .select_related("service")
            .order_by("service__name", "name")
        )
        self.fields["support_group"].queryset = active_groups()  # type: ignore[attr-defined]


def _notes_field(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label=label, help_text=help_text
    )


class ContainForm(VersionedForm):
    containment_notes = _notes_field(
        "Containment notes", "How the spread was stopped or which workaround is in place."
    )


class DiagnoseForm(VersionedForm):
    diagnosis_notes = _notes_field("Diagnosis notes", "The cause that was found.")


class ResolveForm(VersionedForm):
    resolution_code = forms.ChoiceField(
        choices=_with_blank(ResolutionCode.choices), label="Resolution code"
    )
    resolution_notes = _notes_field(
        "Resolution notes", "The requester sees these notes: say what was done."
    )


class CloseForm(VersionedForm):
    pass


class ReopenForm(VersionedForm):
    reason = _notes_field("Why is it not fixed?")


class HoldForm(VersionedForm):
    on_hold_reason = forms.ChoiceField(choices=_with_blank(HoldReason.choices), label="Waiting for")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Note")


class ResumeForm(VersionedForm):
    pass


class CancelForm(VersionedForm):
    cancel_reason = forms.ChoiceField(choices=_with_blank(CancelReason.choices), label="Reason")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Note")


TRANSITION_FORMS: dict[str, type[VersionedForm]] = {
    "accept": AcceptForm,
    "classify": ClassifyForm,
    "contain": ContainForm,
    "diagnose": DiagnoseForm,
    "resolve": ResolveForm,
    "close": CloseForm,
    "reopen": ReopenForm,
    "hold": HoldForm,
    "resume": ResumeForm,
    "cancel": CancelForm,
}


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


class TierMoveForm(VersionedForm):
    """Escalate or de-escalate by hand: the reason goes on the timeline for the next tier."""

    reason = _notes_field("Reason", "Why it needs another tier; the next group reads this.")
