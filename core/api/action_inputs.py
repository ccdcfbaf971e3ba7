"""Input shapes of the actions every kind shares (core.standard_actions): no fields, a reason,
an assignment, and the hold and cancel reasons of a kind (built from its model's choices, so
each kind's schema lists its own reasons)."""

from typing import Any

from django.db.models import Model
from rest_framework import serializers

from core.api.serializers import InputSerializer
from core.models import SupportGroup, User


class EmptyInputSerializer(InputSerializer):
    """Actions that need no fields (accept, close, resume, claim...)."""


class ReasonInputSerializer(InputSerializer):
    """Actions that need a reason (reopen, escalate, de-escalate, reject...)."""

    reason = serializers.CharField(max_length=5_000)


class AssignInputSerializer(InputSerializer):
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        allow_null=True,
        help_text="An active agent's id, or null to unassign.",
    )
    support_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.filter(is_active=True), required=False, allow_null=True
    )


def _note() -> serializers.CharField:
    return serializers.CharField(max_length=5_000, required=False, allow_blank=True, default="")


def reason_input(
    model: type[Model], field: str, *, exclude: tuple[str, ...] = (), **options: Any
) -> type[InputSerializer]:
    """An input of `field` (one of the model field's choices, minus `exclude`) and a note,
    named after the model and the field (`IncidentHoldInput`) for the schema."""
    choices = [
        (value, label)
        for value, label in model._meta.get_field(field).flatchoices  # type: ignore[union-attr]
        if value not in exclude
    ]
    action = "Hold" if field == "on_hold_reason" else "Cancel"
    attrs = {
        field: serializers.ChoiceField(choices=choices, **options),
        "note": _note(),
        "__module__": __name__,
    }
    return type(f"{model.__name__}{action}InputSerializer", (InputSerializer,), attrs)
