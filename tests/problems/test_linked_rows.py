"""The problem page's linked incidents rows, written in Python (problems.linked_rows) from the
links' values: titles and names escaped, a requester without a name by their username, an
incident on hold with its reason, the link's day in the viewer's time zone, and the Unlink
button (with the page's CSRF token) only while the problem is not closed or cancelled; kept rows
equal to rows written afresh; and the page shows them."""

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.process_memos import forget_process_memos
from incidents.choices import HoldReason, IncidentStatus
from problems.choices import ProblemStatus
from problems.linked_rows import link_rows, linked_incident_rows
from problems.models import ProblemIncident
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "tok<en>&1"
ON_HOLD_BADGE = '<span class="badge badge-status status-on_hold">On hold</span>'
RESOLVED_BADGE = '<span class="badge badge-status status-resolved">Resolved</span>'


def _links(problem, make_incident):
    requesters = [
        UserFactory(first_name="Ann <b>", last_name="O'Neil & co"),
        UserFactory(first_name="", last_name="", username="only-user"),
    ]
    incidents = [
        make_incident(title='Printer "<3>" & <script>x</script>', requester=requesters[0]),
        make_incident(
            IncidentStatus.ON_HOLD,
            on_hold_reason=HoldReason.AWAITING_VENDOR,
            requester=requesters[1],
        ),
        make_incident(IncidentStatus.RESOLVED),
    ]
    moments = [datetime(2026, 3, 1, 23, 30, tzinfo=UTC), datetime(2026, 12, 31, 23, 59, tzinfo=UTC)]
    for n, incident in enumerate(incidents):
        ProblemIncident.objects.create(
            problem=problem, incident=incident, linked_at=moments[n % len(moments)]
        )
    links = ProblemIncident.objects.filter(problem=problem).order_by("linked_at", "id")
    return incidents, list(link_rows(links))


def _cells(html: str) -> list[list[str]]:
    """Each row's cells, their markup with white space squeezed."""
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.DOTALL)
    return [
        [
            re.sub(r"\s+", " ", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
        ]
        for row in rows
    ]


@pytest.mark.parametrize("status", [ProblemStatus.INVESTIGATING, "closed", "cancelled"])
def test_each_row_shows_its_incident_escaped(problem, make_incident, status):
    problem.status = status
    incidents, rows = _links(problem, make_incident)
    written = linked_incident_rows(rows, problem, TOKEN)
    cells = _cells(written)
    assert len(cells) == 3 and "<script>" not in written and "<b>" not in written
    by_number = {re.sub(r"<[^>]+>", "", row[0]): row for row in cells}
    first, on_hold, resolved = (by_number[incident.number] for incident in incidents)
    path = reverse("incidents:agent_detail", args=[incidents[0].number])
    assert first[0] == f'<a href="{path}">{incidents[0].number}</a>'
    assert first[1] == "Printer &quot;&lt;3&gt;&quot; &amp; &lt;script&gt;x&lt;/script&gt;"
    assert first[3] == "Ann &lt;b&gt; O&#x27;Neil &amp; co"
    assert on_hold[2] == f'{ON_HOLD_BADGE} <span class="muted">Awaiting vendor</span>'
    assert on_hold[3] == "only-user"
    assert resolved[2] == RESOLVED_BADGE
    unlinkable = status == ProblemStatus.INVESTIGATING
    for incident in incidents:
        action = reverse("problems:unlink", args=[problem.number, incident.number])
        form = (
            f'<form method="post" action="{action}" class="inline-form"> '
            '<input type="hidden" name="csrfmiddlewaretoken" value="tok&lt;en&gt;&amp;1"> '
            '<button type="submit" class="btn btn-small btn-ghost">Unlink'
            f'<span class="visually-hidden"> {incident.number}</span></button> </form>'
        )
        assert by_number[incident.number][5] == (form if unlinkable else "")


@pytest.mark.parametrize(
    ("zone", "days"),
    [
        ("UTC", ["1 Mar 2026", "31 Dec 2026", "1 Mar 2026"]),
        ("Europe/Berlin", ["2 Mar 2026", "1 Jan 2027", "2 Mar 2026"]),
        ("America/New_York", ["1 Mar 2026", "31 Dec 2026", "1 Mar 2026"]),
    ],
)
def test_the_day_linked_is_the_viewers(problem, make_incident, zone, days):
    _, rows = _links(problem, make_incident)
    with timezone.override(zone):
        cells = _cells(linked_incident_rows(rows, problem, TOKEN))
    assert sorted(row[4] for row in cells) == sorted(days)


def test_without_a_token_the_form_carries_none(problem, make_incident):
    _, rows = _links(problem, make_incident)
    assert "csrfmiddlewaretoken" not in linked_incident_rows(rows, problem, "")
    assert "csrfmiddlewaretoken" not in linked_incident_rows(rows, problem, "NOTPROVIDED")


def test_the_problem_page_shows_the_rows(client_for, agent_l1, problem, make_incident):
    incidents, _ = _links(problem, make_incident)
    page = client_for(agent_l1).get(reverse("problems:agent_detail", args=[problem.number]))
    html = page.content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    table = html[html.index("<tbody>", html.index('id="linked-incidents"')) :]
    table = table[len("<tbody>") : table.index("</tbody>")]
    cells = _cells(table)
    assert sorted(row[0] for row in cells) == sorted(
        f'<a href="{reverse("incidents:agent_detail", args=[i.number])}">{i.number}</a>'
        for i in incidents
    )
    assert table.count(f'value="{token}"') == 3


def test_kept_rows_are_the_rows_written_afresh_with_each_pages_token(problem, make_incident):
    _, rows = _links(problem, make_incident)
    first = linked_incident_rows(rows, problem, "first")
    again = linked_incident_rows(rows, problem, "second")
    assert again == first.replace('value="first"', 'value="second"')
    assert again.count('value="second"') == 3 and "<!--" not in again
    forget_process_memos()  # as another process writes them
    assert linked_incident_rows(rows, problem, "second") == again


def test_a_row_read_with_new_values_is_written_anew(problem, make_incident):
    incidents, rows = _links(problem, make_incident)
    linked_incident_rows(rows, problem, TOKEN)
    incidents[2].title = "Renamed <now>"
    incidents[2].save(update_fields=["title"])
    links = ProblemIncident.objects.filter(problem=problem).order_by("linked_at", "id")
    written = linked_incident_rows(list(link_rows(links)), problem, TOKEN)
    assert "Renamed &lt;now&gt;" in written and written.count("<tr>") == 3
