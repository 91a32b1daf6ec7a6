"""Does the course work in a real browser: a student running the release in JupyterLab, and an
instructor looking at the demo class in nbgrader's formgrader? (Debian's Chromium via Playwright.)"""

from __future__ import annotations

import re
import shutil

import nbformat
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout, sync_playwright

from mllab.classes.demo import demo_class
from tests.browser import ARTIFACTS, artifact, jupyter_lab, launch
from tests.conftest import ASSIGNMENT, copy_course
from tests.student_notebooks import solved_release

NOT_RUN = """() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')]
  .map((cell, i) => [i, cell.querySelector('.jp-InputPrompt').textContent])
  .filter(([i, prompt]) => !/\\[\\d+\\]/.test(prompt))"""
ALL_RAN = f"() => {{ const left = ({NOT_RUN})(); return document.querySelectorAll('.jp-Notebook .jp-CodeCell').length > 0 && left.length == 0; }}"
KERNEL_IDLE = "Python 3 (ipykernel) | Idle"  # the status bar, once a kernel is connected and idle
IMAGE_SIZE = "img => [img.complete, img.naturalWidth, img.naturalHeight]"


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> dict:
    """A student's finished notebook (release + the instructor's solutions) in a temporary copy of
    the course, opened in JupyterLab, run with Run → Run All Cells, then checked with the Validate button;
    then the release as handed out, run with Run All too."""
    course = copy_course(tmp_path_factory.mktemp("lab-course"))
    shutil.copy(course.release_notebook(ASSIGNMENT), course.release_notebook(ASSIGNMENT).with_name("unfinished.ipynb"))
    nbformat.write(solved_release(), course.release_notebook(ASSIGNMENT))
    home = tmp_path_factory.mktemp("lab-home")
    with jupyter_lab(course.root, home) as server, sync_playwright() as playwright:
        browser = launch(playwright)
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        _open_and_run_all(tab, server.page(f"lab/tree/release/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"), "solved")
        roc = tab.locator(".jp-CodeCell").filter(has_text="BinaryAUROC")
        ssim = tab.locator(".jp-CodeCell").filter(has_text="SSIM {own:.3f}")
        dice = tab.locator(".jp-CodeCell").filter(has_text="overlap[(gt == 1)")
        seen = {
            "code_cells": tab.locator(".jp-Notebook .jp-CodeCell").count(),
            "stderr_or_errors": tab.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
                                   .all_inner_texts(),
            "roc": [img.evaluate(IMAGE_SIZE) for img in roc.locator(".jp-OutputArea-output img").all()],
            "ssim": [img.evaluate(IMAGE_SIZE) for img in ssim.locator(".jp-OutputArea-output img").all()],
            "dice": [img.evaluate(IMAGE_SIZE) for img in dice.locator(".jp-OutputArea-output img").all()],
            "setup": tab.locator(".jp-CodeCell").filter(has_text="# Setup: run this cell first").locator(
                ".jp-OutputArea-output").all_inner_texts(),
            "self_check": tab.locator(".jp-CodeCell").last.locator(".jp-OutputArea-output").all_inner_texts(),
        }
        roc.screenshot(path=str(artifact("jupyterlab-roc.png")))
        ssim.screenshot(path=str(artifact("jupyterlab-ssim.png")))
        tab.locator(".jp-CodeCell").last.scroll_into_view_if_needed()
        tab.screenshot(path=str(artifact("jupyterlab-run-all.png")))
        tab.locator(".jp-Toolbar").get_by_text("Validate", exact=True).click()
        dialog = tab.locator(".jp-Dialog")
        dialog.get_by_text("Success! Your notebook passes all the tests.").wait_for(timeout=300_000)
        seen["validate"] = dialog.inner_text()
        tab.screenshot(path=str(artifact("jupyterlab-validate.png")))
        seen["unfinished"] = _run_all_unfinished(browser.new_page(viewport={"width": 1400, "height": 1000}), server)
        browser.close()
    return seen


def _open_and_run_all(tab, url: str, name: str) -> None:
    """Open a notebook, wait until its kernel is idle, Run → Run All Cells, wait until every code cell
    ran. On a timeout keep a screenshot and say which cells did not run."""
    tab.goto(url)
    try:
        tab.get_by_text(KERNEL_IDLE).wait_for(timeout=120_000)
        tab.locator("#jp-MainMenu").get_by_text("Run", exact=True).click()
        tab.locator(".lm-Menu-content").get_by_text("Run All Cells", exact=True).click()
        tab.wait_for_function(ALL_RAN, timeout=300_000)
    except PlaywrightTimeout:
        tab.screenshot(path=str(artifact(f"jupyterlab-{name}-timeout.png")))
        pytest.fail(f"Run All on the {name} notebook did not finish; cells not run (index, prompt): "
                    f"{tab.evaluate(NOT_RUN)[:20]}; the status bar says {tab.locator('.jp-StatusBar-Widget').all_inner_texts()}")


