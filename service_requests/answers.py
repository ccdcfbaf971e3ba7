"""A catalog item's questions as Django form fields, and their answers as typed JSON.

Used twice on purpose: the portal renders the form built here, and request_create validates the
raw answers again with the same fields, so an API or a forged POST gets the same field-level
errors as the page. Answers are stored by CatalogField.key as JSON values: text as str, numbers
as int (or float when they have decimals), dates as ISO "YYYY-MM-DD", yes/no as bool, users as
their id.

Only agents' answers to a user picker are looked up. An end user's answer is kept as written
(a string): looking it up would tell them whether a user name or email exists (a 400 for an
unknown one, a name shown back for a known one), and end users may not browse the directory
(the users API shows them only themselves). The agent handling the request reads what was
written.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q

from core.exceptions import ValidationFailed
from core.models import User
from service_requests.choices import FieldType
from service_requests.models import CatalogField

TEXT_MAX = 500
LONG_TEXT_MAX = 5_000


class UserPickerField(forms.Field):
    """A person, typed as their username or email: no select box of every user (DESIGN.md §7)."""

    def to_python(self, value: Any) -> User | None:
        if isinstance(value, User):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            found = User.objects.filter(pk=value, is_active=True).first()
            if found is None:
                raise forms.ValidationError("No active user has that id.")
            return found
        text = str(value or "").strip()[:254]
        if not text:
            return None
        if "\x00" in text:
            # PostgreSQL refuses NUL in text parameters; say so instead of failing the query.
            raise forms.ValidationError("Null characters are not allowed.")
        found = User.objects.filter(
            Q(username__iexact=text) | Q(email__iexact=text), is_active=True
        ).first()
        if found is None:
            raise forms.ValidationError(f"No active user with the username or email '{text}'.")
        return found

    def prepare_value(self, value: Any) -> Any:
        return value.username if isinstance(value, User) else value


class PersonAsWrittenField(forms.CharField):
    """A user picker answered by an end user: the text as written, never looked up, so the
    answer is the same whether or not such a person exists."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=254, strip=True, **kwargs)

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        if "\x00" in text:
            raise forms.ValidationError("Null characters are not allowed.")
        return text


def _limit(value: Decimal | None) -> Decimal | int | None:
    # Stored with four decimals; shown in error messages as people wrote them ("20", "2.5").
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else value.normalize()


def form_field_for(spec: CatalogField, *, may_look_up_people: bool = True) -> forms.Field:
    """The Django form field that asks and validates one catalog question; a user picker looks
    the person up only when `may_look_up_people` (agents)."""
    common: dict[str, Any] = {
        "label": spec.label,
        "required": spec.required,
        "help_text": spec.help_text,
    }
    match spec.field_type:
        case FieldType.TEXT:
            return forms.CharField(max_length=TEXT_MAX, **common)
        case FieldType.LONG_TEXT:
            return forms.CharField(
                max_length=LONG_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4}), **common
            )
        case FieldType.NUMBER:
            return forms.DecimalField(
                max_digits=15,
                decimal_places=4,
                min_value=_limit(spec.min_value),
                max_value=_limit(spec.max_value),
                **common,
            )
        case FieldType.CHOICE:
            options = [(option, option) for option in spec.choice_list]
            return forms.ChoiceField(choices=[("", "Choose…"), *options], **common)
        case FieldType.DATE:
            return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        case FieldType.YES_NO:
            # Yes / No radios rather than a checkbox, so "required" means "answer the question".
            return forms.TypedChoiceField(
                choices=[("yes", "Yes"), ("no", "No")],
                coerce=lambda value: value == "yes",
                empty_value=None,
                widget=forms.RadioSelect,
                **common,
            )
        case FieldType.USER if not may_look_up_people:
            return PersonAsWrittenField(
                widget=forms.TextInput(attrs={"autocomplete": "off", "maxlength": 254}),
                **common,
            )
        case FieldType.USER:
            return UserPickerField(
                widget=forms.TextInput(attrs={"autocomplete": "off", "maxlength": 254}),
                **common,
            )
    raise ValueError(f"Unknown field type {spec.field_type!r}")


def _yes_no_input(value: Any) -> Any:
    # JSON callers send true/false; the form's radios send "yes"/"no".
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return value


def to_json(spec: CatalogField, value: Any) -> Any:
    """A cleaned form value as the JSON value stored in ServiceRequest.answers."""
    if value is None or value == "":
        return None
    if spec.field_type == FieldType.NUMBER and isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if spec.field_type == FieldType.DATE and isinstance(value, date):
        return value.isoformat()
    if spec.field_type == FieldType.USER and isinstance(value, User):
        return value.pk
    return value


def clean_answers(
    specs: Iterable[CatalogField], raw: Mapping[str, Any], *, may_look_up_people: bool = True
) -> dict[str, Any]:
    """Validate raw answers (strings from a form, or JSON values) against the item's questions.

    Returns the typed answers by key; raises ValidationFailed with one message per bad field
    (keyed by CatalogField.key). Unknown keys are ignored; unanswered optional ones are left out.
    """
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in specs:
        field = form_field_for(spec, may_look_up_people=may_look_up_people)
        value = raw.get(spec.key)
        if spec.field_type == FieldType.YES_NO:
            value = _yes_no_input(value)
        try:
            cleaned = field.clean(value)
        except forms.ValidationError as exc:
            errors[spec.key] = " ".join(exc.messages)
            continue
        stored = to_json(spec, cleaned)
        if stored is not None:
            answers[spec.key] = stored
    if errors:
        raise ValidationFailed(errors)
    return answers


@dataclass(frozen=True)
class AnswerRow:
    label: str
    value: str


def answer_rows(
    specs: Iterable[CatalogField], answers: Mapping[str, Any], users: Mapping[int, User]
) -> list[AnswerRow]:
    """The answers in the item's question order, readable; answers to questions removed from
    the item since are listed after them under their key. `users` maps ids to people."""
    rows: list[AnswerRow] = []
    seen: set[str] = set()
    for spec in specs:
        seen.add(spec.key)
        if spec.key not in answers:
            rows.append(AnswerRow(spec.label, "—"))
            continue
        rows.append(AnswerRow(spec.label, _readable(spec.field_type, answers[spec.key], users)))
    for key, value in answers.items():
        if key not in seen:
            rows.append(AnswerRow(key.replace("_", " ").capitalize(), str(value)))
    return rows


def _readable(field_type: str, value: Any, users: Mapping[int, User]) -> str:
    if field_type == FieldType.YES_NO:
        return "Yes" if value else "No"
    if field_type == FieldType.USER:
        if isinstance(value, str):
            return value  # an end user's answer, as written
        person = users.get(value) if isinstance(value, int) else None
        return person.display_name if person else f"User #{value}"
    if field_type == FieldType.DATE:
        try:
            return date.fromisoformat(str(value)).strftime("%-d %b %Y")
        except ValueError:
            return str(value)
    return str(value)


def user_ids_in(specs: Iterable[CatalogField], answers: Mapping[str, Any]) -> set[int]:
    return {
        answers[spec.key]
        for spec in specs
        if spec.field_type == FieldType.USER and isinstance(answers.get(spec.key), int)
    }
