"""HTML input of the change calendar pages: which month or week and service to show, the feed
link for one service, a freeze window, a standard-change template. Forms check the shape of the
input; the services (changes.calendar.freeze, changes.calendar.change_templates) check the
rules."""

from datetime import date
from typing import Any

from django import forms

from changes.choices import ChangeImpact, Risk
from core.models import Service
from core.web.forms import CappedModelChoiceField, active_services, assign_options

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class CalendarQueryForm(forms.Form):
    """?view=month|week, ?month=YYYY-MM, ?week=YYYY-MM-DD (any day of the week), ?service=id."""

    view = forms.ChoiceField(
        choices=[("month", "Month"), ("week", "Week")], required=False, label="Show"
    )
    month = forms.CharField(required=False, max_length=7, label="Month")
    week = forms.DateField(required=False, label="Week of")
    service = CappedModelChoiceField(
        queryset=Service.objects.none(),
        required=False,
        label="Service",
        empty_label="Every service",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        service = self.fields["service"]
        assert isinstance(service, CappedModelChoiceField)
        assign_options(service, active_services)

    def clean_month(self) -> date | None:
        value = self.cleaned_data.get("month") or ""
        if not value:
            return None
        try:
            first = date.fromisoformat(f"{value}-01")
        except ValueError:
            raise forms.ValidationError("Give the month as YYYY-MM, e.g. 2027-03.") from None
        if not 1970 <= first.year <= 9998:
            raise forms.ValidationError("Choose a month between 1970 and 9998.")
        return first

    def clean_week(self) -> date | None:
        day = self.cleaned_data.get("week")
        if day is not None and not 1970 <= day.year <= 9998:
            raise forms.ValidationError("Choose a week between 1970 and 9998.")
        return day


class FeedLinkForm(forms.Form):
    """The feed link for one service: the secret shown on the page (posted back, never put in
    a URL the server logs) and the chosen service. Prefixed: the calendar's filter has a
    `service` field of its own on the same page."""

    prefix = "feed"
    token = forms.CharField(max_length=100, widget=forms.HiddenInput)
    service = CappedModelChoiceField(
        queryset=Service.objects.none(),
        label="Only the changes of",
        empty_label="Choose a service…",
        error_messages={"required": "Choose a service."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        service = self.fields["service"]
        assert isinstance(service, CappedModelChoiceField)
        assign_options(service, active_services)


class FreezeWindowForm(forms.Form):
    """A freeze window, in the signed-in person's local time."""

    name = forms.CharField(max_length=120, label="Name")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Reason"
    )
    starts_at = forms.DateTimeField(label="Starts", widget=DATETIME)
    ends_at = forms.DateTimeField(label="Ends", widget=DATETIME)
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.none(),
        required=False,
        label="Services",
        help_text="The services it freezes. Leave all unchecked to freeze every service.",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        services = self.fields["services"]
        assert isinstance(services, forms.ModelMultipleChoiceField)
        assign_options(services, active_services)


class ChangeTemplateForm(forms.Form):
    """A pre-approved standard change."""

    name = forms.CharField(max_length=120, label="Name")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Description"
    )
    service = CappedModelChoiceField(
        queryset=Service.objects.none(), required=False, label="Service", empty_label="None"
    )
    risk = forms.ChoiceField(choices=Risk.choices, label="Risk")
    impact = forms.ChoiceField(choices=ChangeImpact.choices, label="Impact")
    implementation_plan = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), label="Implementation plan"
    )
    test_plan = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Test plan")
    backout_plan = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Back-out plan")
    is_patch = forms.BooleanField(
        required=False,
        label="A patch rollout",
        help_text="Changes from it carry patch identifiers and a status per configuration item.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        service = self.fields["service"]
        assert isinstance(service, CappedModelChoiceField)
        assign_options(service, active_services)
