"""The open incidents' tally (incidents.OpenTally, incidents.open_tally): the database's
triggers keep it equal to the open incidents by group, assignee and restriction through every
kind of write, a rolled-back write leaves nothing, folding keeps the sums, and the triage
queue's tab counts read from it are the counts the incidents themselves give, for every kind of
viewer."""

import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext

from core.models import SupportGroup, User
from incidents import open_tally_sql
from incidents.choices import Category, IncidentStatus
from incidents.models import Incident, OpenTally
from incidents.open_tally import audit_open_tally, compact_open_tally
from incidents.selectors import QUEUE_TABS, incident_list_for_user, incident_queue_counts
from incidents.tasks import audit_open_tally_task, compact_open_tally_task
from incidents.transitions import OPEN_STATUSES
from incidents.visibility import SECURITY_INCIDENTS
from tests.factories import IncidentFactory, security_group_member

pytestmark = pytest.mark.django_db

S = IncidentStatus


def _tallied() -> dict[tuple[int | None, int | None, bool], int]:
    sums: dict[tuple[int | None, int | None, bool], int] = {}
    for row in OpenTally.objects.values_list("support_group_id", "assignee_id", "restricted", "n"):
        key = (row[0], row[1], bool(row[2]))
        sums[key] = sums.get(key, 0) + row[3]
    return {key: n for key, n in sums.items() if n}


def _counted() -> dict[tuple[int | None, int | None, bool], int]:
    rows = (
        Incident.objects.filter(status__in=OPEN_STATUSES)
        .values_list("support_group_id", "assignee_id", "category")
        .annotate(n=Count("pk"))
    )
    sums: dict[tuple[int | None, int | None, bool], int] = {}
    for group, assignee, category, n in rows:
        key = (group, assignee, category == Category.SECURITY)
        sums[key] = sums.get(key, 0) + n
    return sums


def _in_step() -> None:
    assert _tallied() == _counted()


def test_the_tally_follows_every_kind_of_write(
    l1_group: SupportGroup, l2_group: SupportGroup, agent_l1: User, agent_l2: User
) -> None:
    first = IncidentFactory(status=S.LOGGED, support_group=l1_group)
    IncidentFactory(status=S.CLOSED, support_group=l1_group)
    _in_step()
    first.assignee = agent_l1
    first.save()
    _in_step()
    first.support_group = l2_group
    first.category = Category.SECURITY
    first.save()
    _in_step()
    first.status = S.RESOLVED
    first.save()
    _in_step()
    first.status = S.DIAGNOSED  # reopened
    first.save()
    _in_step()
    first.title = "Only the title changes"
    first.save()
    # +1; -1 and +1; -1 and +1; -1; +1; and no row for the title.
    assert OpenTally.objects.count() == 7
    rows = [Incident(**{**_fields(first), "pk": None, "number": f"INC-T{n:05d}"}) for n in range(4)]
    Incident.objects.bulk_create(rows)
    _in_step()
    Incident.objects.filter(support_group=l2_group).update(assignee=agent_l2)
    _in_step()
    Incident.objects.filter(number__startswith="INC-T").update(category=Category.NETWORK)
    _in_step()
    Incident.objects.filter(number="INC-T00000").delete()
    _in_step()
    Incident.objects.filter(assignee=agent_l2).update(status=S.CANCELLED)
    _in_step()
    assert _counted() == {}


def _fields(incident: Incident) -> dict[str, object]:
    return {f.attname: getattr(incident, f.attname) for f in Incident._meta.concrete_fields}


def test_a_write_rolled_back_leaves_no_row(l1_group: SupportGroup) -> None:
    def write_then_fail() -> None:
        with transaction.atomic():
            IncidentFactory(status=S.LOGGED, support_group=l1_group)
            assert OpenTally.objects.count() == 1
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert OpenTally.objects.count() == 0


def test_folding_keeps_the_sums_in_a_row_each(l1_group: SupportGroup, agent_l1: User) -> None:
    for _ in range(3):
        IncidentFactory(status=S.LOGGED, support_group=l1_group, assignee=agent_l1)
    gone = IncidentFactory(status=S.LOGGED, support_group=l1_group)
    gone.status = S.CANCELLED
    gone.save()
    before = _tallied()
    assert OpenTally.objects.count() == 5
    assert compact_open_tally() == (5, 1)
    assert _tallied() == before == _counted()
    assert OpenTally.objects.get().n == 3
    # Nothing to fold: nothing written.
    with CaptureQueriesContext(connection) as queries:
        assert compact_open_tally() == (1, 1)
    assert not [q for q in queries.captured_queries if q["sql"].startswith(("DELETE", "INSERT"))]
    assert compact_open_tally_task() == 1


