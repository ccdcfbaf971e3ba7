"""The change page's own reads through kept statements: its approvals
(core.kept_objects.kept_related) and the names of the services and configuration items it
touches (core.kept_statements.kept_rows_by), compiled once and each change's id filled in. Each
read gives what the change's related managers give, for two changes in turn from one compiled
statement; without a stand-in for the id they are read as before."""

from datetime import timedelta

import pytest
from django.utils import timezone

from changes.choices import Decision
from changes.models import Change, ChangeApproval
from changes.selectors import change_approvals, change_touched_names
from core import kept_objects as kept_objects_module
from core import kept_statements
from tests.factories import ConfigurationItemFactory, ServiceFactory, UserFactory
from tests.kept import compiled_by, read

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_changes(make_change) -> tuple[Change, Change]:
    """One change decided by two people, touching two services and two items; one with one
    decision, one service and no item."""
    first, second = make_change(), make_change()
    now = timezone.now()
    alex, sam = UserFactory(username="alex"), UserFactory(username="sam")
    ChangeApproval.objects.create(
        change=first, approver=sam, decision=Decision.APPROVED, decided_at=now, comment="Fine"
    )
    ChangeApproval.objects.create(
        change=first,
        approver=alex,
        decision=Decision.REJECTED,
        decided_at=now - timedelta(hours=1),
    )
    ChangeApproval.objects.create(
        change=second, approver=alex, decision=Decision.APPROVED, decided_at=now
    )
    wifi, erp = ServiceFactory(name="Wi-Fi"), ServiceFactory(name="ERP")
    first.services.add(wifi, erp)
    second.services.add(wifi)
    first.configuration_items.add(
        ConfigurationItemFactory(name="erp-db", service=erp),
        ConfigurationItemFactory(name="ap-1", service=wifi),
    )
    return first, second


APPROVAL = ("pk", "approver", "decision", "comment", "decided_at", "change")


def _approvals(change: Change) -> list[tuple[object, ...]]:
    return read(change_approvals(change), APPROVAL)


def _expected_approvals(change: Change) -> list[tuple[object, ...]]:
    return read(change.approvals.select_related("approver").order_by("decided_at", "id"), APPROVAL)


def _expected_names(change: Change) -> tuple[list[str], list[str]]:
    return (
        list(change.services.values_list("name", flat=True)),
        list(change.configuration_items.values_list("name", flat=True)),
    )


def test_each_changes_approvals_from_one_compiled_statement(two_changes, monkeypatch):
    compiled = compiled_by(monkeypatch, kept_objects_module, "objects_statement")
    first, second = two_changes
    for change in (first, second, first):
        assert _approvals(change) == _expected_approvals(change)
    assert [a.approver.username for a in change_approvals(first)] == ["alex", "sam"]
    assert len(change_approvals(second)) == 1
    assert len(compiled) == 1


def test_each_changes_touched_names_from_one_compiled_statement(two_changes, monkeypatch):
    compiled = compiled_by(monkeypatch, kept_statements, "rows_statement")
    first, second = two_changes
    for change in (first, second, first):
        assert change_touched_names(change) == _expected_names(change)
    assert change_touched_names(first) == (["ERP", "Wi-Fi"], ["erp-db", "ap-1"])
    assert change_touched_names(second) == (["Wi-Fi"], [])
    assert len(compiled) == 1  # the services and the items together


def test_without_a_stand_in_they_are_read_as_before(two_changes, monkeypatch):
    monkeypatch.setattr(kept_statements, "STAND_INS", {})
    for change in two_changes:
        assert _approvals(change) == _expected_approvals(change)
        assert change_touched_names(change) == _expected_names(change)


def test_a_new_decision_and_service_show_at_the_next_read(two_changes):
    _, second = two_changes
    assert change_touched_names(second) == (["Wi-Fi"], [])
    second.services.add(ServiceFactory(name="Backups"))
    ChangeApproval.objects.create(
        change=second,
        approver=UserFactory(username="kim"),
        decision=Decision.APPROVED,
        decided_at=timezone.now() + timedelta(minutes=1),
    )
    assert change_touched_names(second) == (["Backups", "Wi-Fi"], [])
    assert [a.approver.username for a in change_approvals(second)] == ["alex", "kim"]
