"""What core holds for service requests: links between tickets of any kind, and a person's
manager (who approves their requests)."""

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from core.links import link_add, linked_from, linked_to
from core.models import TicketLink
from tests.factories import IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_link_add_is_idempotent_and_readable_both_ways():
    first, second, third = IncidentFactory(), IncidentFactory(), IncidentFactory()
    link = link_add(source=first, target=second)
    assert link_add(source=first, target=second) == link
    link_add(source=first, target=third)
    assert linked_to(first) == [second, third]
    assert linked_from(second) == [first]
    assert linked_from(first) == [] and linked_to(second) == []


def test_one_link_per_pair_and_kind_in_the_database():
    first, second = IncidentFactory(), IncidentFactory()
    link = link_add(source=first, target=second)
    with pytest.raises(IntegrityError), transaction.atomic():
        TicketLink.objects.create(
            from_type=link.from_type,
            from_id=first.pk,
            to_type=link.to_type,
            to_id=second.pk,
            kind=link.kind,
            created_at=link.created_at,
        )


def test_a_manager_is_protected_and_knows_their_reports():
    boss = UserFactory(username="boss")
    report = UserFactory(username="report")
    report.manager = boss
    report.save()
    assert list(boss.reports.all()) == [report]
    with pytest.raises(ProtectedError):
        boss.delete()
