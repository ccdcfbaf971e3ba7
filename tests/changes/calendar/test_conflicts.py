from datetime import timedelta

import pytest

from changes.calendar.conflicts import change_conflicts, conflicts_by_change
from changes.calendar.windows import calendar_changes
from changes.choices import ChangeStatus
from tests.changes.calendar.conftest import T0

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


def test_two_active_changes_on_the_same_service_overlap_both_ways(make_change, service):
    first = make_change("Patch mail", service=service)
    second = make_change("Move mailboxes", start=T0 + HOUR, service=service)

    [conflict] = change_conflicts(first)
    assert conflict.is_overlap and conflict.number == second.number
    assert conflict.shared == ("service Email",)
    assert conflict.describe() == f"Overlaps {second.number} “Move mailboxes” on service Email."
    assert [c.number for c in change_conflicts(second)] == [first.number]


def test_windows_that_only_touch_do_not_overlap(make_change, service):
    first = make_change(service=service, hours=2)
    make_change(service=service, start=T0 + 2 * HOUR)
    assert change_conflicts(first) == []


def test_a_service_shared_through_the_named_services_counts(make_change, service, database):
    first = make_change(service=database, services=[service])
    second = make_change(start=T0 + HOUR, services=[service, database])
    [conflict] = change_conflicts(first)
    assert conflict.number == second.number
    assert conflict.shared == ("service Database", "service Email")


def test_a_shared_configuration_item_counts(make_change, mail_server, database):
    first = make_change(service=database, item=mail_server)
    second = make_change(start=T0 + HOUR, items=[mail_server])
    [conflict] = change_conflicts(first)
    assert (conflict.number, conflict.shared) == (second.number, ("CI mail-01",))


def test_different_services_do_not_overlap(make_change, service, database):
    first = make_change(service=service)
    make_change(service=database)
    assert change_conflicts(first) == []


@pytest.mark.parametrize(
    "status", [ChangeStatus.DRAFT, ChangeStatus.IMPLEMENTED, ChangeStatus.CANCELLED]
)
def test_only_active_changes_count_against_others(make_change, service, status):
    first = make_change(service=service)
    make_change(service=service, status=status)
    assert change_conflicts(first) == []


def test_a_change_still_in_planning_sees_active_changes_it_would_clash_with(make_change, service):
    draft = make_change(service=service, status=ChangeStatus.DRAFT)
    active = make_change(service=service)
    assert [c.number for c in change_conflicts(draft)] == [active.number]


def test_a_finished_change_or_one_without_a_window_has_no_conflicts(make_change, service):
    done = make_change(service=service, status=ChangeStatus.CLOSED)
    make_change(service=service)
    unplanned = make_change(service=service, status=ChangeStatus.DRAFT, planned_start=None)
    assert change_conflicts(done) == []
    assert change_conflicts(unplanned) == []


def test_a_global_freeze_catches_every_change_in_it(make_change, make_freeze, service):
    change = make_change(service=service)
    freeze = make_freeze("Year-end freeze", start=T0 - HOUR)
    [conflict] = change_conflicts(change)
    assert conflict.freeze_window_id == freeze.pk and conflict.is_global_freeze
    assert conflict.describe() == "Inside the freeze window “Year-end freeze” (all services)."


def test_a_service_freeze_catches_only_changes_on_its_services(
    make_change, make_freeze, service, database
):
    on_mail = make_change(services=[service])
    on_database = make_change(service=database)
    make_freeze("Mail migration", services=[service])
    [conflict] = change_conflicts(on_mail)
    assert conflict.shared == ("Email",)
    assert conflict.describe() == "Inside the freeze window “Mail migration” (Email)."
    assert change_conflicts(on_database) == []


def test_a_freeze_that_ends_when_the_change_starts_does_not_catch_it(
    make_change, make_freeze, service
):
    change = make_change(service=service)
    make_freeze(start=T0 - 24 * HOUR, hours=24)
    assert change_conflicts(change) == []


def test_the_batch_matches_one_by_one_and_counts_outside_the_range(
    make_change, make_freeze, service, database, mail_server
):
    # `early` ends inside the range only through its overlap partner: it starts before.
    early = make_change("Early", start=T0 - 30 * HOUR, hours=32, service=service)
    inside = make_change("Inside", start=T0, service=service, item=mail_server)
    later = make_change("Later", start=T0 + HOUR, services=[database], items=[mail_server])
    quiet = make_change("Quiet", start=T0 + 5 * HOUR, service=database)
    make_freeze(start=T0 + 4 * HOUR, services=[database])
    changes = list(calendar_changes(T0, T0 + 24 * HOUR))
    assert [c.title for c in changes] == ["Early", "Inside", "Later", "Quiet"]

    batch = conflicts_by_change(changes)

    for change in (early, inside, later, quiet):
        assert batch.get(change.pk, []) == change_conflicts(change)
    assert [c.number for c in batch[inside.pk]] == [early.number, later.number]


def test_the_batch_takes_constant_queries(
    make_change, make_freeze, service, database, django_assert_num_queries
):
    def count() -> int:
        changes = list(calendar_changes(T0 - 48 * HOUR, T0 + 48 * HOUR))
        with django_assert_num_queries(4) as captured:
            conflicts_by_change(changes)
        return len(captured.captured_queries)

    make_freeze(start=T0 - HOUR)
    make_change(service=service)
    make_change(service=service)
    assert count() == 4
    for n in range(20):
        make_change(f"Change {n}", start=T0 + n * HOUR, service=[service, database][n % 2])
    assert count() == 4
