"""HTML input validation for the problem pages. Forms only check and convert input; every write
goes through problems.services / recurrence / reviews, whose domain errors the views map back
onto these fields (core.web.forms.apply_domain_errors)."""

from typing import Any

from django import forms
from django.db.models import Model, QuerySet

from core.capped_counts import CappedCount
from core.choices import Category, Priority
from core.config_memo import ConfigMemo
from core.models import ConfigurationItem, Service, SupportGroup, User
from core.web.forms import (
    AgentChoiceField,
    CappedModelChoiceField,
    ConfigurationItemChoiceField,
    VersionedForm,
    active_groups,
    active_services,
    agent_users,
    assign_options,
)
from problems.linked_kind import resolution_choices
from problems.models import Problem
from problems.reviews import REQUIRED_TO_COMPLETE, REVIEW_SECTIONS

# ResolveForm's initial values naming the open linked incidents it offers to resolve.
OPEN_INCIDENTS = "open_incidents"
OPEN_INCIDENTS_CAPPED = "open_incidents_capped"


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


def _with_blank(choices: list[tuple[Any, str]], label: str) -> list[tuple[Any, str]]:
    return [("", label), *choices]


def active_configuration_items() -> QuerySet[ConfigurationItem]:
    """Every active item of an active service, named with its service. A named source
    (core.web.forms.assign_options): its options are memoised under this name, where a
    queryset assigned as such had its SQL compiled on every page (~0.9 ms of the problem
    page's CPU)."""
    return (
        ConfigurationItem.objects.filter(is_active=True, service__is_active=True)
        .select_related("service")
        .order_by("service__name", "name")
    )


class ProblemDetailsForm(forms.Form):
    """What the problem is about and who works on it (creation and edits)."""

    # Its __init__ reads nothing but memoised options (core.web.kept_fragments keys by their
    # generation): the problem page keeps its details panel per key of its initial values.
    renders_from_initial = True

    title = forms.CharField(max_length=200)
    description = _text("Description", "Markdown is supported.", rows=4)
    service = CappedModelChoiceField(
        queryset=Service.objects.none(), required=False, empty_label="None"
    )
    configuration_item = ConfigurationItemChoiceField(
        queryset=ConfigurationItem.objects.none(),
        required=False,
        empty_label="None",
        label="Configuration item",
        help_text="Must belong to the chosen service.",
    )
    category = forms.ChoiceField(choices=_with_blank(Category.choices, "None"), required=False)
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int, initial=Priority.P3)
    support_group = CappedModelChoiceField(
        queryset=SupportGroup.objects.none(), required=False, empty_label="None", label="Group"
    )
    assignee = AgentChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Unassigned"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assign_options(self.fields["service"], active_services)
        assign_options(self.fields["configuration_item"], active_configuration_items)
        assign_options(self.fields["support_group"], active_groups)
        assign_options(self.fields["assignee"], agent_users)


class ProblemCreateForm(ProblemDetailsForm):
    symptoms = _text("Symptoms", "What users and monitoring see.", rows=3)
    # Set when the problem is raised from an incident page: that incident gets linked.
    from_incident = forms.CharField(max_length=20, required=False, widget=forms.HiddenInput)


class ProblemEditForm(VersionedForm, ProblemDetailsForm):
    @classmethod
    def initial_for(cls, problem: Problem) -> dict[str, Any]:
        return {
            "version": problem.version,
            "title": problem.title,
            "description": problem.description,
            "service": problem.service_id,
            "configuration_item": problem.configuration_item_id,
            "category": problem.category,
            "priority": problem.priority,
            "support_group": problem.support_group_id,
            "assignee": problem.assignee_id,
        }


class AnalysisForm(VersionedForm):
    symptoms = _text("Symptoms", "What users and monitoring see.", rows=3)
    root_cause = _text("Root cause", rows=3)
    workaround = _text(
        "Workaround",
        "Published to agents and to the requesters of matching incidents once this is a "
        "known error: write it for them.",
        rows=3,
    )
    permanent_fix = _text("Permanent fix", rows=3)


# --- Lifecycle ------------------------------------------------------------------------------


class KnownErrorForm(VersionedForm):
    root_cause = _text("Root cause", rows=3, required=True)
    workaround = _text(
        "Workaround",
        "Published to agents and to the requesters of matching incidents: write it for them.",
        rows=3,
        required=True,
    )


