"""The demo's data files: what they hold, and a clear refusal when one is edited badly."""

from pathlib import Path

import pytest

from demo import data
from demo.data import DemoDataError, load
from demo.incidents.failures import TEMPLATES
from demo.incidents.failures.template import IncidentTemplate
from demo.organisation import SERVICES


def test_every_failure_names_a_service_and_one_of_its_cis() -> None:
    cis = {spec.name: {name for name, _ in spec.cis} for spec in SERVICES}
    assert TEMPLATES
    for template in TEMPLATES:
        assert template.ci in cis[template.service], template.title


def test_every_service_has_failures() -> None:
    assert {spec.name for spec in SERVICES} == {template.service for template in TEMPLATES}


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(data, "HERE", tmp_path)
    return tmp_path


GOOD = """
[[failure]]
service = "Email"
title = "Mail is down"
description = "No mail."
category = "software"
impact = "high"
urgency = "high"
ci = "mail-01"
containment = "Webmail."
diagnosis = "Disk full."
resolution = "Freed space."
resolution_code = "fixed"
"""


def test_a_good_entry_loads(data_dir: Path) -> None:
    (data_dir / "f.toml").write_text(GOOD, encoding="utf-8")
    (template,) = load("f.toml", "failure", IncidentTemplate.from_entry)
    assert template.impact == "high"
    assert template.can_be_major is False


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (('impact = "high"', 'impact = "huge"'), "'huge' is not a valid Impact"),
        (('ci = "mail-01"', 'ci = "mail-01"\ncolour = "red"'), "colour"),
        (('title = "Mail is down"\n', ""), "title"),
        (('urgency = "high"', "urgency = "), "f.toml"),
    ],
)
def test_a_bad_entry_names_the_file_the_entry_and_the_fault(
    data_dir: Path, edit: tuple[str, str], said: str
) -> None:
    (data_dir / "f.toml").write_text(GOOD.replace(*edit), encoding="utf-8")
    with pytest.raises(DemoDataError) as caught:
        load("f.toml", "failure", IncidentTemplate.from_entry)
    assert said in str(caught.value)
    assert "f.toml" in str(caught.value)
