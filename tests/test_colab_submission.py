"""Does a notebook saved by Google Colab grade exactly like the same work handed in from JupyterLab?

The Colab student (``COLAB_STUDENT``) of each assignment is its solved release as it ran (for
loss_and_metric in an empty folder, the ``solved_run`` fixture: data downloaded by the setup cell;
for the others next to a copy of data/), then saved the way Colab saves it:
every cell's metadata replaced by Colab's (the nbgrader metadata is gone), no cell ids,
nbformat 4.0, Colab's notebook metadata, and all its outputs. `mllab demo` grades it together
with the demo class.
"""

from __future__ import annotations

import json

import nbformat
import pytest

from mllab.autograde.state import load_outcomes
from mllab.course.assignments import assignment_names
from tests.conftest import COLAB_STUDENT, REPO, TITLES, page_text

every_class = pytest.mark.parametrize("class_run", assignment_names(REPO), indirect=True)


def _submitted(class_run):
    name = class_run.assignment
    return class_run.course.submission_dir(COLAB_STUDENT, name) / f"{name}.ipynb"


@every_class
def test_the_colab_fixture_really_lost_what_colab_drops_and_kept_its_outputs(class_run):
    raw = json.loads(_submitted(class_run).read_text(encoding="utf-8"))
    assert raw["nbformat_minor"] == 0 and "colab" in raw["metadata"]
    assert all("nbgrader" not in cell["metadata"] and "id" not in cell for cell in raw["cells"])
    assert sum(bool(cell.get("outputs")) for cell in raw["cells"]) > 15


@every_class
def test_a_colab_submission_earns_exactly_the_instructor_solutions_score_cell_by_cell(class_run):
    colab, perfect = class_run.scores[COLAB_STUDENT], class_run.scores["perfect"]
    assert colab.auto_score == perfect.auto_score == 100
    assert colab.cell_scores == perfect.cell_scores
    assert colab.manual_pending == perfect.manual_pending > 0, "the written answers wait for a tutor"


@every_class
def test_the_grader_matched_the_cells_back_and_says_so_without_touching_the_original(class_run):
    name = class_run.assignment
    outcome = load_outcomes(class_run.course, name)[COLAB_STUDENT]
    assert outcome.status == "repaired" and "restored nbgrader metadata" in outcome.detail
    graded = class_run.autograded(COLAB_STUDENT)
    ids = [c.metadata["nbgrader"]["grade_id"] for c in graded.cells if "nbgrader" in c.metadata]
    released = nbformat.read(class_run.course.release_notebook(name), as_version=4)
    assert ids == [c.metadata["nbgrader"]["grade_id"] for c in released.cells if "nbgrader" in c.metadata]
    assert all("nbgrader" not in c["metadata"] for c in json.loads(_submitted(class_run).read_text())["cells"])
    summaries = {}
    for student in (COLAB_STUDENT, "perfect"):
        text = page_text(class_run.feedback_page(student))
        summaries[student] = text[text.index("Summary:"):text.index(TITLES[name])]
    assert summaries[COLAB_STUDENT] == summaries["perfect"], "the feedback page tells the Colab student the same"
    possible = 100 + 2 * class_run.scores["perfect"].manual_pending
    assert f"100 of {possible} points" in summaries[COLAB_STUDENT]
