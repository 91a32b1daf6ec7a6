"""Does the exchange round trip work for a student in a real browser: the instructor hands the
assignment out (`mllab hand-out`), the student fetches it in JupyterLab's *Assignments* tab (nbgrader's
lab extension), runs *Validate* in the notebook and submits from the tab, and the instructor's
`nbgrader collect` then finds the submission? (Debian's Chromium via Playwright.)"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest
from nbgrader.utils import get_username
from playwright.sync_api import TimeoutError as PlaywrightTimeout, sync_playwright

from mllab.course.exchange import EXCHANGE_VARIABLE
from tests.browser import ARTIFACTS, artifact, assignment_row, assignments_panel, jupyter_lab, launch
from tests.conftest import ASSIGNMENT, copy_course

BIN = Path(sys.executable).parent
COURSE_ID = "loss_and_metric_lab"
SCREENSHOTS = ("assignments-tab-fetched.png", "assignments-tab-validate.png", "assignments-tab-submitted.png")
# A student's JupyterLab as nbgrader's documentation sets it up: the Assignments tab and the Validate
# button, without the instructor's formgrader, Create Assignment and Courses.
STUDENT_LAB_PAGE_CONFIG = {"disabledExtensions": {"@jupyter/nbgrader:formgrader": True,
                                                  "@jupyter/nbgrader:create-assignment": True,
                                                  "@jupyter/nbgrader:course-list": True}}
STUDENT_SERVER_CONFIG = {"ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.formgrader": False}}}


def _instructor(course, exchange: Path, *command: str) -> subprocess.CompletedProcess:
    """An instructor's command (mllab or nbgrader) in the course folder, with the exchange in $MLLAB_EXCHANGE."""
    env = {**os.environ, EXCHANGE_VARIABLE: str(exchange), "PATH": f"{BIN}:{os.environ['PATH']}"}
    done = subprocess.run([str(BIN / command[0]), *command[1:]], cwd=course.root, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _student_home(home: Path, exchange: Path, course) -> Path:
    """A student's own folders: Jupyter's config (nbgrader's exchange and cache, a student's lab)
    and a work folder with the course's data/ in it, where JupyterLab starts; the work folder."""
    config = home / "config"  # JUPYTER_CONFIG_DIR of tests.browser.jupyter_lab
    (config / "labconfig").mkdir(parents=True)
    (config / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        f"c.Exchange.cache = {str(home / 'nbgrader-cache')!r}\n", encoding="utf-8")
    (config / "jupyter_server_config.json").write_text(json.dumps(STUDENT_SERVER_CONFIG), encoding="utf-8")
    (config / "labconfig" / "page_config.json").write_text(json.dumps(STUDENT_LAB_PAGE_CONFIG), encoding="utf-8")
    work = home / "work"
    work.mkdir()
    shutil.copytree(course.root / "data", work / "data")  # the setup cell finds it in a parent folder
    return work


@contextmanager
def _step(tab, server, name: str):
    """A step in the browser; on a timeout keep a screenshot and show the page and the server's log."""
    try:
        yield
    except PlaywrightTimeout as timeout:
        tab.screenshot(path=str(artifact(f"assignments-tab-{name}-timeout.png")))
        pytest.fail(f"{name}: {timeout}\nthe page shows:\n{tab.inner_text('body')[:2000]}\n"
                    f"jupyter's log:\n{server.log.read_text()[-3000:]}")


def _assignments_panel(tab):
    return assignments_panel(tab, COURSE_ID)


def _row(panel, status: str):
    return assignment_row(panel, status, ASSIGNMENT)


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory) -> dict:
    """`mllab hand-out`; a student fetches, validates and submits in JupyterLab; `nbgrader collect`."""
    folder = tmp_path_factory.mktemp("assignments-tab")
    course, exchange = copy_course(folder / "course"), folder / "srv" / "exchange"
    handed_out = _instructor(course, exchange, "mllab", "hand-out", ASSIGNMENT)
    home = folder / "student"
    work = _student_home(home, exchange, course)
    seen: dict = {"handed_out": handed_out.stdout + handed_out.stderr, "work": work, "home": home}
    with jupyter_lab(work, home) as server, sync_playwright() as playwright:
        browser = launch(playwright)
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        tab.goto(server.page("lab"))
        with _step(tab, server, "fetch"):
            panel = _assignments_panel(tab)
            released = _row(panel, "released")
            seen["released"] = released.inner_text()
            released.get_by_role("button", name="Fetch").click()
            fetched = _row(panel, "fetched")
            fetched.get_by_role("button", name="Submit").wait_for(timeout=60_000)
            seen["released_after_fetch"] = _row(panel, "released").count()
            fetched.locator("a.assignment-notebooks-link").click()  # shows the notebooks it holds
            notebook = panel.locator(".assignment-notebooks .nested_list_item").filter(has_text=ASSIGNMENT)
            notebook.get_by_role("button", name="Validate").wait_for(timeout=10_000)
            seen["fetched"] = fetched.inner_text()
            tab.screenshot(path=str(artifact(SCREENSHOTS[0])))
        with _step(tab, server, "validate"):
            tab.goto(server.page(f"lab/tree/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"))
            tab.locator(".jp-NotebookPanel-toolbar").get_by_text("Validate", exact=True).click()
            dialog = tab.locator(".jp-Dialog")
            dialog.locator("#validation-message").wait_for(timeout=300_000)
            seen["validate_title"] = dialog.locator(".jp-Dialog-header").inner_text()
            seen["validate_classes"] = dialog.get_attribute("class")
            seen["validate"] = dialog.locator("#validation-message").inner_text()
            tab.screenshot(path=str(artifact(SCREENSHOTS[1])))
            dialog.get_by_role("button", name="Ok").click()
            dialog.wait_for(state="detached", timeout=10_000)
        with _step(tab, server, "submit"):
            panel = _assignments_panel(tab)
            _row(panel, "fetched").get_by_role("button", name="Submit").click()
            submitted = _row(panel, "submitted")
            submitted.get_by_role("button", name="Fetch Feedback").wait_for(timeout=60_000)
            seen["submitted"] = submitted.inner_text()
            tab.screenshot(path=str(artifact(SCREENSHOTS[2])))
        browser.close()
    seen["collected"] = _instructor(course, exchange, "nbgrader", "collect", ASSIGNMENT)
    seen["course"] = course
    return seen


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_the_assignments_tab_lists_the_handed_out_assignment_and_fetches_it(round_trip):
    assert f"{COURSE_ID}/outbound/{ASSIGNMENT}" in round_trip["handed_out"]
    assert _lines(round_trip["released"]) == [ASSIGNMENT, COURSE_ID, "Fetch"]
    assert round_trip["released_after_fetch"] == 0, "a fetched assignment leaves the list of released ones"
    # the fetched assignment, its Submit button, and (expanded) its notebook with a Validate button
    assert _lines(round_trip["fetched"]) == [ASSIGNMENT, COURSE_ID, "Submit", ASSIGNMENT, "Validate"]
    fetched = nbformat.read(round_trip["work"] / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    assert any("raise NotImplementedError()" in cell.source for cell in fetched.cells), "the student version"


def test_validate_on_the_unfinished_release_shows_nbgraders_failed_cells(round_trip):
    assert round_trip["validate_title"] == "Validation Results"
    assert "nbgrader-ErrorDialog" in round_trip["validate_classes"]
    message = round_trip["validate"]
    assert message.startswith("The following cell failed:")
    assert message.count("The following cell failed:") >= 7, "at least each task's first visible check"
    assert "NotImplementedError" in message
    assert "cannot download" not in message, "the setup cell found the data/ folder next to the assignment"
    assert "Success!" not in message


def test_the_submission_appears_in_the_tab_and_in_the_students_cache(round_trip):
    cache = round_trip["home"] / "nbgrader-cache" / COURSE_ID
    submissions = [p.name for p in cache.iterdir()]
    assert len(submissions) == 1 and submissions[0].startswith(f"{get_username()}+{ASSIGNMENT}+")
    timestamp = submissions[0].split("+")[2]
    assert timestamp in round_trip["submitted"]


def test_nbgrader_collect_finds_the_submission_under_the_students_user_name(round_trip):
    course, student = round_trip["course"], get_username()
    collected = course.submission_dir(student, ASSIGNMENT)
    assert (collected / f"{ASSIGNMENT}.ipynb").is_file()
    cache = next((round_trip["home"] / "nbgrader-cache" / COURSE_ID).iterdir())
    assert (collected / "timestamp.txt").read_text().strip() == cache.name.split("+")[2]
    assert nbformat.read(collected / f"{ASSIGNMENT}.ipynb", as_version=4) == \
        nbformat.read(round_trip["work"] / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    assert "data" not in {p.name for p in collected.iterdir()}, "only the assignment folder is submitted"


def test_the_screenshots_are_kept(round_trip):
    for name in SCREENSHOTS:
        assert (ARTIFACTS / name).stat().st_size > 10_000, f"the screenshot {name} is kept"
