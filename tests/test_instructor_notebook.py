"""Does the instructor notebook run top to bottom and earn every point in its own checks?"""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import ASSIGNMENT, cell_outputs_text, copy_course


@pytest.fixture(scope="module")
def executed_source(tmp_path_factory):
    course = copy_course(tmp_path_factory.mktemp("instructor"))
    path = course.source_notebook(ASSIGNMENT)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return notebook


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


def test_the_instructor_notebook_draws_the_roc_ssim_and_dice_figures(executed_source):
    images = [c for c in executed_source.cells
              if any("image/png" in o.get("data", {}) for o in c.get("outputs", []))]
    sources = "\n".join(c.source for c in images)
    assert "roc.plot()" in sources and "AUROC = " in sources
    assert "SSIM" in sources and "overlap" in sources
    assert len(images) >= 4


def test_the_notebook_says_which_pet_picture_it_shows(executed_source):
    text = "\n".join(cell_outputs_text(c) for c in executed_source.cells)
    assert "pet image:" in text
