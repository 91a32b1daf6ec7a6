"""Is the committed student release what nbgrader makes from the source, with nothing leaked?"""

from __future__ import annotations

import ast
import builtins
import json
import re

import nbformat
import pytest

from mllab.classes.demo import solution_text
from mllab.course.assignments import assignment_names
from tests.conftest import REPO

every_assignment = pytest.mark.parametrize("assignment", assignment_names(REPO))


def _cells(notebook_path):
    return json.loads(notebook_path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("class_run", assignment_names(REPO), indirect=True)
def test_committed_release_equals_a_fresh_generate_assignment(repo, class_run):
    assignment = class_run.assignment
    fresh = _cells(class_run.course.release_notebook(assignment))
    committed = _cells(repo.release_notebook(assignment))
    assert committed == fresh, f"release/ is stale: run `mllab release {assignment}` and commit it"


@every_assignment
def test_release_has_no_solution_code_and_no_hidden_test(repo, assignment):
    text = repo.release_notebook(assignment).read_text(encoding="utf-8")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "mllab.checks", "hidden."):
        assert marker not in text, f"the release contains {marker!r}"


@every_assignment
def test_no_line_of_any_solution_appears_in_the_release(repo, assignment):
    source = nbformat.read(repo.source_notebook(assignment), as_version=4)
    release_lines = {line.strip() for cell in nbformat.read(repo.release_notebook(assignment), as_version=4).cells
                     for line in cell.source.splitlines()}
    for cell in source.cells:
        if not cell.metadata.get("nbgrader", {}).get("solution"):
            continue
        inside = re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S)
        for line in "".join(inside).splitlines():
            if len(line.strip()) > 12 and not line.strip().startswith(("import ", "from ")):
                assert line.strip() not in release_lines, f"solution line leaked: {line.strip()}"


def test_source_notebooks_are_committed_without_outputs(repo):
    for path in repo.source.glob("*/*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name} has outputs"


@every_assignment
def test_every_graded_cell_has_a_unique_grade_id(repo, assignment):
    ids = [cell.metadata["nbgrader"]["grade_id"]
           for cell in nbformat.read(repo.source_notebook(assignment), as_version=4).cells
           if "nbgrader" in cell.metadata]
    assert len(ids) == len(set(ids))


def test_solution_text_drops_only_the_marker_lines():
    cell = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n"
    assert solution_text(cell) == "def f(x):\n    return x\n"


def _loaded_names(source: str) -> set[str]:
    tree = ast.parse(source)
    loaded = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    stored = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    imported = {a.asname or a.name.split(".")[0] for n in ast.walk(tree)
                if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    arguments = {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)}  # of the check's own lambdas
    return loaded - stored - imported - arguments - set(dir(builtins))


@every_assignment
def test_test_cells_use_only_the_setup_imports_and_the_students_functions(repo, assignment):
    """A test cell must not depend on example variables a student may have overwritten."""
    notebook = nbformat.read(repo.source_notebook(assignment), as_version=4)
    setup_imports = {"np", "torch", "torchmetrics", "plt", "json", "warnings", "Path", "visible_check",
                     "pd", "TABLES", "io", "DATA"}
    functions = {name for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("solution")
                 and cell.cell_type == "code" for name in re.findall(r"^(?:def|class) (\w+)", cell.source, re.M)}
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
            stray = _loaded_names(cell.source) - setup_imports - functions
            assert not stray, f"{cell.metadata['nbgrader']['grade_id']} uses notebook globals {stray}"
