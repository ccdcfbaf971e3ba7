"""Human ticket numbers: INC-000001 style, increasing, never from max()+1.

Concurrent allocation (20 threads creating at once) is in tests/incidents/test_concurrency.py.
"""

import re

import pytest
from django.db import connection

from core.models import TicketCounter, User
from core.numbering import advance_counter, allocate_number, sequence_name
from incidents import services
from incidents.models import Incident

NUMBER = re.compile(r"^INC-(\d{6,})$")


def _value(number: str) -> int:
    match = NUMBER.match(number)
    assert match, f"{number!r} is not INC-nnnnnn"
    return int(match.group(1))


def test_incident_numbers_are_formatted_and_increase(end_user: User) -> None:
    numbers = [
        services.incident_create(requester=end_user, title=f"Report {n}").number for n in range(5)
    ]
    values = [_value(number) for number in numbers]
    assert values == sorted(values)
    assert len(set(values)) == 5
    # Consecutive within one session: nothing else allocated in between.
    assert values[-1] - values[0] == 4
    assert all(len(number) == len("INC-000001") for number in numbers)
    stored = set(Incident.objects.values_list("number", flat=True))
    assert stored == set(numbers)


def test_numbers_do_not_follow_the_highest_stored_number(end_user: User) -> None:
    # A deleted or rolled-back ticket never makes the counter go back: numbers are not max()+1.
    first = services.incident_create(requester=end_user, title="First")
    second = services.incident_create(requester=end_user, title="Second")
    Incident.objects.filter(pk=second.pk).update(number="INC-000000")
    third = services.incident_create(requester=end_user, title="Third")
    assert _value(third.number) == _value(second.number) + 1
    assert _value(third.number) > _value(first.number)


@pytest.mark.django_db
def test_allocate_number_counts_up_by_one() -> None:
    first = allocate_number("INC")
    second = allocate_number("INC")
    assert _value(second) == _value(first) + 1


@pytest.mark.django_db
def test_allocate_number_pads_to_the_width() -> None:
    assert re.fullmatch(r"INC-\d{8}", allocate_number("INC", width=8))


@pytest.mark.django_db
def test_sqlite_keeps_the_counter_in_a_row() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL allocates from a sequence instead")
    number = allocate_number("INC")
    assert TicketCounter.objects.get(prefix="INC").last_value == _value(number)


@pytest.mark.django_db
def test_advance_counter_moves_the_next_number_past_imported_ones() -> None:
    current = _value(allocate_number("INC"))
    advance_counter("INC", current + 100)
    assert _value(allocate_number("INC")) == current + 101
    # Never moves backwards.
    advance_counter("INC", 1)
    assert _value(allocate_number("INC")) == current + 102


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_uses_a_sequence_per_prefix() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [sequence_name("INC")])
        assert cursor.fetchone()[0] == "core_ticket_number_inc"
