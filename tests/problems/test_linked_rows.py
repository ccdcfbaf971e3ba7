"""The problem page's linked incidents rows written in Python (problems.linked_rows) are the
markup templates/problems/agent/_linked_incident_row.html writes for them (the one from the
links' values, the other from their model instances): titles and names escaped, a requester
without a name by their username, an incident on hold with its reason, the link's day in the
viewer's time zone, and the Unlink button (with the page's CSRF token) only while the problem
is not closed or cancelled; and the page shows them."""

import re
from datetime import UTC, datetime

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from incidents.choices import HoldReason, IncidentStatus
from problems.choices import ProblemStatus
from problems.linked_rows import link_rows, linked_incident_rows
from problems.models import ProblemIncident
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "tok<en>&1"


def _squeezed(html: str) -> str:
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


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
    return list(links.select_related("incident__requester")), list(link_rows(links))


@pytest.mark.parametrize("status", [ProblemStatus.INVESTIGATING, "closed", "cancelled"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York"])
def test_rows_are_the_row_templates_markup(problem, make_incident, zone, status):
    problem.status = status
    links, rows = _links(problem, make_incident)
    with timezone.override(zone):
        expected = "".join(
            render_to_string(
                "problems/agent/_linked_incident_row.html",
                {"link": link, "ticket": problem, "csrf_token": TOKEN},
            )
            for link in links
        )
        written = linked_incident_rows(rows, problem, TOKEN)
    assert _squeezed(written) == _squeezed(expected)
    assert expected.count("<tr>") == 3 and "<script>" not in written
    assert expected.count("Awaiting vendor") == 1
    assert expected.count("Unlink") == (3 if status == ProblemStatus.INVESTIGATING else 0)
    assert ("1 Jan 2027" in expected) == (zone == "Europe/Berlin")


def test_the_problem_page_shows_the_rows(client_for, agent_l1, problem, make_incident):
    links, _ = _links(problem, make_incident)
    page = client_for(agent_l1).get(reverse("problems:agent_detail", args=[problem.number]))
    html = page.content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    table = html[html.index("<tbody>", html.index('id="linked-incidents"')) :]
    table = table[len("<tbody>") : table.index("</tbody>")]
    expected = "".join(
        render_to_string(
            "problems/agent/_linked_incident_row.html",
            {"link": link, "ticket": problem, "csrf_token": token},
        )
        for link in links
    )
    assert _squeezed(table) == _squeezed(expected)
