"""The manager dashboard's filter bar: a period preset (7, 30 or 90 whole days up to today) or
custom dates, and the report dimensions (kind, group, service, priority, tier).

`dashboard_query(params)` validates the query string in two steps: the form checks the shape of
each value, then reporting.filters.ReportFilter checks the rest (ids exist, start before end,
at most five years). Every message lands on its field; a query with errors has no report, and
the pages show the messages instead of numbers.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.utils import timezone

from core.choices import Priority, Tier
from core.exceptions import ValidationFailed
from core.web.forms import MAX_SELECT_OPTIONS, active_groups, active_services
from reporting.filters import ReportFilter
from reporting.kinds import default_kind, reported_kinds

PRESETS: dict[str, int] = {"7": 7, "30": 30, "90": 90}
DEFAULT_PRESET = "30"
CUSTOM = "custom"
PERIOD_CHOICES = [("7", "7 days"), ("30", "30 days"), ("90", "90 days"), (CUSTOM, "Custom")]
# Query parameters of the filter bar, in the order links write them.
FILTER_PARAMETERS = ("period", "start", "end", "kind", "group", "service", "priority", "tier")
DIMENSIONS = ("group", "service", "priority", "tier")


def _kind_choices() -> list[tuple[str, str]]:
    """Every kind reports measure, from the registry: ("incident", "Incidents"), …"""
    return [(spec.name, spec.label) for spec in reported_kinds()]


class DashboardFilterForm(forms.Form):
    """Shapes only; ReportFilter.from_params has the final word (see dashboard_query)."""

    period = forms.ChoiceField(
        choices=PERIOD_CHOICES, required=False, widget=forms.RadioSelect, label="Period"
    )
    start = forms.DateField(
        required=False,
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        required=False,
        label="To",
        help_text="Both days included.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    kind = forms.ChoiceField(choices=_kind_choices, required=False, label="Tickets")
    group = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Group")
    service = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Service")
    priority = forms.TypedChoiceField(
        choices=[("", "Any priority"), *Priority.choices],
        coerce=int,
        required=False,
        empty_value=None,
        label="Priority",
    )
    tier = forms.TypedChoiceField(
        choices=[("", "Any tier"), *Tier.choices],
        coerce=int,
        required=False,
        empty_value=None,
        label="Tier",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One query each; the lists are capped like every select box of the app.
        groups = list(active_groups().values_list("pk", "name", "tier")[:MAX_SELECT_OPTIONS])
        services = list(active_services().values_list("pk", "name")[:MAX_SELECT_OPTIONS])
        group_field: Any = self.fields["group"]
        group_field.choices = [("", "Any group")] + [
            (pk, f"{name} (L{tier})") for pk, name, tier in groups
        ]
        service_field: Any = self.fields["service"]
        service_field.choices = [("", "Any service"), *services]


@dataclass(frozen=True)
class DashboardQuery:
    """The filter bar as submitted: the bound form, the preset, and the report it describes
    (None when something is invalid; `errors` then says what, by field)."""

    form: DashboardFilterForm
    period: str
    report: ReportFilter | None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def is_valid(self) -> bool:
        return self.report is not None

    def params(self) -> dict[str, str]:
        """The canonical query string of this view (for links, tiles and CSV exports): a preset
        is written as such so a shared link keeps meaning "the last 30 days"."""
        data: dict[str, Any] = getattr(self.form, "cleaned_data", {})
        values: dict[str, str] = {"period": self.period}
        if self.period == CUSTOM:
            for name in ("start", "end"):
                if data.get(name):
                    values[name] = data[name].isoformat()
        kind = data.get("kind") or default_kind()
        if kind != default_kind():
            values["kind"] = kind
        for name in DIMENSIONS:
            if data.get(name) is not None:
                values[name] = str(data[name])
        return values

    @property
    def active_dimensions(self) -> int:
        """How many of kind/group/service/priority/tier narrow the view (kind: not the default
        one, incidents)."""
        return len(set(self.params()) - {"period", "start", "end"})

    @property
    def error_items(self) -> list[tuple[str, str, str]]:
        """(field name, its label or "" for the form as a whole, message), for a summary that
        links to each field."""
        items = []
        for name, message in self.errors.items():
            field_ = self.form.fields.get(name)
            items.append((name, str(field_.label) if field_ is not None else "", message))
        return items

    @property
    def querystring(self) -> str:
        return urlencode(self.params())

    def dimension_params(self) -> dict[str, str]:
        """Kind and dimensions without the period (what a weekly subscription stores)."""
        if self.report is None:
            return {}
        return {key: str(value) for key, value in self.report.dimensions().items()}

    @property
    def first_day(self) -> date | None:
        return None if self.report is None else timezone.localtime(self.report.start).date()

    @property
    def last_day(self) -> date | None:
        if self.report is None:
            return None
        return timezone.localtime(self.report.end - timedelta(microseconds=1)).date()

    @property
    def days(self) -> int:
        if self.first_day is None or self.last_day is None:
            return 0
        return (self.last_day - self.first_day).days + 1


def _errors(form: forms.Form) -> dict[str, str]:
    return {name: " ".join(str(e) for e in errs) for name, errs in form.errors.items()}


def _preset_dates(days: int, now: datetime) -> tuple[date, date]:
    """`days` whole local days ending today (today included)."""
    today = timezone.localdate(now)
    return today - timedelta(days=days - 1), today


def dashboard_query(params: Any, *, now: datetime | None = None) -> DashboardQuery:
    """Parse the dashboard's query parameters (a QueryDict or a dict of strings)."""
    now = now or timezone.now()
    form = DashboardFilterForm(data={name: params.get(name, "") for name in FILTER_PARAMETERS})
    form_valid = form.is_valid()
    data: dict[str, Any] = form.cleaned_data
    period = data.get("period") or ""
    if not period:
        period = CUSTOM if (data.get("start") or data.get("end")) else DEFAULT_PRESET
    # The effective preset is shown checked even when the query string does not name it.
    form.data = {**form.data, "period": period}
    if not form_valid:
        return DashboardQuery(form=form, period=period, report=None, errors=_errors(form))

    if period in PRESETS:
        first, last = _preset_dates(PRESETS[period], now)
        data["start"], data["end"] = first, last
        # Show the preset's days in the date inputs, so switching to "Custom" starts from them.
        form.data = {**form.data, "start": first.isoformat(), "end": last.isoformat()}
    elif data.get("start") is None:
        form.add_error("start", "Choose the first day of the period (or pick 7, 30 or 90 days).")
        return DashboardQuery(form=form, period=period, report=None, errors=_errors(form))
    report_params: dict[str, Any] = {
        "start": data["start"].isoformat() if data.get("start") else "",
        "end": data["end"].isoformat() if data.get("end") else "",
        "kind": data.get("kind") or default_kind(),
    }
    for name in DIMENSIONS:
        report_params[name] = "" if data.get(name) is None else str(data[name])
    try:
        report = ReportFilter.from_params(report_params, now=now)
    except ValidationFailed as exc:
        for name, message in exc.errors.items():
            form.add_error(name if name in form.fields else None, message)
        return DashboardQuery(form=form, period=period, report=None, errors=_errors(form))
    return DashboardQuery(form=form, period=period, report=report)