def _run_all_unfinished(tab, server) -> list[str]:
    """Run All on the release as handed out (every task unfinished), in a workspace of its own;
    the self-check's output."""
    _open_and_run_all(tab, server.page(f"lab/workspaces/unfinished/tree/release/{ASSIGNMENT}/unfinished.ipynb"),
                      "unfinished")
    self_check = tab.locator(".jp-Notebook .jp-CodeCell").last
    self_check.scroll_into_view_if_needed()
    tab.screenshot(path=str(artifact("jupyterlab-unfinished-self-check.png")))
    return self_check.locator(".jp-OutputArea-output").all_inner_texts()


def test_run_all_in_jupyterlab_runs_every_cell_without_an_error_or_stderr(lab):
    assert lab["code_cells"] > 40
    assert lab["stderr_or_errors"] == []
    assert len(lab["setup"]) == 1 and re.match(r"Data from the course folder .*; pet image: standin$", lab["setup"][0])


def test_the_roc_ssim_and_dice_figures_are_rendered_images(lab):
    for figure in ("roc", "ssim", "dice"):
        assert len(lab[figure]) == 1, figure
        complete, width, height = lab[figure][0]
        assert complete and width > 300 and height > 200, (figure, width, height)


def test_the_self_check_and_the_validate_button_report_success(lab):
    assert "7 of 7 tasks pass their visible checks" in lab["self_check"][0]
    assert "Success! Your notebook passes all the tests." in lab["validate"]
    for name in ("jupyterlab-roc.png", "jupyterlab-ssim.png", "jupyterlab-run-all.png", "jupyterlab-validate.png"):
        assert (ARTIFACTS / name).stat().st_size > 10_000, f"the screenshot {name} is kept"


def test_run_all_on_an_unfinished_notebook_goes_on_past_the_failing_cells_to_the_self_check(lab):
    assert len(lab["unfinished"]) == 1, "the self-check ran and printed its summary"
    summary = lab["unfinished"][0]
    assert "✗ Task 1 MSE and MAE: 0/" in summary and "not implemented yet" in summary
    assert summary.rstrip().endswith("0 of 7 tasks pass their visible checks (the grader also runs hidden tests).")


@pytest.fixture(scope="module")
def formgrader(demo_run, tmp_path_factory) -> dict:
    """nbgrader's formgrader, opened by an instructor in JupyterLab in the course `mllab demo` graded."""
    with jupyter_lab(demo_run.course.root, tmp_path_factory.mktemp("formgrader-home")) as server, \
            sync_playwright() as playwright:
        browser = launch(playwright)
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        tab.goto(server.page("formgrader"))
        _wait_for_row(tab, ASSIGNMENT, server)
        assignments = tab.locator("#main-table > tr").all_inner_texts()
        tab.screenshot(path=str(artifact("formgrader-assignments.png")))
        tab.goto(server.page(f"formgrader/manage_submissions/{ASSIGNMENT}"))
        _wait_for_row(tab, "perfect", server)
        submissions = tab.locator("#main-table > tr").all_inner_texts()
        tab.screenshot(path=str(artifact("formgrader-submissions.png")), full_page=True)
        browser.close()
    return {"assignments": assignments, "submissions": submissions}


def _wait_for_row(tab, text: str, server) -> None:
    """Wait for a formgrader table row; on a timeout keep a screenshot and show the server's log."""
    try:
        tab.locator("#main-table > tr").filter(has_text=text).wait_for(timeout=60_000)
    except PlaywrightTimeout:
        tab.screenshot(path=str(artifact("formgrader-timeout.png")), full_page=True)
        pytest.fail(f"no row {text!r} in {tab.url} after 60 s; the page shows:\n{tab.inner_text('body')[:2000]}\n"
                    f"jupyter's log:\n{server.log.read_text()[-3000:]}")


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.split("\t")]


def test_the_formgrader_lists_the_assignment_with_every_submission(formgrader, demo_run):
    rows = [_cells(r) for r in formgrader["assignments"] if r.startswith(ASSIGNMENT)]
    assert len(rows) == 1 and str(len(demo_run.students)) in rows[0]


def test_the_formgrader_lists_each_demo_student_with_the_gradebook_score(formgrader, demo_run):
    listed = {cells[1]: cells for cells in map(_cells, formgrader["submissions"])}
    for student in demo_class(demo_run.course, ASSIGNMENT):
        assert student.student_id in listed, student.student_id
        score = demo_run.scores[student.student_id].auto_score
        assert f"{score:g} / 110" in listed[student.student_id], listed[student.student_id]
