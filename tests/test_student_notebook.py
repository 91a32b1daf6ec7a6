"""Does the release work where students open it: alone in an empty folder (as in Colab), inside the
course, without torchmetrics; and do the self-check and `nbgrader validate` tell a student the truth?"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mllab.course.assignments import assignment as declaration
from tests.conftest import ASSIGNMENT, REPO, cell_by_grade_id, cell_outputs_text, copy_course
from tests.student_notebooks import (DataServer, copy_data, execute, fresh_venv, installed_version, solved_release)

SOLUTION_CELLS = {"mse_mae_own": "mae_loss", "cosine_own": "cosine_similarity"}


def _problems(nb) -> list[str]:
    """Every error output and every line written to stderr, with the cell's first line."""
    found = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "error" or (output.output_type == "stream" and output.name == "stderr"):
                found.append(f"{cell.source.splitlines()[0]!r}: {output.get('ename', '')} "
                             f"{output.get('evalue', output.get('text', ''))}")
    return found


def _setup_only(nb=None):
    """A notebook of just the release's setup cell."""
    setup = cell_by_grade_id(nb or solved_release(), "setup")
    return nbformat.v4.new_notebook(cells=[setup], metadata=(nb or solved_release()).metadata)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_solved_release_runs_clean_in_an_empty_folder_with_the_data_downloaded(solved_run):
    assert _problems(solved_run.notebook) == []
    printed = cell_outputs_text(cell_by_grade_id(solved_run.notebook, "setup")).strip().splitlines()
    assert len(printed) == 1 and printed[0].startswith(f"Data from {solved_run.data_url} (downloaded into ./data)")
    assert sorted(solved_run.requests) == sorted(f"/data/{name}" for name in declaration(REPO, ASSIGNMENT).data)
    for name in declaration(REPO, ASSIGNMENT).data:
        assert _sha256(solved_run.folder / "data" / name) == _sha256(REPO / "data" / name), name
    leftovers = sorted(p.relative_to(solved_run.folder).as_posix() for p in solved_run.folder.rglob("*"))
    assert leftovers == sorted(["data", "data/yorkshire", *(f"data/{n}" for n in declaration(REPO, ASSIGNMENT).data)])


def test_the_solved_release_draws_the_roc_dice_and_ssim_figures_and_passes_its_self_check(solved_run):
    drawn = [c.source for c in solved_run.notebook.cells
             if any("image/png" in o.get("data", {}) for o in c.get("outputs", []))]
    assert any("BinaryAUROC" in s and "AUROC = " in s for s in drawn), "the ROC figure with its AUROC"
    assert any("overlap[(gt == 1) & (pred == 1)]" in s for s in drawn), "the Dice overlap in colour"
    assert any('ax.set_title(f"{title}\\nSSIM' in s for s in drawn), "the SSIM values in the titles"
    summary = cell_outputs_text(cell_by_grade_id(solved_run.notebook, "self_check"))
    assert "7 of 7 tasks pass their visible checks" in summary
    assert summary.count("✓ Task") == 7 and "✗" not in summary


def test_a_second_run_or_a_run_inside_the_course_downloads_nothing(solved_run, tmp_path):
    with DataServer(tmp_path) as server:  # serves nothing: any download would fail
        again = execute(_setup_only(), solved_run.folder, env={"MLLAB_DATA_URL": server.url})
        course = copy_course(tmp_path / "course")
        inside = execute(_setup_only(), course.release_notebook(ASSIGNMENT).parent, env={"MLLAB_DATA_URL": server.url})
    assert server.requests == []
    assert _problems(again) == [] and _problems(inside) == []
    assert f"Data from the course folder {solved_run.folder}" in cell_outputs_text(again.cells[0])
    assert f"Data from the course folder {course.root};" in cell_outputs_text(inside.cells[0])


def test_a_wrong_file_or_an_unreachable_server_stops_the_setup_with_advice_and_keeps_nothing(tmp_path):
    served = tmp_path / "served"
    copy_data(served)
    (served / "data" / "yorkshire" / "gt.png").write_bytes(b"not the mask")
    with DataServer(served) as server:
        wrong = execute(_setup_only(), tmp_path / "wrong", env={"MLLAB_DATA_URL": f"{server.url}/data"},
                        allow_errors=True)
    unreachable = execute(_setup_only(), tmp_path / "offline", env={"MLLAB_DATA_URL": "http://127.0.0.1:9/data"},
                          allow_errors=True)
    assert "gt.png is not the file this notebook needs (its SHA-256 differs)" in cell_outputs_text(wrong.cells[0])
    assert not (tmp_path / "wrong" / "data" / "yorkshire" / "gt.png").exists()
    said = cell_outputs_text(unreachable.cells[0])
    assert "cannot download http://127.0.0.1:9/data/" in said and "MLLAB_DATA_URL" in said
    assert not (tmp_path / "offline" / "data" / "cat.png").exists()