def test_a_tally_written_around_is_found_and_made_again(
    l1_group: SupportGroup, agent_l1: User, caplog: pytest.LogCaptureFixture
) -> None:
    IncidentFactory(status=S.LOGGED, support_group=l1_group)
    IncidentFactory(status=S.LOGGED, support_group=l1_group, assignee=agent_l1)
    IncidentFactory(status=S.CLOSED, support_group=l1_group)
    assert audit_open_tally() == 0
    # As if something had written incidents without their triggers.
    OpenTally.objects.filter(assignee=agent_l1).delete()
    OpenTally.objects.create(support_group=None, assignee=None, restricted=True, n=4)
    assert audit_open_tally_task() == 2
    assert "differed in 2 key(s)" in caplog.text
    _in_step()
    assert audit_open_tally() == 0


def test_the_triggers_count_what_the_kind_calls_open_and_restricted() -> None:
    """The triggers are SQL written from these: a change of either needs a migration that
    installs them again (incidents.open_tally_sql)."""
    assert SECURITY_INCIDENTS.rows == Q(category=Category.SECURITY)
    text = " ".join(open_tally_sql.install(connection.vendor))
    for status in IncidentStatus.values:
        assert (f"'{status}'" in text) == (status in OPEN_STATUSES)


def test_the_installed_triggers_are_the_current_ones() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'")
            installed = {sql for (sql,) in cursor.fetchall()}
            assert set(open_tally_sql.sqlite_install()) <= installed
            return
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'incidents_incident'::regclass "
            "AND tgname LIKE 'incidents_open_tally%%' AND tgenabled = 'O'"
        )
        assert sorted(name for (name,) in cursor.fetchall()) == sorted(open_tally_sql.TRIGGERS)
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = %s", [open_tally_sql.FUNCTION])
        (body,) = cursor.fetchone()
    function = open_tally_sql.postgresql_install()[0]
    assert body.strip() == re.search(r"\$\$(.*)\$\$", function, re.S).group(1).strip()


@pytest.fixture
def desk(l1_group: SupportGroup, l2_group: SupportGroup, agent_l1: User, end_user: User) -> None:
    """Open and closed incidents over two groups, some restricted: assigned to the L1 agent,
    requested by them, or neither."""
    for status in (S.LOGGED, S.CLASSIFIED, S.ON_HOLD, S.CLOSED):
        for group in (l1_group, l2_group, None):
            IncidentFactory(status=status, support_group=group, requester=end_user)
            IncidentFactory(status=status, support_group=group, assignee=agent_l1)
    for assignee, requester in ((None, end_user), (agent_l1, end_user), (None, agent_l1)):
        for group in (l1_group, l2_group):
            IncidentFactory(
                status=S.CONTAINED,
                category=Category.SECURITY,
                support_group=group,
                assignee=assignee,
                requester=requester,
            )


def _viewers(agent_l1: User, agent_l2: User, manager: User) -> list[User]:
    return [agent_l1, agent_l2, manager, security_group_member()]


def test_the_queue_tabs_from_the_tally_are_the_incidents_counts(
    desk: None, agent_l1: User, agent_l2: User, manager: User
) -> None:
    for viewer in _viewers(agent_l1, agent_l2, manager):
        scope = incident_list_for_user(viewer).filter(status__in=OPEN_STATUSES)
        tallied = incident_queue_counts(scope, user=viewer, tallied=True)
        counted = incident_queue_counts(scope, user=viewer)
        assert {tab: (int(tallied[tab]), tallied[tab].capped) for tab in QUEUE_TABS} == {
            tab: (int(counted[tab]), False) for tab in QUEUE_TABS
        }, viewer.username
    # The restricted ones the L1 agent sees: the two assigned to them and the two they asked
    # for, besides the 18 open ones that are not restricted.
    scope = incident_list_for_user(agent_l1).filter(status__in=OPEN_STATUSES)
    assert incident_queue_counts(scope, user=agent_l1, tallied=True)["all"] == 22


def test_the_queue_counts_from_the_tally_only_when_nothing_but_open_filters_it(
    client_for, desk: None, agent_l1: User
) -> None:
    client = client_for(agent_l1)
    for query, tallied in (
        ("", True),
        ("?ordering=priority", True),
        ("?tab=mine", True),
        ("?priority=1", False),
        ("?open=false", False),
        ("?status=logged", False),
        ("?q=printer", False),
    ):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/agent/incidents/{query}").status_code == 200
        read = any("incidents_opentally" in q["sql"] for q in queries.captured_queries)
        assert read == tallied, query


def test_past_the_cap_the_tab_is_exact_and_the_pages_stop_there(
    client_for, settings, l1_group: SupportGroup, agent_l1: User
) -> None:
    settings.LIST_COUNT_CAP = 4
    settings.QUEUE_PAGE_SIZE = 2
    for _ in range(6):
        IncidentFactory(status=S.LOGGED, support_group=l1_group)
    response = client_for(agent_l1).get("/agent/incidents/")
    tabs = {tab.key: tab.count.label for tab in response.context["tabs"]}
    assert tabs == {"unassigned": "6", "mine": "0", "groups": "6", "all": "6"}
    paginator = response.context["page"].paginator
    assert (paginator.count, paginator.count.capped, paginator.num_pages) == (4, True, 2)


def test_another_database_is_told_what_the_desk_runs_on() -> None:
    with pytest.raises(ImproperlyConfigured, match="PostgreSQL or SQLite"):
        open_tally_sql.install("mysql")
