"""How many hidden checks does each test cell run? (printed in the grading report)"""

from __future__ import annotations

import re
from collections import Counter

import importlib

import nbformat
import numpy as np
import pytest
import torch
import torchmetrics

from mllab.checks import common
from mllab.classes.demo import solution_text
from mllab.course.assignments import assignment_names
from tests.conftest import REPO

MINIMUM_CHECKS = 5  # several shapes and dtypes plus edge cases, per graded cell


def _instructor_functions(repo, assignment):
    namespace = {"np": np, "torch": torch, "torchmetrics": torchmetrics}
    notebook = nbformat.read(repo.source_notebook(assignment), as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            exec(solution_text(cell.source), namespace)
    return notebook, namespace


def _hidden_call(cell) -> str:
    hidden = re.search(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.S).group(1)
    return hidden.strip().splitlines()[-1].removeprefix("_points = ")


@pytest.mark.parametrize("assignment", assignment_names(REPO))
def test_every_graded_cell_runs_several_hidden_checks(repo, assignment, monkeypatch, report_lines):
    notebook, namespace = _instructor_functions(repo, assignment)
    namespace["hidden"] = importlib.import_module(f"mllab.checks.{assignment}")
    counts: Counter[str] = Counter()
    current = {"cell": ""}
    original = common.call_student

    def counting(*args, **kwargs):
        counts[current["cell"]] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(common, "call_student", counting)
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade"):
            current["cell"] = meta["grade_id"]
            eval(_hidden_call(cell), namespace)
    report_lines([f"{assignment + ': graded cell':<40} {'hidden checks':>13}",
                  *(f"{name:<40} {number:>13}" for name, number in counts.items())])
    assert all(number >= MINIMUM_CHECKS for number in counts.values()), counts
