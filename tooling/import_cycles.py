"""An import-linter contract: no import cycles between the modules of the project.

import-linter's own `acyclic_siblings` contract looks for cycles between the children of one
package. Our top-level packages (`core`, `sla`, `incidents`, …) have no common parent, so a cycle
that crosses them — `sla` → `reporting` → `sla`, or `core` → `config` → `core` — is invisible to
it, and it works on packages rather than modules. This contract takes the whole graph of the root
packages and reports every group of modules that import each other in a circle (a strongly
connected component of the import graph), with one concrete cycle per group.

Registered in pyproject.toml under `[tool.importlinter] contract_types`; `lint-imports` puts the
working directory on `sys.path`, so it runs from the repository root (as `make lint` does).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any, cast

from grimp import ImportGraph
from importlinter.application import output
from importlinter.application.contract_utils import (
    AlertLevel,
    remove_ignored_imports_and_report,
)
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck
from importlinter.domain.imports import ImportExpression


class NoImportCyclesContract(Contract):
    """Kept when no module of the root packages imports itself through other modules.

    Options: `ignore_imports` (import expressions taken out of the graph first, as in the built-in
    contracts) and `unmatched_ignore_imports_alerting` (none, warn or error; error by default, so
    an ignored import that no longer exists has to leave the list).
    """

    type_name = "no_import_cycles"

    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)
    unmatched_ignore_imports_alerting = fields.EnumField(AlertLevel, default=AlertLevel.ERROR)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        removal = remove_ignored_imports_and_report(
            graph=graph,
            ignore_imports=cast(Sequence[ImportExpression] | None, self.ignore_imports),
            unmatched_alerting=cast(AlertLevel, self.unmatched_ignore_imports_alerting),
        )
        imports = {
            module: graph.find_modules_directly_imported_by(module) for module in graph.modules
        }
        cycles = [
            _cycle_through(min(component), graph, imports)
            for component in strongly_connected_components(imports)
        ]
        output.verbose_print(verbose, f"Found {len(cycles)} import cycle(s).")
        return ContractCheck(
            kept=not cycles,
            warnings=list(removal.warnings),
            ignored_import_count=removal.ignored_import_count,
            metadata={"cycles": sorted(cycles)},
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        for cycle in check.metadata["cycles"]:
            output.print_error(f"{cycle[0][0]} imports itself through {len(cycle) - 1} module(s):")
            output.new_line()
            for importer, imported, line_numbers in cycle:
                output.indent_cursor()
                output.print_error(f"{importer} -> {imported} ({line_numbers})", bold=False)
            output.new_line()


def strongly_connected_components(imports: dict[str, set[str]]) -> list[set[str]]:
    """Groups of two or more modules that all reach each other (Tarjan's algorithm, iterative:
    an import chain can be deeper than Python's recursion limit)."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []

    for root in sorted(imports):
        if root in index:
            continue
        work: list[tuple[str, Iterable[str]]] = [(root, iter(sorted(imports[root])))]
        index[root] = lowlink[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = lowlink[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(imports.get(successor, ())))))
                    break
                if successor in on_stack:
                    lowlink[module] = min(lowlink[module], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    lowlink[parent] = min(lowlink[parent], lowlink[module])
                if lowlink[module] == index[module]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == module:
                            break
                    if len(component) > 1:
                        components.append(component)
    return components


def _cycle_through(
    module: str, graph: ImportGraph, imports: dict[str, set[str]]
) -> list[tuple[str, str, str]]:
    """The shortest cycle from `module` back to itself, as (importer, imported, lines) steps."""
    chains = [
        chain
        for imported in sorted(imports[module])
        if (chain := graph.find_shortest_chain(importer=imported, imported=module)) is not None
    ]
    path = [module, *min(chains, key=lambda chain: (len(chain), chain))]
    return [
        (importer, imported, _line_numbers(graph, importer, imported))
        for importer, imported in pairwise(path)
    ]


def _line_numbers(graph: ImportGraph, importer: str, imported: str) -> str:
    details: list[dict[str, Any]] = cast(
        list[dict[str, Any]], graph.get_import_details(importer=importer, imported=imported)
    )
    return ", ".join(f"l.{detail['line_number']}" for detail in details) or "l.?"
