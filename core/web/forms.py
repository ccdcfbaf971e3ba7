"""HTML input shared by every ticket kind's pages: capped choice fields, the versioned form base,
replies and notes, files, ratings, assignment and tier moves, and mapping a service's
ValidationFailed back onto a form's fields. Forms only check and convert input; every write goes
through a service."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Model, Q, QuerySet
from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue

from core.choices import Role
from core.config_memo import ConfigMemo
from core.exceptions import ValidationFailed
from core.models import ConfigurationItem, Service, SupportGroup, User
from core.roles import ROLE_GROUP_NAMES
from core.services import attachment_validate
from core.tickets.rating import COMMENT_MAX_LENGTH, SCORE_LABELS
from core.web.select_memo import MemoSelect

# No page renders a select box of more than this many options (DESIGN.md §7).
MAX_SELECT_OPTIONS = 200

if TYPE_CHECKING:
    # Generic in django-stubs only: at run time these classes take no type arguments.
    _ModelChoiceIterator = ModelChoiceIterator[Model]
    _ModelChoiceField = forms.ModelChoiceField[Model]
else:
    _ModelChoiceIterator = ModelChoiceIterator
    _ModelChoiceField = forms.ModelChoiceField


# The options of the selects over the small reference tables (agents, groups, services,
# configuration items), per process: every list page renders them, and they change when those
# rows or someone's role groups do (core.config_memo: at once in this process, within
# CONFIG_MEMO_RECHECK_SECONDS in the others). Connected in CoreConfig.ready().
CHOICES_MEMO = ConfigMemo(
    "select-choices",
    [
        "core.User",
        "core.User_groups",
        "auth.Group",
        "core.SupportGroup",
        "core.Service",
        "core.ConfigurationItem",
    ],
)
_MEMO_MODELS = (User, SupportGroup, Service, ConfigurationItem)


class CappedModelChoiceIterator(_ModelChoiceIterator):
    """Renders at most MAX_SELECT_OPTIONS choices; validation still looks at the whole queryset.
    Over the reference tables, the options come from CHOICES_MEMO (keyed by the query)."""

    def _memo(self) -> ConfigMemo | None:
        """Where its options are kept: the field's own `options_memo` (for a field over another
        app's table, a memo that a change of that table forgets), else CHOICES_MEMO over the
        reference tables; None: read on every use."""
        own: ConfigMemo | None = getattr(self.field, "options_memo", None)
        if own is not None:
            return own
        return CHOICES_MEMO if self.queryset.model in _MEMO_MODELS else None

    def __iter__(self) -> Iterator[tuple[ModelChoiceIteratorValue | str, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        memo = self._memo()
        if memo is None:
            for obj in self.queryset[:MAX_SELECT_OPTIONS]:
                yield self.choice(obj)
            return
        key = (type(self.field), self._options_key())
        yield from memo.get(key, self._options)

    @property
    def is_memoised(self) -> bool:
        """Whether its options come from a memo: read again without a query, so a select of
        them may be kept rendered (core.web.select_memo)."""
        return self._memo() is not None

    def _options_key(self) -> str:
        """The SQL of the query: kept by a CappedModelChoiceField, made anew for another field
        that iterates this way (the list filters')."""
        if isinstance(self.field, CappedModelChoiceField):
            return self.field.options_key()
        return str(self.queryset.query)

    def _options(self) -> list[tuple[str, str]]:
        return [
            (str(obj.pk), str(self.field.label_from_instance(obj)))
            for obj in self.queryset[:MAX_SELECT_OPTIONS]
        ]

    def __len__(self) -> int:
        empty = 1 if self.field.empty_label is not None else 0
        memo = self._memo()
        if memo is None:
            return min(self.queryset.count(), MAX_SELECT_OPTIONS) + empty
        key = (type(self.field), self._options_key())
        return len(memo.get(key, self._options)) + empty


class CappedModelChoiceField(_ModelChoiceField):
    """A model choice field over at most MAX_SELECT_OPTIONS options, memoised per process over
    the reference tables (CHOICES_MEMO) or in the field's own `options_memo`, by the SQL of its
    query.

    That SQL is kept with the field once made: compiling the query again for every select of
    every page was about 0.35 ms a select (issue 18). Each request's form deep-copies its
    declared fields, cloning their querysets unchanged, so a copy keeps the key of the field it
    was copied from; assigning any queryset forgets it."""

    iterator = CappedModelChoiceIterator
    widget = MemoSelect
    _options_key: str | None = None

    def _set_queryset(self, queryset: QuerySet[Any] | None) -> None:
        super()._set_queryset(queryset)  # type: ignore[misc]
        self._options_key = None

    def _get_queryset(self) -> QuerySet[Any] | None:
        return cast("QuerySet[Any] | None", self.__dict__.get("_queryset"))

    queryset = property(_get_queryset, _set_queryset)

    def __deepcopy__(self, memo: dict[int, Any]) -> CappedModelChoiceField:
        result: CappedModelChoiceField = super().__deepcopy__(memo)
        # `none()` has no SQL: its form assigns another queryset, which brings its own key.
        if self.queryset is not None and not self.queryset.query.is_empty():
            with suppress(EmptyResultSet):
                result._options_key = self.options_key()
        return result

    def options_key(self) -> str:
        """The SQL of its query (CHOICES_MEMO's key), made once."""
        if self._options_key is None:
            self._options_key = str(self.queryset.query)
        return self._options_key


# Each source's queryset, built once per process: a source takes no argument, so its query is
# always the same (the rows are read when the queryset is, never kept here). Building one (its
# filters and joins) cost about 0.1 ms a select on every form of every page.
_SOURCE_QUERYSETS: dict[Callable[[], QuerySet[Any]], QuerySet[Any]] = {}


def assign_options(field: forms.Field, source: Callable[[], QuerySet[Any]]) -> None:
    """`field.queryset = source()`, for one of the reference querysets below (a function of no
    argument): a capped choice field then memoises its options under the source's name instead
    of the query's SQL, which would be compiled again on every request (the form's __init__
    assigns a new queryset). The source runs once per process; the field gets a clone."""
    queryset = _SOURCE_QUERYSETS.get(source)
    if queryset is None:
        queryset = _SOURCE_QUERYSETS[source] = source()
    field.queryset = queryset.all()  # type: ignore[attr-defined]
    if isinstance(field, CappedModelChoiceField):
        field._options_key = f"{source.__module__}.{source.__qualname__}()"


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


class AssigneeChoiceField(AgentChoiceField):
    """Everyone who works tickets (agent_users()), memoised per process."""


class GroupChoiceField(CappedModelChoiceField):
    """Active support groups (the queryset given), memoised per process."""


class ConfigurationItemChoiceField(CappedModelChoiceField):
    def label_from_instance(self, obj: Model) -> str:
        if isinstance(obj, ConfigurationItem):
            return f"{obj.service.name}: {obj.name}"
        return str(obj)


def active_services() -> QuerySet[Service]:
    return Service.objects.filter(is_active=True).order_by("name")


def active_groups() -> QuerySet[SupportGroup]:
    return SupportGroup.objects.filter(is_active=True).order_by("tier", "name")


def with_blank(choices: list[tuple[str, str]], label: str = "Choose…") -> list[tuple[str, str]]:
    return [("", label), *choices]


def apply_domain_errors(form: forms.Form, error: ValidationFailed, aliases: dict[str, str]) -> None:
    """Put a service's ValidationFailed messages on the matching fields (the rest on the form)."""
    for name, message in error.errors.items():
        field = aliases.get(name, name)
        form.add_error(field if field in form.fields else None, message)


def check_upload(upload: UploadedFile[bytes] | None) -> UploadedFile[bytes] | None:
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

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[bytes]]:
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
        cleaned: list[UploadedFile[bytes]] = []
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


