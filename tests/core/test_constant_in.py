"""core.constant_in: the open statuses written into the SQL, so a prepared statement's one plan
can use the partial indexes on them."""

import pytest

from core.filtering import TicketFilterSet
from incidents.filtersets import IncidentFilterSet
from incidents.models import Incident
from incidents.transitions import OPEN_STATUSES
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def test_the_values_are_in_the_sql_not_in_its_parameters():
    sql, params = Incident.objects.filter(
        status__in_constants=OPEN_STATUSES
    ).query.sql_with_params()
    for status in OPEN_STATUSES:
        assert f"'{status}'" in sql
        assert status not in params


def test_it_selects_what_an_in_selects():
    IncidentFactory.create_batch(2)
    IncidentFactory(status="closed")
    IncidentFactory(status="on_hold")
    chosen = ["closed", "on_hold"]
    assert sorted(Incident.objects.filter(status__in_constants=chosen).values_list("pk")) == sorted(
        Incident.objects.filter(status__in=chosen).values_list("pk")
    )


@pytest.mark.parametrize("values", [["open'; drop table x; --"], ["a b"], [], [3]])
def test_anything_but_plain_words_is_refused(values):
    with pytest.raises(ValueError, match="plain words"):
        str(Incident.objects.filter(status__in_constants=values).query)


def test_the_lists_default_to_the_open_statuses_in_the_sql():
    filterset = IncidentFilterSet({}, queryset=Incident.objects.all())
    assert isinstance(filterset, TicketFilterSet)
    sql, params = filterset.qs.query.sql_with_params()
    assert all(f"'{status}'" in sql for status in OPEN_STATUSES)
    assert not set(params) & set(OPEN_STATUSES)


def test_a_kind_is_in_the_timeline_and_clock_statements_not_their_parameters():
    from django.contrib.contenttypes.models import ContentType

    from core.models import TimelineEvent
    from core.selectors import timeline_for_user
    from tests.factories import UserFactory

    incident = IncidentFactory()
    kind = ContentType.objects.get_for_model(Incident).pk
    agent = UserFactory(role="agent")
    sql, params = timeline_for_user(ticket=incident, user=agent).query.sql_with_params()
    assert f'"ticket_type_id" = {kind}' in sql and kind not in params
    assert incident.pk in params
    made = TimelineEvent.objects.filter(ticket_type_id=kind, ticket_id=incident.pk)
    assert list(timeline_for_user(ticket=incident, user=agent)) == list(
        made.order_by("created_at", "id")
    )


@pytest.mark.parametrize("value", ["35", "35; drop table x", True, 3.0])
def test_anything_but_an_int_is_refused_as_a_constant(value):
    with pytest.raises(ValueError, match="an int from the code"):
        str(Incident.objects.filter(service_id__equals_constant=value).query)
