"""Do the imports between mllab's modules flow one way: no cycle, and no import of a higher layer?

The graph is read from the source with ``ast``, so it holds every import, at the top of a
module or inside a function, whether or not that code ever runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mllab"

# The package's layers, lowest first. A module may import from its own unit and from any unit of
# a lower layer. The units of one layer (autograde and classes) may not import each other. The
# root package `mllab` is the bottom: it imports nothing, and the sandbox imports it for its folder.
LAYERS = (
    ("mllab",),
    ("mllab.errors",),
    ("mllab.grading",),
    ("mllab.checks",),
    ("mllab.data",),
    ("mllab.course",),
    ("mllab.autograde", "mllab.classes"),
    ("mllab.report",),
    ("mllab.similarity",),
    ("mllab.demo", "mllab.round_trip", "mllab.checktests"),
    ("mllab.serve",),
    ("mllab.cli",),
    ("mllab.__main__",),
)
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _from_base(importer: str, node: ast.ImportFrom, is_package: bool) -> str:
    """The absolute name of the module a ``from … import`` reads from (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    parts = importer.split(".") if is_package else importer.split(".")[:-1]
    parts = parts[:len(parts) - node.level + 1]
    return ".".join([*parts, *([node.module] if node.module else [])])


def imported(importer: str, tree: ast.AST, known: set[str], *, is_package: bool = False) -> set[str]:
    """The mllab modules (or packages) ``tree`` imports; ``known`` tells a submodule from a name."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = _from_base(importer, node, is_package)
            found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names}
    return {name for name in found if name == "mllab" or name.startswith("mllab.")}


def import_graph() -> dict[str, set[str]]:
    """Every module of the package and the mllab modules it imports."""
    paths = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
    return {name: imported(name, ast.parse(path.read_text(encoding="utf-8")), set(paths),
                           is_package=path.name == "__init__.py")
            for name, path in paths.items()}


def unit(module: str) -> str | None:
    """The unit of LAYERS that holds ``module``; None for a module no layer names."""
    units = [u for u in RANK if module == u or (u != "mllab" and module.startswith(u + "."))]
    return max(units, key=len, default=None)


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every import of another unit that is not in a lower layer."""
    wrong = []
    for importer, targets in sorted(graph.items()):
        for target in sorted(targets):
            mine, theirs = unit(importer), unit(target)
            if None not in (mine, theirs) and mine != theirs and RANK[theirs] >= RANK[mine]:
                wrong.append(f"{importer} imports {target}")
    return wrong


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of imports as [a, b, …, a], or [] when there is none."""
    finished: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str]:
        if module in path:
            return [*path[path.index(module):], module]
        if module in finished or module not in graph:
            return []
        for target in sorted(graph[module]):
            if cycle := visit(target, [*path, module]):
                return cycle
        finished.add(module)
        return []

    return next((cycle for module in sorted(graph) if (cycle := visit(module, []))), [])


GRAPH = import_graph()


def test_every_module_belongs_to_a_layer():
    assert [module for module in GRAPH if unit(module) is None] == []


def test_no_import_cycle_between_mllab_modules():
    assert find_cycle(GRAPH) == []


def test_no_module_imports_a_higher_layer():
    assert upward_imports(GRAPH) == []


def test_imports_inside_functions_and_relative_imports_are_in_the_graph():
    tree = ast.parse("def f():\n    from mllab.report import page\n    from . import files\n    import mllab\n")
    known = {"mllab.report.page", "mllab.data.files"}
    assert imported("mllab.data.fetch", tree, known) == {"mllab.report.page", "mllab.data.files", "mllab"}


def test_a_made_up_cycle_and_upward_import_are_caught():
    graph = {"mllab.grading.values": {"mllab.report.page"}, "mllab.report.page": {"mllab.grading.values"}}
    assert find_cycle(graph) == ["mllab.grading.values", "mllab.report.page", "mllab.grading.values"]
    assert upward_imports(graph) == ["mllab.grading.values imports mllab.report.page"]


def test_two_units_of_one_layer_may_not_import_each_other():
    graph = {"mllab.classes.demo": {"mllab.autograde.run"}, "mllab.autograde.run": set()}
    assert upward_imports(graph) == ["mllab.classes.demo imports mllab.autograde.run"]