def test_without_torchmetrics_the_setup_cell_installs_the_pinned_version_and_all_runs_clean(tmp_path):
    python = fresh_venv(tmp_path / "venv")
    assert installed_version(python, "torchmetrics") is None and installed_version(python, "mllab") is None
    served = tmp_path / "served"
    copy_data(served)
    with DataServer(served) as server:
        nb = execute(solved_release(), tmp_path / "student", python=python,
                     env={"MLLAB_DATA_URL": f"{server.url}/data"})
    assert _problems(nb) == []
    assert installed_version(python, "torchmetrics") == "1.9.0"
    assert "7 of 7 tasks pass" in cell_outputs_text(cell_by_grade_id(nb, "self_check"))


@pytest.fixture(scope="module")
def half_done(solved_run, tmp_path_factory):
    """The solved notebook with task 1's mae_loss left undone and task 3's cosine over the wrong axis,
    run in the folder where the data was downloaded, as Run All runs it: errors are not allowed, so
    only the cells' `raises-exception` tags carry it past the failing cells to the self-check."""
    nb = solved_release()
    mae = cell_by_grade_id(nb, "mse_mae_own")
    mae.source = re.sub(r'(def mae_loss\(input, target\):\n    """.*?"""\n).*?(?=\n\n\ndef )',
                        r"\1    raise NotImplementedError()", mae.source, count=1, flags=re.S)  # the docstring stays
    cosine = cell_by_grade_id(nb, "cosine_own")
    cosine.source = cosine.source.replace("dim=1", "dim=0")
    assert "NotImplementedError" in mae.source and "dim=0" in cosine.source
    folder = tmp_path_factory.mktemp("half") / "work"
    copy_data(folder)
    return folder, execute(nb, folder, allow_errors=False)


def test_the_self_check_marks_exactly_the_tasks_whose_visible_checks_fail(half_done):
    _, nb = half_done
    lines = cell_outputs_text(cell_by_grade_id(nb, "self_check")).splitlines()
    tasks = {re.match(r"([✓✗]) Task (\d)", line).group(2): line[0] for line in lines if re.match(r"[✓✗] Task \d", line)}
    assert tasks == {"1": "✗", "2": "✓", "3": "✗", "4": "✓", "5": "✓", "6": "✓", "7": "✓"}
    assert any("mae_loss" in line and "not implemented yet" in line for line in lines)
    assert any("cosine_similarity" in line and "AssertionError" in line for line in lines)
    assert "5 of 7 tasks pass their visible checks" in lines[-1]


def _validate(notebook: Path) -> str:
    nbgrader = Path(sys.executable).parent / "nbgrader"
    done = subprocess.run([str(nbgrader), "validate", notebook.name], cwd=notebook.parent,
                          capture_output=True, text=True, timeout=600)
    return done.stdout + done.stderr


def test_nbgrader_validate_names_the_failing_cells_of_a_half_done_notebook(half_done):
    """(The success case is the Validate button in tests/test_browser_jupyterlab.py.)"""
    folder, nb = half_done
    half = folder / f"{ASSIGNMENT}.ipynb"
    for cell in nb.cells:  # hand it over as the student saved it: without outputs
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, half)
    report = _validate(half)
    assert "VALIDATION FAILED ON 2 CELL(S)!" in report, report
    assert "NotImplementedError" in report and "expected [1, 1, -1, 0] on the example" in report


LATER_ASSIGNMENTS = {"custom_losses": 8, "beyond_basics": 9}  # the assignments after the core lab: their tasks


@pytest.mark.parametrize("assignment", LATER_ASSIGNMENTS)
def test_a_later_solved_release_runs_clean_in_an_empty_folder_with_its_data_downloaded(tmp_path, assignment):
    served = tmp_path / "served"
    copy_data(served)
    with DataServer(served) as server:
        nb = execute(solved_release(assignment=assignment), tmp_path / "empty",
                     env={"MLLAB_DATA_URL": f"{server.url}/data"})
    assert _problems(nb) == []
    assert sorted(server.requests) == sorted(f"/data/{name}" for name in declaration(REPO, assignment).data)
    tasks = LATER_ASSIGNMENTS[assignment]
    assert f"{tasks} of {tasks} tasks pass their visible checks" in cell_outputs_text(cell_by_grade_id(nb, "self_check"))


@pytest.mark.parametrize("assignment", LATER_ASSIGNMENTS)
def test_run_all_on_a_later_unfinished_release_reaches_the_self_check(tmp_path, assignment):
    course = copy_course(tmp_path / "course")
    release = nbformat.read(course.release_notebook(assignment), as_version=4)
    nb = execute(release, course.release_notebook(assignment).parent, allow_errors=False)
    lines = cell_outputs_text(cell_by_grade_id(nb, "self_check")).splitlines()
    assert lines[-1].startswith(f"0 of {LATER_ASSIGNMENTS[assignment]} tasks pass their visible checks")
    assert sum("not implemented yet" in line for line in lines) >= LATER_ASSIGNMENTS[assignment]
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "stream" and o.name == "stderr"]
