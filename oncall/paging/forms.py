"""The "Page the on-call" form of the ticket page's Paging panel: a message and, optionally, the
group to page (default: the ticket's group). Only groups with an active escalation policy are
offered, so the choice stays short and a choice that cannot page is never offered."""

from typing import Any

from django import forms

from core.models import SupportGroup
from oncall.paging.services import MAX_MESSAGE


class PageTicketForm(forms.Form):
    message = forms.CharField(
        required=False,
        max_length=MAX_MESSAGE,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_MESSAGE}),
        help_text="What the on-call should know first; it goes into the page.",
    )
    support_group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.none(),
        required=False,
        label="Group to page",
        empty_label="The ticket's group",
        help_text="Groups with an escalation policy; the page climbs to higher tiers from there.",
    )

    def __init__(self, *args: Any, groups: list[SupportGroup] | None = None, **kwargs: Any):
        kwargs.setdefault("prefix", "page")
        super().__init__(*args, **kwargs)
        field = self.fields["support_group"]
        assert isinstance(field, forms.ModelChoiceField)
        if groups is None:
            field.queryset = SupportGroup.objects.filter(
                is_active=True, escalation_policies__is_active=True
            ).distinct()
        else:
            # Choices from the list already read for the panel (no second query).
            field.queryset = SupportGroup.objects.filter(pk__in=[g.pk for g in groups])
            field.choices = [("", field.empty_label)] + [(g.pk, str(g)) for g in groups]
