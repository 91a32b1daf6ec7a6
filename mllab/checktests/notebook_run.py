"""The source notebook run in this process with the instructor's solutions: the calls the hidden
checks make (for the contracts) and the visible checks on a solution with one mistake planted.

Every code cell runs in order except the test cells and the final self-check, solution cells
without their BEGIN/END SOLUTION markers, IPython's ``%``/``!`` lines left out, in the course
folder (where the setup cell finds data/), with matplotlib drawing nowhere and the printed text
kept out of the terminal. The instructor's solutions are trusted code: nothing here is sandboxed.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import warnings
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from mllab.classes.corpus import Mutation
from mllab.classes.demo import solution_text

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS\n?", re.S)
_MAGIC = re.compile(r"^[ \t]*[%!].*$", re.M)


@dataclass
class SolvedNotebook:
    """The source notebook and the names its cells defined with the instructor's solutions."""

    notebook: nbformat.NotebookNode
    namespace: dict
    folder: Path  # where it ran (the course root)
    printed: list[str] = field(default_factory=list)

    def cell(self, grade_id: str):
        return next(c for c in self.notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)

    def solution(self, grade_id: str) -> str:
        return solution_text(self.cell(grade_id).source).strip("\n")

    def test_cells(self) -> dict[str, object]:
        """The graded code cells (grade id -> cell), in order."""
        return {c.metadata["nbgrader"]["grade_id"]: c for c in self.notebook.cells
                if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}


@contextlib.contextmanager
def _quietly(folder: Path, printed: list[str]):
    """In ``folder``, with warnings, figures and printed text kept in."""
    import matplotlib

    matplotlib.use("Agg")
    out = io.StringIO()
    with contextlib.chdir(folder), warnings.catch_warnings(), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(out):
        warnings.simplefilter("ignore")
        try:
            yield
        finally:
            import matplotlib.pyplot as plt
            plt.close("all")
            printed.append(out.getvalue())


def _runs(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and not meta.get("grade") and meta.get("grade_id") != "self_check"


def solve(notebook_path: Path, folder: Path) -> SolvedNotebook:
    """Run the notebook's cells with the instructor's solutions (not its test cells) in ``folder``."""
    notebook = nbformat.read(notebook_path, as_version=4)
    solved = SolvedNotebook(notebook, {"__name__": "__main__"}, folder)
    with _quietly(folder, solved.printed):
        for cell in filter(_runs, notebook.cells):
            meta = cell.metadata.get("nbgrader", {})
            source = solution_text(cell.source) if meta.get("solution") else cell.source
            exec(compile(_MAGIC.sub("", source), f"<cell {meta.get('grade_id', '')}>", "exec"), solved.namespace)
    return solved


# ---------------------------------------------------------------------- the hidden checks' calls

def hidden_source(cell) -> str:
    """The hidden tests of a test cell (empty when it has none)."""
    return "".join(HIDDEN.findall(cell.source))


def graded_names(cell) -> set[str]:
    """The names a test cell's hidden tests pass to a check (the graded functions and classes)."""
    names = set()
    for node in ast.walk(ast.parse(hidden_source(cell) or "pass")):
        if isinstance(node, ast.Call):
            names |= {a.id for a in node.args if isinstance(a, ast.Name)}
    return names


def _defined(source: str) -> set[str]:
    """The functions and classes a cell's code defines at its top level."""
    try:
        tree = ast.parse(_MAGIC.sub("", source))
    except SyntaxError:
        return set()
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def solution_cells(solved: SolvedNotebook) -> dict[str, list[str]]:
    """Each test cell -> the solution cells defining what its hidden tests grade."""
    defines = {c.metadata["nbgrader"]["grade_id"]: _defined(solution_text(c.source)) for c in solved.notebook.cells
               if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")}
    return {grade_id: [solution for solution, names in defines.items() if names & graded_names(cell)]
            for grade_id, cell in solved.test_cells().items()}


def _name(function) -> str:
    return getattr(function, "__name__", type(function).__name__)


def observed_calls(solved: SolvedNotebook) -> tuple[dict[str, list], set[str], dict[str, str]]:
    """Run every hidden test on the instructor's solutions: ({function name: [(function, args, kwargs)]},
    the graded names, {test cell: what went wrong} for hidden tests that raised)."""
    from mllab.grading import scoring

    calls: dict[str, list] = defaultdict(list)
    graded: set[str] = set()
    raised: dict[str, str] = {}
    observe = lambda function, args, kwargs: calls[_name(function)].append((function, args, kwargs))
    scoring.OBSERVERS.append(observe)
    try:
        with _quietly(solved.folder, solved.printed):
            for grade_id, cell in solved.test_cells().items():
                graded |= graded_names(cell)
                try:
                    exec(compile(hidden_source(cell), f"<hidden {grade_id}>", "exec"), dict(solved.namespace))
                except Exception as error:  # noqa: BLE001 - reported as the cell's problem
                    raised[grade_id] = f"{type(error).__name__}: {error}"
    finally:
        scoring.OBSERVERS.remove(observe)
    return calls, graded, raised


# ---------------------------------------------------------------------- the visible checks

def has_visible_check(cell) -> bool:
    return "@visible_check(" in HIDDEN.sub("", cell.source)


def visible_failure(solved: SolvedNotebook, grade_id: str, namespace: dict | None = None) -> str | None:
    """Run the visible checks of test cell ``grade_id`` as the release shows them: None if they pass,
    else what they said (a mandatory check raises; an optional one prints ✗)."""
    names = dict(solved.namespace if namespace is None else namespace)
    visible = HIDDEN.sub("", solved.cell(grade_id).source)
    printed: list[str] = []
    try:
        with _quietly(solved.folder, printed):
            exec(compile(_MAGIC.sub("", visible), f"<visible {grade_id}>", "exec"), names)
    except Exception as error:  # noqa: BLE001 - a failing visible check, whatever it raised
        return f"{type(error).__name__}: {error}" if not isinstance(error, AssertionError) else str(error)
    crosses = [line for line in "".join(printed).splitlines() if line.startswith("✗")]
    return "\n".join(crosses) or None


def with_mutation(solved: SolvedNotebook, mutation: Mutation) -> dict:
    """The namespace with ``mutation``'s cell run in its changed form instead of the instructor's."""
    names = dict(solved.namespace)
    changed = mutation.change.apply(solved.solution(mutation.cell))
    with _quietly(solved.folder, []):
        exec(compile(_MAGIC.sub("", changed), f"<{mutation.name}>", "exec"), names)
    return names


def namespace_with(solved: SolvedNotebook, replaced: dict[str, Callable]) -> dict:
    """The namespace with some names replaced (e.g. a function by a wrong one)."""
    return {**solved.namespace, **replaced}
