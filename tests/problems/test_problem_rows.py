"""The problem list's rows written in Python (problems/views/problem_rows.py) are the markup the
list's template wrote for them (REFERENCE, its former loop), from the page query's values: every
status and priority, with and without a service, an assignee or their names, linked incidents,
escaped titles and names, instants in the viewer's time zone."""

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone

from core.choices import Priority
from problems.choices import ProblemStatus
from problems.selectors import problem_list_for_user
from problems.services import problem_link_incident
from problems.views.problem_rows import (
    ROW_FIELDS,
    ProblemValues,
    problem_detail_url,
    problem_row_html,
)
from tests.factories import ServiceFactory, UserFactory
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db

REFERENCE = Template(
    "{% load servicedesk %}{% for problem in problems %}\n"
    "    <tr>\n"
    '      <td data-label="Number" class="mono nowrap">{{ problem.number }}</td>\n'
    '      <td data-label="Title" class="col-title">'
    "<a href=\"{% url 'problems:agent_detail' problem.number %}\">{{ problem.title }}</a></td>\n"
    '      <td data-label="Priority">{% priority_badge problem %}</td>\n'
    '      <td data-label="Status">{% status_badge problem %}</td>\n'
    '      <td data-label="Service">{{ problem.service.name|default:"—" }}</td>\n'
    '      <td data-label="Incidents">{{ problem.incident_count }}</td>\n'
    '      <td data-label="Assignee">'
    '{{ problem.assignee.display_name|default:"Unassigned" }}</td>\n'
    '      <td data-label="Age" class="nowrap">'
    "<time datetime=\"{{ problem.created_at|date:'c' }}\" data-age>{{ problem.created_at|age }}"
    "</time></td>\n"
    "    </tr>\n"
    "    {% endfor %}"
)


def test_a_row_is_what_the_template_wrote(agent_l1, make_incident):
    odd = ServiceFactory(name='Mail <relay> & "co"')
    named = UserFactory(username="named", first_name="Zoë", last_name="O'Brien <x>")
    nameless = UserFactory(username="nameless <u>", first_name="", last_name="")
    assignees = [None, named, nameless]
    services = [None, odd]
    priorities = list(Priority)
    for n, status in enumerate(ProblemStatus):
        ProblemFactory(
            status=status,
            priority=priorities[n % len(priorities)],
            title=f"Title {n} <b>\"bold\"</b> & 'quoted'",
            service=services[n % 2],
            assignee=assignees[n % 3],
            created_at=timezone.now() - timedelta(days=n, hours=n, minutes=7 * n),
        )
    linked = ProblemFactory(title="Linked", assignee=named)
    for _ in range(2):
        problem_link_incident(linked, incident=make_incident(), actor=agent_l1)
    problems = problem_list_for_user(agent_l1).order_by("id")
    assert problems.count() == len(ProblemStatus) + 1
    with timezone.override("America/St_Johns"):
        expected = REFERENCE.render(Context({"problems": problems}))
        url = problem_detail_url()
        written = "".join(
            problem_row_html(ProblemValues._make(row), url)
            for row in problems.values_list(*ROW_FIELDS)
        )
    assert written == expected
    assert ">2</td>" in written
