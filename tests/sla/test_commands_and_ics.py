from datetime import date, datetime, time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sla.holidays import holidays_import
from sla.ics import IcsError, parse_holidays
from sla.models import Calendar, Holiday, WorkingHours

pytestmark = pytest.mark.django_db

ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20260403\r
DTEND;VALUE=DATE:20260404\r
SUMMARY:Good Friday\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20261224\r
DTEND;VALUE=DATE:20261227\r
SUMMARY:Christmas\r
  break\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20260101\r
RRULE:FREQ=YEARLY;COUNT=3\r
SUMMARY:New Year\r
END:VEVENT\r
END:VCALENDAR\r
"""


@pytest.fixture
def business_hours():
    calendar = Calendar.objects.create(name="Business hours", timezone="Europe/Berlin")
    for day in range(5):
        WorkingHours.objects.create(calendar=calendar, weekday=day, start=time(8), end=time(18))
    return calendar


def test_parse_all_day_multi_day_folded_and_yearly_events():
    holidays = {h.date: h.name for h in parse_holidays(ICS)}
    assert holidays[date(2026, 4, 3)] == "Good Friday"
    assert {date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 26)} <= holidays.keys()
    assert date(2026, 12, 27) not in holidays  # DTEND is exclusive
    assert holidays[date(2026, 12, 24)] == "Christmas break"
    assert {date(2026, 1, 1), date(2027, 1, 1), date(2028, 1, 1)} <= holidays.keys()
    assert date(2029, 1, 1) not in holidays


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello", "BEGIN:VCALENDAR"),
        ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR", "DTSTART"),
        ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:2026x\nEND:VEVENT\nEND:VCALENDAR", "date"),
        ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20260101\n", "not closed"),
        ("BEGIN:VCALENDAR\nnonsense line\n", "NAME:VALUE"),
    ],
)
def test_malformed_files_are_refused_with_the_reason(text, message):
    with pytest.raises(IcsError, match=message):
        parse_holidays(text)


def test_import_is_all_or_nothing_and_skips_known_dates(business_hours):
    Holiday.objects.create(calendar=business_hours, date=date(2026, 4, 3), name="Karfreitag")
    added, known = holidays_import(calendar=business_hours, ics_text=ICS)
    assert known == 1
    assert added == Holiday.objects.filter(calendar=business_hours).count() - 1
    with pytest.raises(IcsError):
        holidays_import(calendar=business_hours, ics_text=ICS.replace("20260403", "2026xx03"))
    assert Holiday.objects.filter(calendar=business_hours).count() == added + 1


def test_sla_due_prints_the_due_time_in_the_calendar_zone(business_hours):
    holidays_import(calendar=business_hours, ics_text=ICS)
    out = StringIO()
    call_command(
        "sla_due",
        calendar="Business hours",
        start="2026-03-27T16:30:00+01:00",
        target="4h",
        stdout=out,
    )
    assert out.getvalue().strip() == "2026-03-30T10:30:00+02:00"
    out = StringIO()
    call_command(
        "sla_due",
        calendar="Business hours",
        start="2026-04-02T16:00:00+02:00",
        target="2h30m",
        stdout=out,
    )
    # Thursday 16-18, Good Friday (imported) and the weekend skipped, Monday 08:00 + 30m.
    assert out.getvalue().strip() == "2026-04-06T08:30:00+02:00"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"calendar": "Nope", "start": "2026-03-27T16:30:00+01:00", "target": "4h"}, "no calendar"),
        ({"calendar": "Business hours", "start": "yesterday", "target": "4h"}, "ISO-8601"),
        ({"calendar": "Business hours", "start": "2026-03-27T16:30:00", "target": "4h"}, "offset"),
        (
            {
                "calendar": "Business hours",
                "start": "2026-03-27T16:30:00+01:00",
                "target": "4 hours",
            },
            "not a target",
        ),
        (
            {"calendar": "Business hours", "start": "2026-03-27T16:30:00+01:00", "target": ""},
            "not a target",
        ),
    ],
)
def test_sla_due_bad_arguments_exit_2_with_one_line(business_hours, options, message):
    with pytest.raises(CommandError, match=message) as caught:
        call_command("sla_due", **options)
    assert caught.value.returncode == 2
    assert "\n" not in str(caught.value)


def test_sla_due_from_the_shell_exits_2(business_hours):
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "sla_due",
            "--calendar",
            "x",
            "--start",
            "bad",
            "--target",
            "4h",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert "ISO-8601" in result.stderr


def test_admin_imports_an_ics_file(client_for, admin_user, business_hours):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(admin_user)
    url = f"/admin/sla/calendar/{business_hours.pk}/import-holidays/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"file": SimpleUploadedFile("h.ics", ICS.encode())})
    assert response.status_code == 302
    assert Holiday.objects.filter(calendar=business_hours, date=date(2026, 4, 3)).exists()
    bad = client.post(url, {"file": SimpleUploadedFile("h.ics", b"not a calendar")})
    assert bad.status_code == 200
    assert b"BEGIN:VCALENDAR" in bad.content


@pytest.mark.parametrize(
    ("start", "target", "message"),
    [
        ("2026-03-27T16:30:00+01:00", "99999999d", "after 3000-01-01"),
        ("9999-12-31T17:00+01:00", "4h", "supported range"),
        ("0001-01-01T00:30+01:00", "4h", "supported range"),
        ("2026-03-27T16:30:00+01:00", "9" * 30 + "d", "too long"),
        ("2026-03-27T16:30:00+01:00", "9" * 5000 + "m", "too long"),
        ("2026-03-27T16:30:00+01:00", "4h\x00", "control characters"),
    ],
)
def test_sla_due_inputs_of_any_size_exit_2_with_one_line(business_hours, start, target, message):
    with pytest.raises(CommandError, match=message) as caught:
        call_command("sla_due", calendar="Business hours", start=start, target=target)
    assert caught.value.returncode == 2
    assert "\n" not in str(caught.value)


def test_sla_due_refuses_a_calendar_name_with_control_characters(business_hours):
    with pytest.raises(CommandError, match="--calendar must be one line") as caught:
        call_command(
            "sla_due", calendar="Business\x00hours", start="2026-03-27T16:30Z", target="1h"
        )
    assert caught.value.returncode == 2


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=st.one_of(st.datetimes(timezones=st.timezones()).map(datetime.isoformat), st.text()),
    target=st.one_of(
        st.tuples(st.integers(0, 10**40), st.sampled_from("dhm")).map(lambda t: f"{t[0]}{t[1]}"),
        st.text(),
    ),
)
def test_sla_due_answers_any_input_with_a_due_time_or_exit_2(business_hours, start, target):
    refused = _sla_due_refusal(start, target)
    if refused is not None:
        assert refused.returncode == 2
        assert "\n" not in str(refused)


def _sla_due_refusal(start: str, target: str) -> CommandError | None:
    try:
        # As a shell passes them: `--target=-5d` is a value, where call_command's own
        # `--target -5d` would read "-5d" as an option (argparse, "expected one argument").
        call_command(
            "sla_due",
            "--calendar=Business hours",
            f"--start={start}",
            f"--target={target}",
            stdout=StringIO(),
        )
    except CommandError as refused:
        return refused
    return None


@pytest.mark.parametrize(
    ("start", "target"),
    [("2026-03-27T16:30:00+01:00", "99999999d"), ("9999-12-31T17:00+01:00", "4h")],
)
def test_sla_due_from_the_shell_never_prints_a_traceback(business_hours, start, target):
    import subprocess
    import sys

    result = subprocess.run(
        [
            *(sys.executable, "manage.py", "sla_due", "--calendar", "Business hours"),
            *("--start", start, "--target", target),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "supported range" in result.stderr


def test_sla_due_honours_the_holidays_of_a_24x7_calendar():
    calendar = Calendar.objects.create(
        name="Around the clock", timezone="Europe/Berlin", is_24x7=True
    )
    Holiday.objects.create(calendar=calendar, date=date(2026, 12, 25), name="Christmas Day")
    out = StringIO()
    call_command(
        "sla_due",
        calendar="Around the clock",
        start="2026-12-24T22:00:00+01:00",
        target="4h",
        stdout=out,
    )
    # Two hours to midnight, Christmas Day skipped, two more hours on the 26th.
    assert out.getvalue().strip() == "2026-12-26T02:00:00+01:00"
