"""The objective form (HTML input only; slo.services checks the values)."""

from typing import Any

from django import forms

from core.choices import Priority
from core.models import Service
from slo.choices import ObjectiveKind
from slo.models import MAX_WINDOW_DAYS


class ObjectiveForm(forms.Form):
    service = forms.ModelChoiceField(
        queryset=Service.objects.filter(is_active=True).order_by("name"), empty_label=None
    )
    kind = forms.ChoiceField(
        choices=ObjectiveKind.choices,
        widget=forms.RadioSelect,
        help_text="Availability: measured from outage incidents (as MTBF). Response time: how "
        "fast the service's incidents are acknowledged.",
    )
    target = forms.DecimalField(
        label="Target (%)",
        max_digits=6,
        decimal_places=3,
        help_text="For example 99.9 (availability) or 95 (response).",
    )
    window_days = forms.IntegerField(
        label="Window (days)",
        min_value=1,
        max_value=MAX_WINDOW_DAYS,
        help_text="The rolling window the budget is counted over, for example 28.",
    )
    priorities = forms.TypedMultipleChoiceField(
        label="Incident priorities (response time only)",
        choices=Priority.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    threshold_minutes = forms.IntegerField(
        label="Acknowledged within (minutes, response time only)",
        min_value=1,
        required=False,
    )

    def data_for_service(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data["kind"] == ObjectiveKind.AVAILABILITY:
            # The form shows the response fields to everyone; an availability objective
            # ignores them rather than refusing what the page offered.
            data["priorities"] = []
            data["threshold_minutes"] = None
        return data
