"""HTML input validation for the request pages. Forms only check and convert input; every write
goes through service_requests.services, whose domain errors the views map back onto fields.

The catalog item's own questions become a real Django form (`RequestForm`), built from the
same field definitions request_create validates with (service_requests.answers). The forms of
the actions every kind shares (hold, cancel, assign, confirm...) are core.web.forms'.
"""

from typing import Any

from django import forms

from core.config_memo import ConfigMemo
from core.web.forms import CappedModelChoiceField, VersionedForm
from service_requests.answers import form_field_for
from service_requests.models import CatalogField, CatalogItem
from service_requests.selectors import catalog_items_for_conversion


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

    def __init__(
        self, *args: Any, specs: list[CatalogField], may_look_up_people: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for spec in specs:
            self.fields[spec.key] = form_field_for(spec, may_look_up_people=may_look_up_people)
        self.fields["details"] = _notes(
            "Anything else we should know?",
            "Markdown is supported.",
            required=False,
        )


# --- Lifecycle ------------------------------------------------------------------------------


class FulfilForm(VersionedForm):
    fulfilment_notes = _notes("What was done", "The requester sees these notes.")


class WithdrawForm(VersionedForm):
    """The requester withdraws their own request."""

    note = _notes("Why are you withdrawing it?", required=False)


class ApproveForm(VersionedForm):
    comment = _notes("Comment", "Optional; the requester sees it.", required=False)


class RejectForm(VersionedForm):
    reason = _notes("Why are you rejecting it?", "The requester sees this reason.")


class TaskForm(forms.Form):
    done = forms.BooleanField(required=False)


# --- Conversion -----------------------------------------------------------------------------


# The options of the catalogue item selects ("Category: Item"), kept per process and forgotten
# when an item or a category is saved or deleted (core.config_memo). Every open incident's page
# shows one in its "turn into a request" form: read on every page, it was about 1.8 ms.
# Connected in ServiceRequestsConfig.ready().
CATALOG_OPTIONS_MEMO = ConfigMemo(
    "request-catalog-options", ["requests.CatalogItem", "requests.CatalogCategory"]
)


class CatalogItemChoiceField(CappedModelChoiceField):
    options_memo = CATALOG_OPTIONS_MEMO

    def label_from_instance(self, obj: Any) -> str:
        if isinstance(obj, CatalogItem):
            return f"{obj.category.name}: {obj.name}"
        return str(obj)


class ToRequestForm(VersionedForm):
    """What an agent chooses when a ticket of another kind turns out to be a request: the
    catalog item it is for (the request kind's Conversion.form; the version is the other
    ticket's)."""

    prefix = "to_request"
    item = CatalogItemChoiceField(
        queryset=CatalogItem.objects.none(),
        empty_label="Choose…",
        label="Catalog item",
        help_text="The request follows this item's approval step and fulfilment checklist.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = catalog_items_for_conversion()  # type: ignore[attr-defined]
