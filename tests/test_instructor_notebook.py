"""Does the instructor notebook run top to bottom and earn every point in its own checks?"""

from __future__ import annotations

import re

import nbformat
import pytest
from nbclient import NotebookClient

from mllab.course.assignments import assignment_names
from tests.conftest import ASSIGNMENT, REPO, cell_by_grade_id, cell_outputs_text, copy_course


def _execute_source(tmp_path_factory, assignment: str):
    course = copy_course(tmp_path_factory.mktemp("instructor"))
    path = course.source_notebook(assignment)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return notebook


@pytest.fixture(scope="module")
def run_source(tmp_path_factory):
    """``run(assignment)``: that assignment's instructor notebook run in the course, once per module."""
    executed = {}

    def run(assignment: str):
        if assignment not in executed:
            executed[assignment] = _execute_source(tmp_path_factory, assignment)
        return executed[assignment]
    return run


@pytest.fixture(params=assignment_names(REPO))
def executed_source(request, run_source):
    return run_source(request.param)


@pytest.fixture
def core_lab(run_source):
    return run_source(ASSIGNMENT)


@pytest.fixture
def custom_losses(run_source):
    return run_source("custom_losses")


def _grade_cells(notebook):
    return [c for c in notebook.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]


def test_instructor_notebook_runs_without_errors_or_stderr(executed_source):
    for cell in executed_source.cells:
        for output in cell.get("outputs", []):
            assert output.output_type != "error", f"{output.get('ename')}: {output.get('evalue')}"
            assert not (output.output_type == "stream" and output.name == "stderr"), output.text


def test_every_test_cell_reports_its_full_points_as_a_plain_float(executed_source):
    for cell in _grade_cells(executed_source):
        points = cell.metadata["nbgrader"]["points"]
        results = [o for o in cell.outputs if o.output_type == "execute_result"]
        if points:
            assert len(results) == 1, cell.metadata["nbgrader"]["grade_id"]
            assert results[0].data["text/plain"] == repr(float(points))
        else:
            assert not results


def test_mandatory_tasks_total_100_autograded_points(executed_source):
    assert sum(c.metadata["nbgrader"]["points"] for c in _grade_cells(executed_source)) == 100


def test_the_instructor_notebook_draws_the_roc_ssim_and_dice_figures(core_lab):
    images = [c for c in core_lab.cells
              if any("image/png" in o.get("data", {}) for o in c.get("outputs", []))]
    sources = "\n".join(c.source for c in images)
    assert "roc.plot()" in sources and "AUROC = " in sources
    assert "SSIM" in sources and "overlap" in sources
    assert len(images) >= 4


def test_the_notebook_says_which_pet_picture_it_shows(core_lab):
    text = "\n".join(cell_outputs_text(c) for c in core_lab.cells)
    assert "pet image:" in text


def test_the_instructor_notebook_passes_its_whole_self_check(executed_source):
    summary = cell_outputs_text(cell_by_grade_id(executed_source, "self_check"))
    assert "✗" not in summary
    assert re.search(r"^(\d+) of \1 tasks pass their visible checks", summary, re.M), summary


SOURCE_NUMBERS = {  # the figures the sources print for their example inputs, by the test cell checking them
    "test_batch_dice_own": ("0.0625", "0.0526"),
    "test_cce_own": ("1.7661",),
    "test_sparse_cce_own": ("0.6109", "1.2276"),
    "test_kl": ("0.1168",),
}


def test_the_students_functions_reproduce_the_sources_numbers_in_visible_checks(custom_losses):
    for grade_id, numbers in SOURCE_NUMBERS.items():
        cell = cell_by_grade_id(custom_losses, grade_id)
        visible = cell.source.split("### END HIDDEN TESTS", 1)[1].split("### BEGIN HIDDEN TESTS", 1)[0]
        shown = cell_outputs_text(cell)
        for number in numbers:
            assert number in visible, f"{grade_id} does not check {number}"
            assert re.search(rf"^✓ .*{re.escape(number)}", shown, re.M), f"{grade_id} shows no passing check of {number}"
    printed = "\n".join(cell_outputs_text(c) for c in custom_losses.cells)
    for figure in ("Dice loss 2-D: 0.0625, 3-D: 0.0526", "categorical cross entropy: 1.7661",
                   "sparse categorical cross entropy: 0.6109", "KL(p || q) = 0.1168", "BCEWithLogitsLoss(weight=3): 1.5938"):
        assert figure in printed


def test_the_custom_losses_notebook_shows_the_negative_nll_and_the_tables(custom_losses):
    printed = "\n".join(cell_outputs_text(c) for c in custom_losses.cells)
    assert "nn.NLLLoss()(probabilities, target) = -0.6589" in printed
    assert "multiclass: (507, 9)" in printed and "100 of 1000 are slopeD" in printed
    assert "accuracy                          0.807       507" in printed  # scikit-learn's report
    assert any("image/png" in o.get("data", {}) for c in custom_losses.cells for o in c.get("outputs", []))
