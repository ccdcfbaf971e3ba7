"""The problem page's kept parts (problems.views.problems.ProblemPage): its "Next steps" card
and its analysis, details and link panels are written once per key of what they show; each key
part is changed here and the page must show the change, never a part kept for other values."""

import pytest
from django.urls import reverse

from core.capped_counts import CappedCount
from core.web import kept_fragments
from incidents.choices import IncidentStatus
from problems import services
from problems.forms import ResolveForm
from problems.panel_fields import PANEL_TEXT_CHARS
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db


def _body(client, problem) -> str:
    response = client.get(reverse("problems:agent_detail", args=[problem.number]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def investigating(agent_l1, service):
    problem = ProblemFactory(requester=agent_l1, service=service, title="Relay drops mail")
    services.problem_investigate(problem, actor=agent_l1)
    problem.refresh_from_db()
    return problem


def test_the_resolve_offer_follows_the_open_linked_incidents(
    client_for, agent_l1, investigating, make_incident
):
    client = client_for(agent_l1)
    body = _body(client, investigating)
    assert "resolve-resolve_linked" not in body  # nothing open: no offer
    services.problem_link_incident(investigating, incident=make_incident(), actor=agent_l1)
    assert "Also resolve the 1 open linked incident with this fix" in _body(client, investigating)
    second = make_incident()
    services.problem_link_incident(investigating, incident=second, actor=agent_l1)
    assert "Also resolve the 2 open linked incidents with this fix" in _body(client, investigating)
    # Only the open count moved (the problem's version is the same): the card is made again.
    second.status = IncidentStatus.RESOLVED
    second.save(update_fields=["status"])
    assert "Also resolve the 1 open linked incident with this fix" in _body(client, investigating)


def test_the_resolve_offer_is_worded_from_its_initial_values_capped_or_not():
    exact = ResolveForm(initial=ResolveForm.offer_initial(CappedCount(3)))
    capped = ResolveForm(initial=ResolveForm.offer_initial(CappedCount(3, capped=True)))
    assert exact.fields["resolve_linked"].label == (
        "Also resolve the 3 open linked incidents with this fix"
    )
    assert capped.fields["resolve_linked"].label == (
        "Also resolve the 3+ open linked incidents with this fix"
    )
    none_open = ResolveForm(initial=ResolveForm.offer_initial(CappedCount(0)))
    assert "resolve_linked" not in none_open.fields
    # A posted form (no initial values) reads both fields as sent.
    assert "resolve_linked" in ResolveForm(data={}).fields


def test_the_panels_follow_the_problems_fields(client_for, agent_l1, investigating):
    client = client_for(agent_l1)
    body = _body(client, investigating)
    assert 'value="Relay drops mail"' in body
    services.problem_update_details(
        investigating,
        actor=agent_l1,
        title="Relay drops large mail",
        description=investigating.description,
        service=investigating.service,
        configuration_item=None,
        category=investigating.category,
        priority=investigating.priority,
        support_group=investigating.support_group,
        assignee=investigating.assignee,
    )
    services.problem_record_analysis(
        investigating,
        actor=agent_l1,
        symptoms="Bounces over 10 MB",
        root_cause="",
        workaround="",
        permanent_fix="",
    )
    investigating.refresh_from_db()
    body = _body(client, investigating)
    assert 'value="Relay drops large mail"' in body
    assert ">\nBounces over 10 MB</textarea>" in body


def test_each_problem_gets_its_own_panels(client_for, agent_l1, investigating, service):
    other = ProblemFactory(requester=agent_l1, service=service, title="Printer spooler")
    client = client_for(agent_l1)
    _body(client, investigating)
    body = _body(client, other)
    for name in ("analysis", "edit", "link"):
        assert reverse(f"problems:{name}", args=[other.number]) in body
        assert reverse(f"problems:{name}", args=[investigating.number]) not in body


def test_a_panel_reshown_with_its_errors_opens_and_the_next_page_is_kept_again(
    client_for, agent_l1, investigating
):
    client = client_for(agent_l1)
    shown = client.post(
        reverse("problems:edit", args=[investigating.number]),
        {"edit-version": investigating.version, "edit-title": ""},
    ).content.decode()
    assert '<details class="edit-details" id="edit" open>' in shown
    assert '<details class="edit-details" id="analysis">' in shown
    again = _body(client, investigating)
    assert '<details class="edit-details" id="edit">' in again


def _kept_forms(number: str) -> list[str]:
    """The templates of the parts kept with the problem's forms."""
    forms = ("tickets/agent/_actions.html", "problems/agent/_edit_panel.html")
    return sorted(key[0] for key in kept_fragments._kept if key[0] in forms and number in str(key))


def test_long_texts_are_not_kept(client_for, agent_l1, investigating):
    kept_fragments.forget()
    long_problem = ProblemFactory(
        requester=agent_l1, title="Long", description="x" * (PANEL_TEXT_CHARS + 1)
    )
    client = client_for(agent_l1)
    assert "x" * (PANEL_TEXT_CHARS + 1) in _body(client, long_problem)
    assert _kept_forms(long_problem.number) == []
    _body(client, investigating)
    assert _kept_forms(investigating.number) == [
        "problems/agent/_edit_panel.html",
        "problems/agent/_edit_panel.html",
        "tickets/agent/_actions.html",
    ]
