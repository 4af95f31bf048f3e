"""The house's shape that import-linter's contracts do not spell: no module imports another that
imports it back, directly or through others (a cycle makes the import order matter and hides
which of the two is the lower layer); no production file over 500 lines and no function over
60, so that each can be read whole."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

from tests.conftest import ROOT

PACKAGES = ("commands", "moderation", "workers", "classifiers")
MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 60
# Readers of the labelled datasets, one mapping per source, and the migrations (each one a
# record of a change that is never edited) are long by nature.
LONG_BY_NATURE = ("classifiers/datasets.py", "moderation/storage/migrations/")


def _production_files() -> list[Path]:
    return [
        path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if not str(path.relative_to(ROOT)).startswith(LONG_BY_NATURE)
    ]


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The groups of two or more modules that reach each other by imports (Tarjan's strongly
    connected components), each sorted; none in a house without cycles."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in order:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], order[imported])
        if low[module] == order[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in order:
            visit(module)
    return cycles


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = grimp.build_graph(*PACKAGES)
    assert import_cycles(graph) == []


def test_a_cycle_is_found_when_two_modules_import_each_other() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in [("a.one", "a.two"), ("a.two", "a.three"), ("a.three", "a.one")]:
        graph.add_import(importer=importer, imported=imported)
    graph.add_import(importer="a.one", imported="a.four")
    assert import_cycles(graph) == [["a.one", "a.three", "a.two"]]


def test_no_production_file_is_over_500_lines() -> None:
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in _production_files()
        if (lines := len(path.read_text().splitlines())) > MAX_FILE_LINES
    }
    assert too_long == {}


def test_no_production_function_is_over_60_lines() -> None:
    too_long = {}
    for path in _production_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    too_long[f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"] = lines
    assert too_long == {}