class ResolveForm(VersionedForm):
    # Made from its initial values alone (core.web.ticket_page_parts.renders_from_initial): the
    # offer of the open linked incidents is worded from two of them (`offer_initial`), so the
    # problem page's "Next steps" card is kept per open count like any other page's.
    renders_from_initial = True

    root_cause = _text("Root cause", rows=3, required=True)
    permanent_fix = _text(
        "Permanent fix", "What was changed so it does not happen again.", rows=3, required=True
    )
    resolve_linked = forms.BooleanField(
        required=False, label="Also resolve the open linked incidents with this fix"
    )
    incident_resolution_code = forms.ChoiceField(
        choices=resolution_choices,
        label="Resolution code for the incidents",
        required=False,
    )

    def __init__(self, *args: Any, open_incidents: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if open_incidents is None and OPEN_INCIDENTS in self.initial:
            open_incidents = CappedCount(
                self.initial[OPEN_INCIDENTS], self.initial[OPEN_INCIDENTS_CAPPED]
            )
        if open_incidents is not None:
            self.offer_linked(open_incidents)

    @staticmethod
    def offer_initial(open_incidents: CappedCount) -> dict[str, Any]:
        """The initial values that word the offer for this many open linked incidents (plain
        values: a kept part's key names them)."""
        return {OPEN_INCIDENTS: int(open_incidents), OPEN_INCIDENTS_CAPPED: open_incidents.capped}

    def offer_linked(self, open_incidents: int) -> None:
        """Word the offer for the problem's open linked incidents, or drop it when none is
        open. Without it (a posted form) both fields are read as sent."""
        if not open_incidents:
            self.fields.pop("resolve_linked", None)
            self.fields.pop("incident_resolution_code", None)
            return
        counted = (
            open_incidents.label if isinstance(open_incidents, CappedCount) else str(open_incidents)
        )
        self.fields["resolve_linked"].label = (
            f"Also resolve the {counted} open linked incident"
            f"{'s' if open_incidents != 1 else ''} with this fix"
        )
        self.fields["resolve_linked"].help_text = (
            "Each is resolved on its own timeline and its requester is told; any that cannot "
            "be resolved yet are listed afterwards."
        )


class ReopenForm(VersionedForm):
    reason = _text("Why did the fix not hold?", rows=3, required=True)


class CancelForm(VersionedForm):
    cancel_reason = _text("Why is it cancelled?", rows=2, required=True)


class ResolveLinkedForm(forms.Form):
    resolution_code = forms.ChoiceField(
        choices=resolution_choices,
        label="Resolution code",
    )


# --- Links ----------------------------------------------------------------------------------


class LinkIncidentForm(forms.Form):
    incident = forms.CharField(
        max_length=20, label="Incident number", help_text="For example INC-000123."
    )

    def clean_incident(self) -> str:
        value: str = self.cleaned_data["incident"].strip().upper()
        digits = value.removeprefix("INC-").lstrip("0")
        if digits.isdigit():
            return f"INC-{int(digits):06d}"
        return value


# The options of the "link to a problem" selects (number · title of the open problems), kept per
# process and forgotten when a problem is saved or deleted (core.config_memo: at once in this
# process, within CONFIG_MEMO_RECHECK_SECONDS in the others). Every open incident's page shows
# one: read and rendered on every page, it was a fifth of the page's CPU (issue 18).
# Connected in ProblemsConfig.ready().
PROBLEM_OPTIONS_MEMO = ConfigMemo("problem-options", ["problems.Problem"])


class ProblemChoiceField(CappedModelChoiceField):
    options_memo = PROBLEM_OPTIONS_MEMO

    def label_from_instance(self, obj: Model) -> str:
        if isinstance(obj, Problem):
            return f"{obj.number} · {obj.title}"
        return str(obj)


class LinkProblemForm(forms.Form):
    problem = ProblemChoiceField(
        queryset=Problem.objects.none(), empty_label="Choose an open problem…", label="Problem"
    )

    def __init__(self, *args: Any, problems: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["problem"].queryset = problems  # type: ignore[attr-defined]


class KnownErrorSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    include_resolved = forms.BooleanField(required=False, label="Include resolved problems")


# --- Proposals and reviews ------------------------------------------------------------------


class AcceptProposalForm(forms.Form):
    title = forms.CharField(
        max_length=200,
        required=False,
        label="Problem title",
        help_text="Leave empty for a title made from the service and category.",
    )


class ReviewForm(VersionedForm):
    """The review's sections. Each may be saved empty (a draft); the page marks those that
    completing the review needs instead of calling them optional."""

    needed_to_complete = REQUIRED_TO_COMPLETE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label, help_text in REVIEW_SECTIONS:
            self.fields[name] = _text(label, help_text, rows=4)


class ActionItemForm(forms.Form):
    description = forms.CharField(max_length=300, label="Action")
    owner = AgentChoiceField(queryset=User.objects.none(), empty_label="Choose…")
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Due")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assign_options(self.fields["owner"], agent_users)


class CompleteReviewForm(VersionedForm):
    pass
