"""Does a notebook saved by Google Colab grade exactly like the same work handed in from JupyterLab?

The Colab student (``COLAB_STUDENT``) is the solved release as it ran in an empty folder (the
``solved_run`` fixture: data downloaded by the setup cell), then saved the way Colab saves it:
every cell's metadata replaced by Colab's (the nbgrader metadata is gone), no cell ids,
nbformat 4.0, Colab's notebook metadata, and all its outputs. `mllab demo` grades it together
with the demo class.
"""

from __future__ import annotations

import json

import nbformat

from mllab.autograde.state import load_outcomes
from tests.conftest import ASSIGNMENT, COLAB_STUDENT, page_text


def _submitted(demo_run):
    return demo_run.course.submission_dir(COLAB_STUDENT, ASSIGNMENT) / f"{ASSIGNMENT}.ipynb"


def test_the_colab_fixture_really_lost_what_colab_drops_and_kept_its_outputs(demo_run):
    raw = json.loads(_submitted(demo_run).read_text(encoding="utf-8"))
    assert raw["nbformat_minor"] == 0 and "colab" in raw["metadata"]
    assert all("nbgrader" not in cell["metadata"] and "id" not in cell for cell in raw["cells"])
    assert sum(bool(cell.get("outputs")) for cell in raw["cells"]) > 20


def test_a_colab_submission_earns_exactly_the_instructor_solutions_score_cell_by_cell(demo_run):
    colab, perfect = demo_run.scores[COLAB_STUDENT], demo_run.scores["perfect"]
    assert colab.auto_score == perfect.auto_score == 100
    assert colab.cell_scores == perfect.cell_scores
    assert colab.manual_pending == perfect.manual_pending == 5, "the five written answers wait for a tutor"


def test_the_grader_matched_the_cells_back_and_says_so_without_touching_the_original(demo_run):
    outcome = load_outcomes(demo_run.course, ASSIGNMENT)[COLAB_STUDENT]
    assert outcome.status == "repaired" and "restored nbgrader metadata" in outcome.detail
    graded = demo_run.autograded(COLAB_STUDENT)
    ids = [c.metadata["nbgrader"]["grade_id"] for c in graded.cells if "nbgrader" in c.metadata]
    released = nbformat.read(demo_run.course.release_notebook(ASSIGNMENT), as_version=4)
    assert ids == [c.metadata["nbgrader"]["grade_id"] for c in released.cells if "nbgrader" in c.metadata]
    assert all("nbgrader" not in c["metadata"] for c in json.loads(_submitted(demo_run).read_text())["cells"])
    summaries = {}
    for student in (COLAB_STUDENT, "perfect"):
        text = page_text(demo_run.course.feedback_dir(student, ASSIGNMENT) / f"{ASSIGNMENT}.html")
        summaries[student] = text[text.index("Summary:"):text.index("Loss and Metric — Session 2")]
    assert summaries[COLAB_STUDENT] == summaries["perfect"], "the feedback page tells the Colab student the same"
    assert "100 of 110 points" in summaries[COLAB_STUDENT]
