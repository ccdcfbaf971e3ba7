"""HTML input of the schedule and layer pages. Forms only read and convert what was typed; every
rule (names, zones, levels, members, windows) is checked by oncall.services, whose errors come
back onto these fields."""

from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from core.models import SupportGroup, User
from core.roles import is_admin
from core.web.forms import MAX_SELECT_OPTIONS, CappedModelChoiceField, active_groups, agent_users
from oncall.models import LayerMember, RotationLayer, Schedule

# Offered as suggestions while typing a zone (any IANA name is accepted): a short list, since
# the ~400 zones of the tz database would make every schedule form heavy for a rare need.
COMMON_ZONES: tuple[str, ...] = (
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Amsterdam",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Helsinki",
    "Europe/Athens",
    "Europe/Istanbul",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
)

WEEKDAYS = [(1, "Mon"), (2, "Tue"), (3, "Wed"), (4, "Thu"), (5, "Fri"), (6, "Sat"), (7, "Sun")]


def manageable_groups(user: User) -> QuerySet[SupportGroup]:
    """The active groups whose schedules `user` may write (oncall.access): every group for an
    admin, the groups they manage for anyone else."""
    groups = active_groups()
    return groups if is_admin(user) else groups.filter(manager=user)


class ScheduleForm(forms.Form):
    """A schedule's group (only those the person manages), name, zone and description."""

    support_group = CappedModelChoiceField(
        queryset=SupportGroup.objects.none(), label="Support group", empty_label="Choose…"
    )
    name = forms.CharField(
        max_length=100, label="Name", error_messages={"required": "Give the schedule a name."}
    )
    time_zone = forms.CharField(
        max_length=64,
        label="Time zone",
        error_messages={"required": "Give the schedule's time zone, like Europe/Berlin."},
        help_text=(
            "An IANA zone name such as Europe/Berlin or America/New_York. Handoffs and "
            "restrictions of the layers are read on this clock."
        ),
        widget=forms.TextInput(
            attrs={"list": "oncall-zone-names", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    description = forms.CharField(
        required=False, label="Description", widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, user: User, schedule: Schedule | None = None, **kw: Any):
        if schedule is not None and "initial" not in kw:
            kw["initial"] = {
                "support_group": schedule.support_group_id,
                "name": schedule.name,
                "time_zone": schedule.time_zone,
                "description": schedule.description,
            }
        super().__init__(*args, **kw)
        self.schedule = schedule
        groups = manageable_groups(user)
        if schedule is not None:
            # Its own group stays choosable (even if since deactivated), so an edit of the
            # other fields is not blocked by the choice list; the service judges the group.
            groups = groups | SupportGroup.objects.filter(pk=schedule.support_group_id)
        field = self.fields["support_group"]
        assert isinstance(field, CappedModelChoiceField)
        field.queryset = groups.order_by("tier", "name")

    def clean_support_group(self) -> SupportGroup:
        """Moving a schedule to another group would leave its layers naming people who are not
        agents of that group (the services require members of the schedule's group)."""
        group: SupportGroup = self.cleaned_data["support_group"]
        if self.schedule is None or group.pk == self.schedule.support_group_id:
            return group
        strangers = (
            LayerMember.objects.filter(layer__schedule=self.schedule)
            .exclude(person__in=group.members.filter(is_active=True))
            .select_related("person")
            .order_by("person__first_name", "person__username")
        )
        names = sorted({m.person.display_name for m in strangers})
        if names:
            raise forms.ValidationError(
                f"The layers name people who are not active members of {group.name} "
                f"({', '.join(names)}): change the layers first."
            )
        return group

    def data_for_service(self) -> dict[str, Any]:
        return {key: self.cleaned_data[key] for key in self.fields}


class ZonedDateTimeField(forms.DateTimeField):
    """A wall-clock date and time read on a given zone's clock (the schedule's), not on the
    reader's as Django's field would. A time the zone skips (spring forward) or repeats (fall
    back) is refused rather than guessed: a handoff an hour off repeats every shift."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, *args: Any, zone: tzinfo = UTC, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and timezone.is_aware(value):
            return value.astimezone(self.zone).replace(tzinfo=None)
        return value

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            local = value
        else:
            try:
                local = datetime.fromisoformat(str(value).strip())
            except ValueError as exc:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc
        if timezone.is_aware(local):
            return local
        return self._in_zone(local)

    def _in_zone(self, local: datetime) -> datetime:
        first = local.replace(tzinfo=self.zone, fold=0)
        second = local.replace(tzinfo=self.zone, fold=1)
        when = f"{local:%H:%M} on {local:%d %b %Y}"
        if first.astimezone(UTC).astimezone(self.zone).replace(tzinfo=None) != local:
            raise forms.ValidationError(
                f"{when} does not exist in {self.zone}: the clocks skip it (daylight saving "
                "time starts). Choose a time outside the gap.",
                code="nonexistent",
            )
        if first.utcoffset() != second.utcoffset():
            raise forms.ValidationError(
                f"{when} happens twice in {self.zone} (the clocks go back): choose a time "
                "outside the repeated hour.",
                code="ambiguous",
            )
        return first


class LayerForm(forms.Form):
    """A rotation layer. Members are ordered without JavaScript: each agent of the group has a
    number field, and the people with a number take turns in increasing order (gaps are fine,
    an empty field leaves the person out). `members` is never rendered: it only carries the
    resulting order and the errors about it."""

    level = forms.IntegerField(
        label="Level", help_text="From 1 to 100; a higher level covers the lower ones."
    )
    name = forms.CharField(max_length=100, required=False, label="Name")
    shift_hours = forms.IntegerField(
        label="Shift length in hours", help_text="24 for a daily rotation, 168 for a weekly one."
    )
    handoff_at = ZonedDateTimeField(label="First handoff")
    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Only on these weekdays",
        help_text="None ticked: every day.",
    )
    window_start = forms.TimeField(
        required=False,
        label="Daily window from",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    window_end = forms.TimeField(
        required=False,
        label="Daily window until",
        help_text="Both or neither; an end before the start crosses midnight (22:00 to 06:00).",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    members = forms.Field(required=False, widget=forms.MultipleHiddenInput)

    def __init__(
        self, *args: Any, schedule: Schedule, layer: RotationLayer | None = None, **kw: Any
    ) -> None:
        zone = ZoneInfo(schedule.time_zone)
        current = list(layer.memberships.select_related("person")) if layer else []
        if "initial" not in kw:
            kw["initial"] = self._initial(schedule, layer, current, zone)
        super().__init__(*args, **kw)
        handoff = self.fields["handoff_at"]
        assert isinstance(handoff, ZonedDateTimeField)
        handoff.zone = zone
        handoff.help_text = (
            f"Read in the schedule's time zone, {schedule.time_zone} — not your own. The "
            "rotation runs forwards and backwards from this handoff."
        )
        self.candidates, self.left_out, self.capped = self._candidates(schedule, current)
        for person in self.candidates:
            self.fields[self.member_field(person)] = forms.IntegerField(
                required=False,
                min_value=1,
                max_value=999,
                label=person.display_name,
                widget=forms.NumberInput(attrs={"class": "oc-order"}),
            )

    @staticmethod
    def member_field(person: User) -> str:
        return f"member_{person.pk}"

    @staticmethod
    def _initial(
        schedule: Schedule,
        layer: RotationLayer | None,
        current: list[LayerMember],
        zone: ZoneInfo,
    ) -> dict[str, Any]:
        if layer is None:
            top = max((existing.level for existing in schedule.layers.all()), default=0)
            nine = timezone.now().astimezone(zone).replace(hour=9, minute=0, second=0)
            return {"level": min(top + 1, 100), "shift_hours": 168, "handoff_at": nine}
        initial: dict[str, Any] = {
            "level": layer.level,
            "name": layer.name,
            "shift_hours": layer.shift_hours,
            "handoff_at": layer.handoff_at,
            "weekdays": [int(d) for d in layer.weekdays],
            "window_start": layer.window_start,
            "window_end": layer.window_end,
        }
        for index, member in enumerate(current, start=1):
            initial[f"member_{member.person_id}"] = index
        return initial

    @staticmethod
    def _candidates(
        schedule: Schedule, current: list[LayerMember]
    ) -> tuple[list[User], list[User], bool]:
        """Who can be in the rotation (the layer's members first, in order, then the group's
        other active agents by name; at most MAX_SELECT_OPTIONS), and the current members who
        no longer can (saving drops them)."""
        eligible = agent_users().filter(
            pk__in=schedule.support_group.members.filter(is_active=True).values("pk")
        )
        current_ids = [m.person_id for m in current]
        listed = {p.pk: p for p in eligible.filter(pk__in=current_ids)}
        ordered = [listed[pk] for pk in current_ids if pk in listed]
        left_out = [m.person for m in current if m.person_id not in listed]
        others = list(eligible.exclude(pk__in=current_ids)[: MAX_SELECT_OPTIONS + 1])
        room = max(MAX_SELECT_OPTIONS - len(ordered), 0)
        return ordered + others[:room], left_out, len(others) > room

    def member_rows(self) -> list[tuple[User, forms.BoundField]]:
        return [(person, self[self.member_field(person)]) for person in self.candidates]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        numbered: dict[int, list[User]] = {}
        for person in self.candidates:
            number = cleaned.get(self.member_field(person))
            if number is not None:
                numbered.setdefault(number, []).append(person)
        clashes = [(n, people) for n, people in sorted(numbered.items()) if len(people) > 1]
        if clashes:
            number, people = clashes[0]
            self.add_error(
                "members",
                f"{' and '.join(p.display_name for p in people)} both have number {number}: "
                "give each member a different number.",
            )
        else:
            cleaned["members"] = [numbered[n][0].pk for n in sorted(numbered)]
        return cleaned

    def data_for_service(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "level": data["level"],
            "name": data["name"],
            "shift_hours": data["shift_hours"],
            "handoff_at": data["handoff_at"],
            "weekdays": data["weekdays"],
            "window_start": data["window_start"],
            "window_end": data["window_end"],
            "member_ids": data["members"],
        }
