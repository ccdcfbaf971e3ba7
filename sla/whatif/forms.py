"""The scenario form: period, kinds and filters, and one row of draft inputs per current policy,
filled with the draft's value where it overrides the policy and the policy's own value
elsewhere (the "copy of the current policies" a manager edits). On save, only what differs from
the current policy becomes an override; the service checks the result."""

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from core.models import Service, SupportGroup
from core.tickets.kinds import kind_named
from sla.choices import ThresholdAction
from sla.models import Calendar
from sla.models_whatif import WhatIfScenario
from sla.whatif.draft import MAX_TARGET_MINUTES, overrides_of
from sla.whatif.selectors import PolicyRow
from sla.whatif.services import ScenarioInput, sla_kind_names

ACTIONS = ", ".join(ThresholdAction.values)
PARTS = ("response", "resolution", "calendar", "thresholds")
COLUMNS = ("Response (min)", "Resolution (min)", "Calendar", "Thresholds")


def thresholds_text(thresholds: tuple[tuple[int, str], ...]) -> str:
    return ", ".join(f"{percent}:{action}" for percent, action in thresholds)


def parse_thresholds(text: str) -> tuple[tuple[int, str], ...]:
    """ "75:notify, 90:escalate" -> ((75, "notify"), (90, "escalate")); ValidationError if not."""
    found: list[tuple[int, str]] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        percent, _, action = part.partition(":")
        if not percent.strip().isdigit() or action.strip() not in ThresholdAction.values:
            raise forms.ValidationError(
                f"“{part}” is not percent:action (e.g. 75:notify; actions: {ACTIONS})."
            )
        found.append((int(percent), action.strip()))
    return tuple(sorted(found))


class ScenarioForm(forms.Form):
    name = forms.CharField(max_length=120)
    since = forms.DateField(
        label="Tickets created from", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="Tickets created to (inclusive)", widget=forms.DateInput(attrs={"type": "date"})
    )
    kinds = forms.MultipleChoiceField(label="Ticket kinds", widget=forms.CheckboxSelectMultiple)
    support_group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.order_by("name"), required=False, empty_label="Any group"
    )
    service = forms.ModelChoiceField(
        queryset=Service.objects.order_by("name"), required=False, empty_label="Any service"
    )
    priority = forms.TypedChoiceField(
        choices=[("", "Any priority"), *((str(p), f"P{p}") for p in range(1, 6))],
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        policies: list[PolicyRow],
        scenario: WhatIfScenario | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.policies = policies
        names = sla_kind_names()
        kinds_field = self.fields["kinds"]
        assert isinstance(kinds_field, forms.MultipleChoiceField)
        kinds_field.choices = [(n, kind_named(n).label) for n in names]
        calendars = [(str(c.pk), c.name) for c in Calendar.objects.order_by("name")]
        overrides = {o.policy_key: o for o in overrides_of(scenario.draft)} if scenario else {}
        for row in policies:
            override = overrides.get(row.key)

            def pick(value: Any, current: Any) -> Any:
                return current if value is None else value

            self.fields[f"{row.prefix}-response"] = forms.IntegerField(
                label=f"{row.kind_label} P{row.priority} response (minutes)",
                min_value=0,
                max_value=MAX_TARGET_MINUTES,
                initial=pick(override and override.response_minutes, row.response_minutes),
            )
            self.fields[f"{row.prefix}-resolution"] = forms.IntegerField(
                label=f"{row.kind_label} P{row.priority} resolution (minutes)",
                min_value=0,
                max_value=MAX_TARGET_MINUTES,
                initial=pick(override and override.resolution_minutes, row.resolution_minutes),
            )
            self.fields[f"{row.prefix}-calendar"] = forms.TypedChoiceField(
                label=f"{row.kind_label} P{row.priority} calendar",
                choices=calendars,
                coerce=int,
                initial=str(pick(override and override.calendar, row.calendar_id)),
            )
            self.fields[f"{row.prefix}-thresholds"] = forms.CharField(
                label=f"{row.kind_label} P{row.priority} thresholds",
                required=False,
                max_length=200,
                initial=thresholds_text(pick(override and override.thresholds, row.thresholds)),
            )
        if scenario is not None and not self.is_bound:
            zone = timezone.get_current_timezone()
            self.initial.update(
                {
                    "name": scenario.name,
                    "since": scenario.since.astimezone(zone).date(),
                    "until": (scenario.until.astimezone(zone) - timedelta(seconds=1)).date(),
                    "kinds": scenario.kinds,
                    "support_group": scenario.support_group_id,
                    "service": scenario.service_id,
                    "priority": scenario.priority,
                }
            )
        elif not self.is_bound:
            today = timezone.localdate()
            self.initial.update(
                {"since": today - timedelta(days=365), "until": today, "kinds": names[:1]}
            )

    def rows(self) -> list[tuple[PolicyRow, list[tuple[str, forms.BoundField, str]]]]:
        """Each current policy with its draft inputs: (column, field, the current value)."""
        found = []
        for row in self.policies:
            current = (
                str(row.response_minutes),
                str(row.resolution_minutes),
                row.calendar_name,
                thresholds_text(row.thresholds) or "none",
            )
            parts = zip(COLUMNS, PARTS, current, strict=True)
            found.append(
                (row, [(col, self[f"{row.prefix}-{part}"], now) for col, part, now in parts])
            )
        return found

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for row in self.policies:
            name = f"{row.prefix}-thresholds"
            if name in cleaned:
                try:
                    cleaned[name] = parse_thresholds(cleaned[name] or "")
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        return cleaned

    def _overrides(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        found = []
        for row in self.policies:
            override: dict[str, Any] = {}
            response = data[f"{row.prefix}-response"]
            resolution = data[f"{row.prefix}-resolution"]
            calendar = data[f"{row.prefix}-calendar"]
            thresholds = data[f"{row.prefix}-thresholds"]
            if response != row.response_minutes:
                override["response_minutes"] = response
            if resolution != row.resolution_minutes:
                override["resolution_minutes"] = resolution
            if calendar != row.calendar_id:
                override["calendar"] = calendar
            if thresholds != row.thresholds:
                override["thresholds"] = [{"percent": p, "action": a} for p, a in thresholds]
            if override:
                override.update(
                    {"kind": row.kind, "priority": row.priority, "service": row.service_id}
                )
                found.append(override)
        return found

    def scenario_input(self) -> ScenarioInput:
        data = self.cleaned_data
        return ScenarioInput(
            name=data["name"],
            since=_midnight(data["since"]),
            until=_midnight(data["until"] + timedelta(days=1)),
            kinds=list(data["kinds"]),
            draft={"overrides": self._overrides()},
            support_group=data["support_group"].pk if data["support_group"] else None,
            service=data["service"].pk if data["service"] else None,
            priority=data["priority"],
        )


def _midnight(day: date) -> datetime:
    """The start of `day` in the manager's time zone."""
    return timezone.make_aware(datetime.combine(day, time(0)), timezone.get_current_timezone())
