""" "My tickets" keeps its show and kind links per query string (portal.views.filter_links) and each
line's HTML but its age (portal.rows): every part of their keys makes other HTML, and a kept
line reads as a line made afresh."""

from collections import namedtuple
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from incidents import services
from incidents.choices import IncidentStatus
from incidents.models import Incident
from portal import rows as portal_rows
from portal import views
from portal.selectors import MyTicket, kind_choices, portal_kinds
from tests.kept import script_prefix

pytestmark = pytest.mark.django_db

URL = reverse("portal:tickets")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def _links(body: str) -> str:
    start = body.index('<div class="list-filters">')
    return body[start : body.index("</div>", start)]


def _lines(body: str) -> str:
    start = body.index('<ul class="ticket-list">')
    return body[start : body.index("</ul>", start)]


def test_each_query_string_gets_its_own_links(client_for, end_user, make_incident, monkeypatch):
    make_incident()
    client = client_for(end_user)
    first = _links(client.get(URL, {"show": "open", "q": "x"}).content.decode())
    assert 'href="?show=all&amp;q=x"' in first and 'href="?show=open&amp;q=x&amp;kind=all"' in first
    other = _links(client.get(URL, {"show": "closed"}).content.decode())
    assert 'href="?show=all"' in other and 'aria-current="true">Closed<' in other
    # A page or cursor changes no link: the same query string without them comes from the memo.
    monkeypatch.setattr(views, "render_to_string", None)
    again = client.get(URL, {"show": "open", "q": "x", "page": "2", "older": "bad"})
    assert _links(again.content.decode()) == first


def test_other_kinds_get_other_links(client_for, end_user, make_incident, monkeypatch):
    make_incident()
    client = client_for(end_user)
    assert ">Problems</a>" not in _links(client.get(URL).content.decode())
    monkeypatch.setattr(views, "kind_choices", lambda: {**kind_choices(), "problems": "Problems"})
    assert ">Problems</a>" in _links(client.get(URL).content.decode())


def test_the_kept_links_are_bounded(client_for, end_user, make_incident, monkeypatch):
    make_incident()
    monkeypatch.setattr(views._LINKS, "limit", 2)
    views._LINKS.clear()
    client = client_for(end_user)
    for n in range(5):
        assert f"q=term{n}" in _links(client.get(URL, {"q": f"term{n}"}).content.decode())
    assert len(views._LINKS) <= 2


def _reported(end_user, service):
    with time_machine.travel(T0, tick=False):
        return services.incident_create(requester=end_user, title="Printer", service=service)


def _page(client, at):
    with time_machine.travel(at, tick=False):
        return _lines(client.get(URL).content.decode())


def _never_written(*args, **kwargs):
    raise AssertionError("a kept line was written again")


def test_a_kept_line_is_not_written_again_and_its_age_moves(
    client_for, end_user, service, incident_policies, monkeypatch
):
    _reported(end_user, service)
    client = client_for(end_user)
    first = _page(client, T0 + timedelta(minutes=5))
    monkeypatch.setattr(portal_rows._Lines, "head", _never_written)
    assert _page(client, T0 + timedelta(minutes=5, seconds=20)) == first
    assert ">5\xa0minutes ago<" in first
    assert ">6\xa0minutes ago<" in _page(client, T0 + timedelta(minutes=6))


def test_kept_lines_read_as_lines_made_afresh(
    client_for, end_user, service, incident_policies, make_incident
):
    """Over the clock's due time (the expectation turns late), in order and out of order."""
    _reported(end_user, service)
    make_incident(IncidentStatus.RESOLVED)
    client = client_for(end_user)
    for minutes in (1, 59, 61, 600, 1439, 1441, 3 * 1440, 30, 10 * 1440):
        at = T0 + timedelta(minutes=minutes)
        kept = _page(client, at)
        portal_rows._HEADS.clear()
        assert _page(client, at) == kept, minutes


def test_a_changed_expectation_makes_another_line(client_for, end_user, service, incident_policies):
    """The same values, another instant: the promise is missed (the line's `line` key part)."""
    incident = _reported(end_user, service)
    client = client_for(end_user)
    due = incident.sla_due_at
    assert "We aim to" in _page(client, due - timedelta(minutes=1))
    assert "Running late:" in _page(client, due + timedelta(minutes=1))


def test_changed_values_make_another_line(client_for, end_user, service, incident_policies):
    incident = _reported(end_user, service)
    client = client_for(end_user)
    at = T0 + timedelta(minutes=5)
    assert ">Printer</a>" in _page(client, at)
    Incident.objects.filter(pk=incident.pk).update(title="Printer on fire")
    assert ">Printer on fire</a>" in _page(client, at)


def test_each_time_zone_gets_its_own_line(client_for, end_user, service, incident_policies):
    _reported(end_user, service)
    at = T0 + timedelta(minutes=5)
    assert 'datetime="2026-03-02T09:00:00+00:00"' in _page(client_for(end_user), at)
    type(end_user).objects.filter(pk=end_user.pk).update(time_zone="Europe/Berlin")
    assert 'datetime="2026-03-02T10:00:00+01:00"' in _page(client_for(end_user), at)


def test_each_script_prefix_gets_its_own_line(client_for, end_user, service, incident_policies):
    incident = _reported(end_user, service)
    client = client_for(end_user)
    at = T0 + timedelta(minutes=5)
    assert f'href="/portal/incidents/{incident.number}/"' in _page(client, at)
    with script_prefix("/desk/"):
        assert f'href="/desk/portal/incidents/{incident.number}/"' in _page(client, at)


def test_each_kind_gets_its_own_line():
    """Lines of two kinds with the same values (and so the same expectation): their URLs' shapes
    tell them apart."""
    values = namedtuple("Line", "number title updated_at status")("X-000001", "Printer", T0, "")
    made = {}
    for kind, spec in portal_kinds():
        [row] = portal_rows.ticket_rows([MyTicket(kind, spec, values, [])])
        made[kind.name] = str(row.html)
    assert len(made) >= 2 and len(set(made.values())) == len(made)
    assert all(f"kind-tag kind-{name}" in html for name, html in made.items())
