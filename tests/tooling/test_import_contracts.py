"""The import-linter set-up: every application package is analysed, and the cycle contract finds
cycles (and only cycles)."""

import re
import tomllib
from pathlib import Path

import pytest
from grimp import ImportGraph
from importlinter.domain.helpers import MissingImport

from tooling.import_cycles import NoImportCyclesContract, strongly_connected_components

REPO = Path(__file__).resolve().parents[2]
NOT_APPLICATION = {"tests", "tooling"}


def test_every_top_level_package_is_a_root_package_of_the_contracts() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    packages = {
        path.parent.name
        for path in REPO.glob("*/__init__.py")
        if path.parent.name not in NOT_APPLICATION
    }
    assert packages == set(config["root_packages"]), (
        "add the new package to [tool.importlinter] root_packages and to the contracts it "
        "belongs in (DESIGN.md §3)"
    )


def test_strongly_connected_components_are_the_modules_in_a_circle() -> None:
    imports = {
        "a": {"b"},
        "b": {"c"},
        "c": {"a", "d"},
        "d": {"e"},
        "e": {"d", "f"},
        "f": set(),
        "g": {"a"},
    }
    components = strongly_connected_components(imports)
    assert sorted(sorted(component) for component in components) == [["a", "b", "c"], ["d", "e"]]


def test_a_chain_deeper_than_the_recursion_limit_is_one_cycle() -> None:
    size = 5000
    imports = {f"m{i}": {f"m{(i + 1) % size}"} for i in range(size)}
    assert strongly_connected_components(imports) == [set(imports)]


def test_a_graph_without_cycles_has_no_components() -> None:
    assert strongly_connected_components({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def _graph() -> ImportGraph:
    graph = ImportGraph()
    for importer, imported, line in [
        ("pkg.services", "pkg.escalation", 749),
        ("pkg.escalation", "pkg.models", 3),
        ("pkg.models", "pkg.services", 12),
        ("pkg.views", "pkg.services", 1),
        ("other.a", "pkg.models", 5),
    ]:
        graph.add_import(
            importer=importer, imported=imported, line_number=line, line_contents="import x"
        )
    return graph


def _contract(**options: object) -> NoImportCyclesContract:
    return NoImportCyclesContract(
        name="No import cycles",
        session_options={"root_packages": ["pkg", "other"]},
        contract_options=options,
    )


def test_the_contract_reports_the_cycle_with_its_lines() -> None:
    check = _contract().check(_graph(), verbose=False)

    assert not check.kept
    assert check.metadata["cycles"] == [
        [
            ("pkg.escalation", "pkg.models", "l.3"),
            ("pkg.models", "pkg.services", "l.12"),
            ("pkg.services", "pkg.escalation", "l.749"),
        ]
    ]


def test_an_ignored_import_breaks_the_cycle() -> None:
    check = _contract(ignore_imports=["pkg.services -> pkg.escalation"]).check(
        _graph(), verbose=False
    )

    assert check.kept
    assert check.ignored_import_count == 1


def test_an_ignored_import_that_no_longer_exists_fails() -> None:
    with pytest.raises(MissingImport, match=re.escape("pkg.views -> pkg.escalation")):
        _contract(ignore_imports=["pkg.views -> pkg.escalation"]).check(_graph(), verbose=False)
