"""The admin refuses SLA configuration no ticket could get a due time from, with the reason on
the field, and stores nothing: a target beyond the supported range, a negative target, a calendar
without working hours. Otherwise every ticket created under the policy would fail."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from sla.choices import ClockState, Metric
from sla.models import Calendar, SlaClock, SlaPolicy, WorkingHours
from sla.selectors import clock_status

pytestmark = pytest.mark.django_db


def policy_on(calendar: Calendar, **targets: timedelta) -> SlaPolicy:
    return SlaPolicy(
        name="Incidents P3",
        ticket_kind="incident",
        priority=3,
        response_target=targets.get("response", timedelta(hours=1)),
        resolution_target=targets.get("resolution", timedelta(hours=8)),
        calendar=calendar,
    )


def test_a_sensible_policy_is_accepted(office_calendar, always_open_calendar):
    policy_on(office_calendar).full_clean()
    policy_on(always_open_calendar, resolution=timedelta(days=365)).full_clean()


@pytest.mark.parametrize(
    ("targets", "field", "message"),
    [
        ({"resolution": timedelta(days=99999999)}, "resolution_target", "after 3000-01-01"),
        ({"response": timedelta(hours=-1)}, "response_target", "cannot be negative"),
    ],
)
def test_a_target_no_ticket_could_reach_is_refused(office_calendar, targets, field, message):
    with pytest.raises(ValidationError) as refused:
        policy_on(office_calendar, **targets).full_clean()
    assert message in " ".join(refused.value.message_dict[field])


def test_a_policy_on_a_calendar_without_working_hours_is_refused():
    empty = Calendar.objects.create(name="Nobody home", timezone="Europe/Berlin")
    with pytest.raises(ValidationError) as refused:
        policy_on(empty).full_clean()
    assert "no working hours" in " ".join(refused.value.message_dict["resolution_target"])


def test_the_admin_form_shows_the_reason_and_stores_nothing(
    client_for, admin_user, office_calendar
):
    response = client_for(admin_user).post(
        "/admin/sla/slapolicy/add/",
        {
            "name": "Absurd",
            "ticket_kind": "incident",
            "priority": "3",
            "response_target": "01:00:00",
            "resolution_target": "99999999 00:00:00",
            "calendar": str(office_calendar.pk),
            "is_active": "on",
            "thresholds-TOTAL_FORMS": "0",
            "thresholds-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "beyond the supported range" in response.content.decode()
    assert not SlaPolicy.objects.exists()


def calendar_post(name: str, *, is_24x7: bool, hours: list[tuple[str, str, str]]) -> dict:
    data = {
        "name": name,
        "timezone": "Europe/Berlin",
        "description": "",
        "hours-TOTAL_FORMS": str(len(hours)),
        "hours-INITIAL_FORMS": "0",
        "holidays-TOTAL_FORMS": "1",
        "holidays-INITIAL_FORMS": "0",
        "holidays-0-date": "2026-12-25",
        "holidays-0-name": "Christmas Day",
    }
    if is_24x7:
        data["is_24x7"] = "on"
    for n, (weekday, start, end) in enumerate(hours):
        data |= {f"hours-{n}-weekday": weekday, f"hours-{n}-start": start, f"hours-{n}-end": end}
    return data


def test_a_calendar_needs_working_hours_unless_it_is_24x7(client_for, admin_user):
    client = client_for(admin_user)
    refused = client.post(
        "/admin/sla/calendar/add/", calendar_post("Office", is_24x7=False, hours=[])
    )
    assert refused.status_code == 200
    assert "needs at least one working window" in refused.content.decode()
    assert not Calendar.objects.exists()

    office = calendar_post("Office", is_24x7=False, hours=[("0", "08:00", "18:00")])
    assert client.post("/admin/sla/calendar/add/", office).status_code == 302
    around = calendar_post("Around the clock", is_24x7=True, hours=[])
    assert client.post("/admin/sla/calendar/add/", around).status_code == 302
    assert WorkingHours.objects.filter(calendar__name="Office").count() == 1
    assert Calendar.objects.get(name="Around the clock").holidays.count() == 1


def test_the_24x7_checkbox_says_holidays_count(client_for, admin_user):
    page = client_for(admin_user).get("/admin/sla/calendar/add/").content.decode()
    assert "except the holidays below" in page


def clock_on(calendar: dict) -> SlaClock:
    started = datetime(2026, 12, 24, 20, tzinfo=UTC)
    return SlaClock(
        metric=Metric.RESOLUTION,
        policy_id=1,
        snapshot={"policy_name": "P1", "target_seconds": 4 * 3600, "calendar": calendar},
        state=ClockState.RUNNING,
        started_at=started,
        target=timedelta(hours=4),
        due_at=started + timedelta(hours=4),
    )


@pytest.mark.parametrize(("holidays", "says_business_time"), [([], False), (["2026-12-25"], True)])
def test_time_left_on_a_24x7_calendar_with_holidays_is_business_time(holidays, says_business_time):
    clock = clock_on({"timezone": "UTC", "always_open": True, "windows": [], "holidays": holidays})
    status = clock_status(clock, clock.started_at)
    assert status.always_open is not says_business_time
    assert ("business time" in status.detail) is says_business_time
