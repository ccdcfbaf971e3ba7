"""Single-line text: control characters never reach a one-line field or an email header.

Why: a CR/LF typed into an incident title was stored, and every email about that ticket then
failed with Django's `BadHeaderError` (the subject carries the title) and was marked failed for
good. A title, a name or a label is one line by nature; a line break, a NUL or an escape sequence
in it is either a mistake or an attack (header injection, log forging, terminal escapes).

The rule, one place for every way in:

- Every `models.CharField` (and its subclasses: email, URL, slug) of this project's models is
  single-line; multi-line text is a `TextField` and keeps its newlines. `single_line_guard_install`
  gives those fields the validator (so the admin and any model form show a field error) and
  refuses, before any save, a value that still carries a control character (so a service called
  from the API, a page, a command or an import raises `ValidationFailed`: 400 with the field in
  the API, an error on the field in a form, and nothing stored, as the service's transaction
  rolls back).
- Machines are not refused: alert payloads go through `single_line_normalise` (control
  characters become spaces), since nothing a monitoring system sends may be lost.
- Headers are built from `single_line_normalise` too, so a row stored before this rule still
  sends its email.

Refused: the C0 controls (U+0000 to U+001F, TAB included: a title is not a table), DEL, the C1
controls (U+0080 to U+009F, NEL included) and the Unicode line and paragraph separators.
"""

import re
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.signals import pre_save

from core.exceptions import ValidationFailed

CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# A run of control characters with the spaces around it ("\r\n " of a folded line) is one gap.
_CONTROL_RUNS = re.compile("[ ]*[\x00-\x1f\x7f-\x9f\u2028\u2029][ \x00-\x1f\x7f-\x9f\u2028\u2029]*")
SINGLE_LINE_MESSAGE = (
    "Keep this on one line: line breaks, tabs and other control characters are not allowed."
)
SINGLE_LINE_CODE = "control_characters"


def has_control_characters(value: object) -> bool:
    return isinstance(value, str) and CONTROL_CHARACTERS.search(value) is not None


def single_line_validate(value: object) -> None:
    """A Django validator (models, forms and DRF fields all accept it): refuse control
    characters with a message that says what to do."""
    if has_control_characters(value):
        raise ValidationError(SINGLE_LINE_MESSAGE, code=SINGLE_LINE_CODE)


def single_line_normalise(value: str) -> str:
    """`value` on one line: each run of control characters becomes one space, ends trimmed.
    For what must not be refused (machine input) and for email headers."""
    return _CONTROL_RUNS.sub(" ", value).strip()


def _single_line_fields(model: type[models.Model]) -> list["models.CharField[Any, Any]"]:
    return [field for field in model._meta.concrete_fields if isinstance(field, models.CharField)]


def _is_ours(model: type[models.Model]) -> bool:
    """Models of this project's apps (not Django's or a library's): those follow the rule."""
    path = str(apps.get_app_config(model._meta.app_label).path)
    return path.startswith(str(settings.BASE_DIR)) and "site-packages" not in path


def _refuse_control_characters(
    sender: type[models.Model],
    instance: models.Model,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    # Only the fields being written: a row stored before the rule can still change its other
    # fields (its status, its assignee) without being refused for an old title.
    fields = _GUARDED.get(sender)
    if not fields:
        return
    errors = {
        field.name: SINGLE_LINE_MESSAGE
        for field in fields
        if (update_fields is None or field.name in update_fields)
        and has_control_characters(getattr(instance, field.attname))
    }
    if errors:
        raise ValidationFailed(errors)


_GUARDED: dict[type[models.Model], list["models.CharField[Any, Any]"]] = {}


def single_line_guard_install() -> None:
    """Apply the rule to every CharField of the project's models (called once, from
    CoreConfig.ready, when all models are loaded).

    The validator is appended to the field's `validators` list, as Django's CharField appends
    its own MaxLengthValidator: it runs in `full_clean` (the admin, model forms) and is not part
    of the field's deconstruction, so no migration changes. Bulk writes (`bulk_create`,
    `update()`) do not send `pre_save`; the values they write are built by the code itself, not
    typed by a person.
    """
    for model in apps.get_models():
        if not _is_ours(model) or model in _GUARDED:
            continue
        fields = _single_line_fields(model)
        for field in fields:
            if single_line_validate not in field.validators:
                field.validators.append(single_line_validate)
        _GUARDED[model] = fields
    pre_save.connect(_refuse_control_characters, dispatch_uid="core.single_line_guard")
