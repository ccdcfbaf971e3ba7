"""HTML input of the on-call pages: an override on a schedule's page."""

from typing import Any

from django import forms

from core.models import User
from core.web.forms import AgentChoiceField
from oncall.models import Schedule


class OverrideForm(forms.Form):
    """Who covers the schedule from when to when (local times of the signed-in person)."""

    person = AgentChoiceField(queryset=User.objects.none(), label="Who is on call")
    start = forms.DateTimeField(
        label="From", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    end = forms.DateTimeField(
        label="Until", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args: Any, schedule: Schedule, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        person = self.fields["person"]
        assert isinstance(person, AgentChoiceField)
        person.queryset = schedule.support_group.members.filter(is_active=True).order_by(
            "first_name", "last_name", "username"
        )
