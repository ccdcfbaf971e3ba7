"""The queue's statements are kept per shape (incidents.queue_statements): a kept statement
reads the rows as they are now, keys tell apart everything the SQL depends on, and a filter
whose SQL depends on more than its value (the SLA state reads the clock) is never kept."""

import pytest
from django.http import QueryDict

from core.models import SupportGroup
from incidents import selectors
from incidents.filtersets import IncidentFilterSet
from incidents.models import Incident
from incidents.queue_statements import statement_key
from incidents.selectors import (
    incident_list_for_user,
    incident_queue_counts,
    incident_queue_items,
    incident_queue_states,
    incident_scope_key,
    with_live_page,
)
from sla.models import SlaClock
from sla.row_clocks import row_clock_rows

pytestmark = pytest.mark.django_db


def _key(user, query="", tab="all"):
    filterset = IncidentFilterSet(QueryDict(query), queryset=incident_list_for_user(user))
    return filterset, statement_key(
        filterset, alias=filterset.qs.db, scope=incident_scope_key(user), tab=tab
    )


def test_keys_tell_apart_viewers_tabs_and_filters(agent_l1, agent_l2, manager, l1_group):
    keys = [
        _key(agent_l1)[1],
        _key(agent_l2)[1],
        _key(manager)[1],
        _key(agent_l1, tab="mine")[1],
        _key(agent_l1, "priority=1")[1],
        _key(agent_l1, f"support_group={l1_group.pk}")[1],
        _key(agent_l1, "support_group=null")[1],
        _key(agent_l1, "open=false")[1],
    ]
    assert None not in keys
    assert len(set(keys)) == len(keys)
    assert _key(agent_l1, "priority=1")[1] == _key(agent_l1, "priority=1")[1]


def test_filters_that_read_more_than_their_value_are_compiled_every_time(agent_l1):
    assert _key(agent_l1, "sla_state=breached")[1] is None
    # An invalid form is compiled (and answered) as before.
    assert _key(agent_l1, "support_group=999999")[1] is None


def test_a_kept_statement_reads_the_rows_as_they_are_now(
    agent_l1, make_incident, l1_group, settings
):
    settings.QUEUE_PAGE_SIZE = 2
    incidents = [make_incident(f"Printer {n} offline") for n in range(3)]
    filterset, key = _key(agent_l1)
    assert key is not None
    page = with_live_page(filterset.qs)[:2]
    first = incident_queue_items(page, key)
    assert first == incident_queue_items(page)
    assert incident_queue_states(page, key) == incident_queue_states(page)

    Incident.objects.filter(pk=first[0].pk).update(title="Printer on fire")
    SupportGroup.objects.filter(pk=l1_group.pk).update(name="Front desk")
    again = incident_queue_items(page, key)
    assert again[0].title == "Printer on fire"
    assert again == incident_queue_items(page)

    counts = incident_queue_counts(filterset.qs, user=agent_l1, key=key)
    assert (
        counts
        == incident_queue_counts(filterset.qs, user=agent_l1)
        == {
            "unassigned": 3,
            "mine": 0,
            "groups": sum(1 for i in incidents if i.support_group_id == l1_group.pk),
            "all": 3,
        }
    )
    Incident.objects.filter(pk=incidents[0].pk).update(assignee=agent_l1)
    assert incident_queue_counts(filterset.qs, user=agent_l1, key=key)["mine"] == 1


def test_the_kept_clock_statement_reads_the_clocks_of_the_tickets_asked_for(make_incident):
    incidents = [make_incident(f"Printer {n} offline") for n in range(3)]
    a, b, c = (incident.pk for incident in incidents)

    def expected(ids):
        return sorted(
            (clock.ticket_id, clock.metric, clock.due_at)
            for clock in SlaClock.objects.filter(ticket_id__in=ids, ticket_type__model="incident")
        )

    def read(ids):
        return sorted((row[0], row[1], row[3]) for row in row_clock_rows(Incident, ids))

    assert expected([a, b, c])
    # The same statement (three ids) with other ids, in another order; then two, and repeats.
    assert read([a, b, c]) == expected([a, b, c])
    assert read([c, a, b]) == expected([a, b, c])
    assert read([b, c]) == expected([b, c])
    assert read([c, c, a]) == expected([a, c])
    assert read([a, c]) == expected([a, c])


@pytest.mark.parametrize("query", ["", "priority=3"])
def test_a_kept_count_statement_builds_no_tab_condition(
    agent_l1, make_incident, monkeypatch, query
):
    # Each tab's condition is a queryset of its own: built only to compile the statement.
    make_incident("Printer offline")
    filterset, key = _key(agent_l1, query)
    tallied = not query
    first = incident_queue_counts(filterset.qs, user=agent_l1, key=key, tallied=tallied)
    built = []
    condition = selectors._tab_condition
    monkeypatch.setattr(
        selectors, "_tab_condition", lambda *args: built.append(args) or condition(*args)
    )
    assert incident_queue_counts(filterset.qs, user=agent_l1, key=key, tallied=tallied) == first
    assert built == []
    assert incident_queue_counts(filterset.qs, user=agent_l1, tallied=tallied) == first
    assert len(built) == 4
