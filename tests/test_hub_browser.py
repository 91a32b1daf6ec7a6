"""Does a student's whole path work in Chromium on the course's hub, through the grading service: log
in, fetch in the *Assignments* tab, work, submit, and then *Fetch Feedback* and read their own feedback
page, with no instructor action in between? A second student, who hands in too, gets only their own.
And the instructor's: does the formgrader work for them on the hub (inside JupyterLab, and on its
own page), and does a manual grade of a written answer land next to the service's autograde?
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import nbformat
import pytest

from mllab.classes.demo import demo_class, submission
from tests.browser import ARTIFACTS, artifact, assignment_row, assignments_panel, launch
from tests.hub import ASSIGNMENT, COURSE_ID, STUDENTS, TEACHER, course_hub  # noqa: F401 (a fixture)
from tests.unix_users import needs_root

pytestmark = needs_root
playwright_api = pytest.importorskip("playwright.sync_api")
SCREENSHOTS = ("hub-1-fetched.png", "hub-2-submitted.png", "hub-3-feedback.png", "hub-4-formgrader-in-lab.png",
               "hub-5-formgrader.png")
WRITTEN = "answer_cosine"  # a written answer of loss_and_metric, graded by hand in the formgrader
# The two students' work: the demo class's perfect student, and one with mistakes.
WORK = {STUDENTS[0]: "perfect", STUDENTS[1]: "mse_sum_naive_softmax"}


def _work(course_hub, student: str) -> None:
    """Fill in the fetched notebook as that student would (the demo student's solutions), as that user."""
    home = Path(course_hub["users"][student].pw_dir)
    fetched = home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    demo = next(s for s in demo_class(course_hub["course"], ASSIGNMENT) if s.student_id == WORK[student])
    done = submission(nbformat.read(course_hub["course"].source_notebook(ASSIGNMENT), as_version=4),
                      nbformat.read(fetched, as_version=4), demo)
    nbformat.write(done, fetched)
    os.chown(fetched, course_hub["users"][student].pw_uid, course_hub["users"][student].pw_gid)


def _listing(course_hub, student: str) -> dict:
    status, body = course_hub["hub"].get(f"/user/{student}/assignments?course_id={COURSE_ID}")
    assert status == 200, body
    return json.loads(body)


def _feedback_ready(course_hub, student: str, timeout: float = 240) -> None:
    """Wait until the grading service has released feedback for the student's latest hand-in."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listed = _listing(course_hub, student)["value"]
        latest = [a["submissions"][-1] for a in listed if a["status"] == "submitted" and a.get("submissions")]
        notebooks = [nb for submission in latest for nb in submission["notebooks"]]
        if notebooks and all(nb["has_exchange_feedback"] for nb in notebooks):
            return
        time.sleep(1)
    pytest.fail(f"no feedback for {student} within {timeout} s; the hub's log:\n"
                f"{course_hub['hub'].log.read_text()[-3000:]}")


def _panel(tab):
    return assignments_panel(tab, COURSE_ID)


def _row(panel, status: str):
    return assignment_row(panel, status, ASSIGNMENT)


def _log_in(tab, hub, user: str) -> None:
    tab.set_default_timeout(120_000)  # JupyterLab's first load, on a machine busy with other tests
    tab.goto(f"{hub.url}/hub/login")
    tab.locator("#username_input").fill(user)
    tab.locator("#password_input").fill(hub.password)
    tab.locator("#login_submit").click()
    tab.wait_for_url(f"**/user/{user}/lab**")


@pytest.fixture(scope="module")
def students_path(course_hub) -> dict:
    """The first student in Chromium; the second through the same extension's API, as their server."""
    hub, seen = course_hub["hub"], {}
    if "mllab-grader" not in hub.api("GET", "services"):
        pytest.skip("`mllab serve` is not in this checkout yet: no grading service on the hub")
    student, other = STUDENTS
    hub.start_servers(student, other)
    with playwright_api.sync_playwright() as playwright:
        browser = launch(playwright)
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        _log_in(tab, hub, student)
        panel = _panel(tab)
        _row(panel, "released").get_by_role("button", name="Fetch").click()
        _row(panel, "fetched").get_by_role("button", name="Submit").wait_for(timeout=60_000)
        tab.screenshot(path=str(artifact(SCREENSHOTS[0])))
        _work(course_hub, student)
        _row(panel, "fetched").get_by_role("button", name="Submit").click()
        submitted = _row(panel, "submitted")
        submitted.get_by_role("button", name="Fetch Feedback").wait_for(timeout=60_000)
        tab.screenshot(path=str(artifact(SCREENSHOTS[1])))
        for action in ("fetch", "submit"):  # the other student, through the same server extension
            if action == "submit":
                _work(course_hub, other)
            status, body = hub.post(f"/user/{other}/assignments/{action}",
                                    {"course_id": COURSE_ID, "assignment_id": ASSIGNMENT})
            assert status == 200 and json.loads(body).get("success", True), body
        _feedback_ready(course_hub, student)
        _row(panel, "submitted").get_by_role("button", name="Fetch Feedback").click()
        link = _row(panel, "submitted").get_by_text("view feedback", exact=False).first
        link.wait_for(timeout=60_000)
        link.click()  # nbgrader's link shows the feedback folder in the file browser; the page opens from there
        tab.locator(".jp-DirListing-item").filter(has_text=f"{ASSIGNMENT}.html").dblclick()
        tab.locator(".lm-TabBar-tab").filter(has_text=f"{ASSIGNMENT}.html").wait_for()
        viewer = tab.frame_locator(".jp-HTMLViewer iframe, .jp-RenderedHTMLCommon iframe").first
        seen["feedback_page"] = viewer.locator("body").inner_text()
        tab.screenshot(path=str(artifact(SCREENSHOTS[2])))
        browser.close()
    _feedback_ready(course_hub, other)
    status, body = hub.post(f"/user/{other}/assignments/fetch_feedback",
                            {"course_id": COURSE_ID, "assignment_id": ASSIGNMENT})
    assert status == 200, body
    for name in STUDENTS:
        home = Path(course_hub["users"][name].pw_dir)
        seen[name] = [p.read_text() for p in sorted((home / ASSIGNMENT / "feedback").glob("*/*.html"))]
    return seen


def test_the_student_reads_their_feedback_in_the_browser_with_no_instructor_step(students_path):
    shown = [line.strip() for line in students_path["feedback_page"].splitlines() if line.strip()]
    assert shown and ASSIGNMENT in shown[0], "the page shown is the assignment's feedback"
    assert shown[0] in students_path[STUDENTS[0]][0], "the page shown is the one the student fetched"


def test_each_student_gets_only_their_own_feedback(students_path):
    mine, theirs = students_path[STUDENTS[0]], students_path[STUDENTS[1]]
    assert len(mine) == 1 and len(theirs) == 1
    assert mine != theirs
    assert STUDENTS[1] not in mine[0] and STUDENTS[0] not in theirs[0]


@pytest.fixture(scope="module")
def instructors_path(course_hub, students_path) -> dict:
    """The instructor opens the formgrader in JupyterLab and on its own page, and grades the first
    student's written answer there (through the formgrader's REST API, as its page saves a score)."""
    hub, seen = course_hub["hub"], {}
    hub.start_servers(TEACHER)
    with playwright_api.sync_playwright() as playwright:
        browser = launch(playwright)
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        _log_in(tab, hub, TEACHER)
        lab = tab.url
        tab.goto(f"{hub.url}/user/{TEACHER}/formgrader")
        seen["own_page"] = _shows(tab.locator("tr").filter(has_text=ASSIGNMENT).first, 60)
        tab.screenshot(path=str(artifact(SCREENSHOTS[4])))
        tab.goto(lab)
        tab.locator("#jp-MainMenu").get_by_text("Nbgrader", exact=True).click()
        tab.locator(".lm-Menu-content").get_by_text("Formgrader", exact=True).click()
        tab.locator(".lm-TabBar-tab").filter(has_text="Formgrader").wait_for()
        # the same page, which showed at once on its own: 15 s is plenty
        seen["in_lab"] = _shows(tab.frame_locator("iframe").first.locator("tr").filter(has_text=ASSIGNMENT).first, 15)
        tab.screenshot(path=str(artifact(SCREENSHOTS[3])))
        browser.close()
    api = f"/user/{TEACHER}/formgrader/api"
    _, body = hub.get(f"{api}/submitted_notebooks/{ASSIGNMENT}/{ASSIGNMENT}")
    submission = next(n["id"] for n in json.loads(body) if n["student"] == STUDENTS[0])
    _, body = hub.get(f"{api}/grades?submission_id={submission}")
    grades = json.loads(body)
    seen["before"] = {g["name"]: (g["auto_score"], g["manual_score"]) for g in grades}
    written = next(g for g in grades if g["name"] == WRITTEN)
    status, body = hub.post(f"{api}/grade/{written['id']}", {"manual_score": 1.5}, method="PUT")
    assert status == 200, body
    seen["saved"] = json.loads(body)
    return seen


def _shows(row, seconds: float) -> bool:
    try:
        row.wait_for(timeout=seconds * 1000)
        return True
    except playwright_api.TimeoutError:
        return False


def test_the_formgrader_works_for_the_instructor_on_its_own_page(instructors_path):
    assert instructors_path["own_page"], "the formgrader's own page lists the assignment"


def test_inside_jupyterlab_the_hub_keeps_the_formgrader_out_of_its_frame(instructors_path):
    """nbgrader #1870: JupyterHub 4.1 and later forbid framing a user's server (frame-ancestors 'none'), and
    the formgrader's tab in JupyterLab is a frame. The README's way round is the formgrader's own page;
    when this fails, nbgrader or JupyterHub has changed and the README should say so."""
    assert not instructors_path["in_lab"]


def test_a_manual_grade_in_the_formgrader_lands_next_to_the_services_autograde(instructors_path, course_hub):
    from nbgrader.api import Gradebook

    assert instructors_path["saved"]["manual_score"] == 1.5
    with Gradebook(course_hub["course"].db_url) as gradebook:
        grades = {g.name: (g.auto_score, g.manual_score) for g in
                  gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, STUDENTS[0]).grades}
    assert grades[WRITTEN][1] == 1.5
    autograded = {name: scores for name, scores in instructors_path["before"].items() if name != WRITTEN}
    assert autograded and {name: grades[name] for name in autograded} == autograded
    assert any(auto for auto, _ in autograded.values()), "the service's autograde is there"


def test_the_screenshots_are_kept(students_path, instructors_path):
    for name in SCREENSHOTS:
        assert (ARTIFACTS / name).stat().st_size > 10_000, name
