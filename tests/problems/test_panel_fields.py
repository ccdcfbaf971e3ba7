"""The problem page's edit and analysis panels keep their fields' HTML (problems.panel_fields):
the same HTML as made anew, and never stale: a problem changed without a new version, a new
select option, a form re-shown with its errors each show at once; long texts are not kept."""

import re

import pytest
from django.urls import reverse

from problems import panel_fields
from problems.forms import AnalysisForm, ProblemEditForm
from problems.models import Problem
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def _page(client, problem: Problem) -> str:
    body = client.get(reverse("problems:agent_detail", args=[problem.number])).content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)


def test_kept_panels_are_the_panels_made_anew(client_for, problem, agent_l1, monkeypatch):
    client = client_for(agent_l1)
    first, kept = _page(client, problem), _page(client, problem)
    monkeypatch.setattr(panel_fields, "_key", lambda form: None)
    assert first == kept == _page(client, problem)
    assert 'id="id_edit-title"' in kept and 'id="id_analysis-root_cause"' in kept


def test_a_change_without_a_new_version_shows_at_once(client_for, problem, agent_l1):
    client = client_for(agent_l1)
    _page(client, problem)
    Problem.objects.filter(pk=problem.pk).update(title="Relay queue stuck", root_cause="Disk full")
    body = _page(client, problem)
    assert 'value="Relay queue stuck"' in body
    assert ">\nDisk full</textarea>" in body


def test_a_new_option_shows_at_once(client_for, problem, agent_l1):
    client = client_for(agent_l1)
    assert "Payroll" not in _page(client, problem)
    ServiceFactory(name="Payroll")
    assert ">Payroll</option>" in _page(client, problem)


def test_a_form_with_errors_is_made_anew(problem, monkeypatch):
    kept: dict = {}
    monkeypatch.setattr(panel_fields.CHOICES_MEMO, "get", lambda key, compute: kept)
    bound = ProblemEditForm({"edit-version": "1", "edit-title": ""}, prefix="edit")
    assert "has-error" in panel_fields.panel_field_rows(bound)
    assert kept == {}
    unbound = AnalysisForm(initial={"version": 1, "symptoms": "Slow"}, prefix="analysis")
    rows = panel_fields.panel_field_rows(unbound)
    assert list(kept.values()) == [rows]


def test_long_texts_are_not_kept(monkeypatch):
    kept: dict = {}
    monkeypatch.setattr(panel_fields.CHOICES_MEMO, "get", lambda key, compute: kept)
    long = "x" * (panel_fields.PANEL_TEXT_CHARS + 1)
    form = AnalysisForm(initial={"version": 1, "symptoms": long}, prefix="analysis")
    assert long in panel_fields.panel_field_rows(form)
    assert kept == {}
