from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from changes.calendar.feed import feed_token_renew
from changes.choices import ChangeStatus
from changes.models import Change
from tests.changes.calendar.conftest import T0

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
NOW = T0 - DAY


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def feed_path(agent_l1) -> str:
    return f"/changes/calendar/feed/{feed_token_renew(person=agent_l1)}.ics"


def _events(body: str) -> list[dict[str, str]]:
    unfolded = body.replace("\r\n ", "")
    events, current = [], None
    for line in unfolded.split("\r\n"):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None and ":" in line:
            name, value = line.split(":", 1)
            current[name] = value
    return events


def test_the_feed_is_an_rfc_5545_calendar_of_changes_and_freezes(
    feed_path, make_change, make_freeze, service
):
    change = make_change("Patch; relay, mail\\queue now " + "é" * 60, service=service)
    make_freeze("Year-end", start=T0 + 20 * DAY, hours=48)
    response = Client().get(feed_path)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert body.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    [event, freeze] = _events(body)
    assert event["UID"] == f"{change.number.lower()}@testserver"
    assert event["SUMMARY"] == (f"{change.number} Patch\\; relay\\, mail\\\\queue now " + "é" * 60)
    assert event["DTSTART"] == "20270308T090000Z" and event["DTEND"] == "20270308T110000Z"
    assert event["DTSTAMP"] == "20270307T090000Z"
    assert event["SEQUENCE"] == "0"
    assert event["LAST-MODIFIED"] == change.updated_at.strftime("%Y%m%dT%H%M%SZ")
    assert event["STATUS"] == "CONFIRMED"
    assert event["DESCRIPTION"] == "Normal change\\, scheduled.\\nServices: Email."
    assert freeze["SUMMARY"] == "Change freeze: Year-end"
    assert freeze["DESCRIPTION"] == "All services."


def test_a_revised_change_keeps_its_uid_and_counts_its_sequence(feed_path, make_change, service):
    change = make_change(service=service)
    [before] = _events(Client().get(feed_path).content.decode())
    Change.objects.filter(pk=change.pk).update(
        version=3, planned_start=T0 + DAY, planned_end=T0 + DAY + timedelta(hours=1)
    )
    [after] = _events(Client().get(feed_path).content.decode())
    assert after["UID"] == before["UID"]
    assert (before["SEQUENCE"], after["SEQUENCE"]) == ("0", "2")
    assert after["DTSTART"] == "20270309T090000Z"


def test_the_feed_spans_thirty_days_back_to_half_a_year_ahead(feed_path, make_change, service):
    inside = [
        make_change("Recent", start=NOW - 29 * DAY, status=ChangeStatus.IMPLEMENTED),
        make_change("Far", start=NOW + 179 * DAY),
        make_change("Waiting", start=NOW + DAY, status=ChangeStatus.AWAITING_APPROVAL),
    ]
    outside = [
        make_change("Old", start=NOW - 31 * DAY),
        make_change("Later", start=NOW + 181 * DAY),
        make_change("Draft", status=ChangeStatus.DRAFT),
        make_change("Closed", status=ChangeStatus.CLOSED),
    ]
    events = _events(Client().get(feed_path).content.decode())
    uids = {e["UID"] for e in events}
    assert uids == {f"{c.number.lower()}@testserver" for c in inside}
    assert {e["STATUS"] for e in events if "Waiting" in e["SUMMARY"]} == {"TENTATIVE"}
    assert not any(c.number.lower() in " ".join(uids) for c in outside)


def test_conflicts_are_written_in_the_event(feed_path, make_change, service):
    make_change("First", service=service)
    second = make_change("Second", start=T0 + timedelta(hours=1), service=service)
    first_event = _events(Client().get(feed_path).content.decode())[0]
    assert f"Overlaps {second.number}" in first_event["DESCRIPTION"]


@pytest.mark.parametrize("token", ["nope", "x" * 101, ""])
def test_an_unknown_token_is_a_404(token, agent_l1):
    feed_token_renew(person=agent_l1)
    assert Client().get(f"/changes/calendar/feed/{token}.ics").status_code == 404


def test_the_feed_stops_when_its_owner_no_longer_works_changes(feed_path, agent_l1):
    assert Client().get(feed_path).status_code == 200
    agent_l1.groups.clear()
    agent_l1.is_active = False
    agent_l1.save()
    assert Client().get(feed_path).status_code == 404


def test_an_end_user_token_opens_nothing(end_user):
    token = feed_token_renew(person=end_user)
    assert Client().get(f"/changes/calendar/feed/{token}.ics").status_code == 404


def test_the_feed_takes_constant_queries(feed_path, make_change, make_freeze, service, database):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert Client().get(feed_path).status_code == 200
        return len(captured.captured_queries)

    make_freeze(start=T0, services=[service])
    make_change(service=service)
    make_change(service=service)
    Client().get(feed_path)
    one = count()
    for n in range(20):
        make_change(f"C{n}", start=T0 + n * DAY, service=database, services=[service])
    assert count() == one


def _summaries(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(event["SUMMARY"] for event in _events(response.content.decode()))


def test_service_keeps_the_changes_and_freezes_of_those_services(
    feed_path, make_change, make_freeze, service, database
):
    mail_only = make_change("Mail relay", service=service)
    also_mail = make_change("Disk swap", start=T0 + DAY, service=database, services=[service])
    db_only = make_change("Vacuum", start=T0 + 2 * DAY, service=database)
    make_freeze("Mail freeze", start=T0 + 3 * DAY, services=[service])
    make_freeze("Database freeze", start=T0 + 4 * DAY, services=[database])
    make_freeze("Global freeze", start=T0 + 5 * DAY)

    mail = Client().get(feed_path, {"service": service.pk})
    assert _summaries(mail) == sorted(
        [
            f"{mail_only.number} Mail relay",
            f"{also_mail.number} Disk swap",
            "Change freeze: Mail freeze",
            "Change freeze: Global freeze",
        ]
    )
    assert f"X-WR-CALNAME:Change calendar: {service.name}" in mail.content.decode()
    both = Client().get(f"{feed_path}?service={service.pk}&service={database.pk}")
    assert f"{db_only.number} Vacuum" in _summaries(both)
    assert "Change freeze: Database freeze" in _summaries(both)
    assert len(_summaries(Client().get(feed_path))) == 6


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("service=mail", "is a service id"),
        ("service=", "is a service id"),
        ("service=-3", "is a service id"),
        ("service=%EF%BC%93", "is a service id"),  # a full-width digit
        ("service=424242", "no service has the id 424242"),
        ("&".join(["service=1"] * 51), "at most 50 services"),
    ],
)
def test_bad_service_ids_are_a_plain_400(feed_path, service, query, words):
    response = Client().get(f"{feed_path}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    body = response.content.decode()
    assert words in body and "BEGIN:VCALENDAR" not in body


def test_a_bad_token_is_a_404_before_the_service_is_read(agent_l1):
    feed_token_renew(person=agent_l1)
    assert Client().get("/changes/calendar/feed/nope.ics?service=mail").status_code == 404


def test_a_filtered_feed_takes_constant_queries(
    feed_path, make_change, make_freeze, service, database
):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = Client().get(feed_path, {"service": [service.pk, database.pk]})
            assert response.status_code == 200
        return len(captured.captured_queries)

    make_freeze(start=T0, services=[service])
    make_change(service=service)
    make_change(service=service)
    Client().get(feed_path)
    one = count()
    for n in range(20):
        make_change(f"C{n}", start=T0 + n * DAY, service=database, services=[service])
    assert count() == one