# --- Satisfaction ---------------------------------------------------------------------------


class SatisfactionForm(forms.Form):
    """The requester's rating (1-5 stars) and an optional comment; the rules are enforced by
    core.tickets.rating."""

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

    def clean_file(self) -> UploadedFile[bytes] | None:
        return check_upload(self.cleaned_data.get("file"))


# --- Versioned writes -----------------------------------------------------------------------


class VersionedForm(forms.Form):
    """Every write form carries the version the agent saw; a stale one is refused as a conflict."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def notes_field(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label=label, help_text=help_text
    )


class AssignForm(VersionedForm):
    # Both lists are the same on every ticket page: read once per process. Its __init__ reads
    # nothing but those memoised options (core.web.kept_fragments keys by their generation).
    renders_from_initial = True
    assignee = AssigneeChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Unassigned", label="Assignee"
    )
    support_group = GroupChoiceField(
        queryset=SupportGroup.objects.none(),
        required=False,
        empty_label="Keep the current group",
        label="Support group",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assign_options(self.fields["assignee"], agent_users)
        assign_options(self.fields["support_group"], active_groups)


class TierMoveForm(VersionedForm):
    """Escalate or de-escalate by hand: the reason goes on the timeline for the next tier."""

    reason = notes_field("Reason", "Why it needs another tier; the next group reads this.")


class ConfirmForm(VersionedForm):
    """An action with no fields of its own (accept, close, resume...)."""


class ReasonForm(VersionedForm):
    reason = notes_field("Reason")


def reason_form(
    model: type[Model],
    field: str,
    *,
    label: str,
    note_help: str = "",
    exclude: tuple[str, ...] = (),
) -> type[VersionedForm]:
    """A form choosing one of the model field's choices (minus `exclude`) with a note: a kind's
    hold form ("Waiting for") or cancel form ("Reason")."""
    choices = [
        (str(value), str(text))
        for value, text in model._meta.get_field(field).flatchoices  # type: ignore[union-attr]
        if value not in exclude
    ]
    attrs = {
        field: forms.ChoiceField(choices=with_blank(choices), label=label),
        "note": forms.CharField(
            widget=forms.Textarea(attrs={"rows": 2}),
            required=False,
            label="Note",
            help_text=note_help,
        ),
    }
    return type(f"{model.__name__}{field.title().replace('_', '')}Form", (VersionedForm,), attrs)
