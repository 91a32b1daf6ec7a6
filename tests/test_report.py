"""Does `mllab report` tell a TA the truth about a really graded class, and does it render in Chromium?

One module-wide course: the release, three demo students (perfect, blank, one with two mistakes),
one notebook that is invalid JSON, all graded by plain `nbgrader autograde`. The state file of a
`mllab autograde` run is added for the student with mistakes, with a detail a student could control.
"""

from __future__ import annotations

import csv
import hashlib
import statistics
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from playwright.sync_api import sync_playwright

from mllab.course import nbgrader_steps as steps
from mllab.autograde.state import STATUSES, Outcome, save_outcomes
from mllab.report.write import write_report
from mllab.cli import main
from mllab.classes.demo import LOSS_AND_METRIC, write_submissions
from mllab.errors import PipelineError, UsageError
from mllab.course.paths import Course
from tests.browser import ARTIFACTS, artifact, launch
from tests.conftest import ASSIGNMENT, copy_course, release_assignment

SCREENSHOT = f"report-{ASSIGNMENT}.png"
STUDENTS = ("perfect", "blank", "mse_sum_naive_softmax")
BROKEN = "broken_json"
FLAGGED = "mse_sum_naive_softmax"
HOSTILE_DETAIL = '<script>window.pwned = 1</script>cell 7 ran past 120 s'


def _fingerprints(course: Course) -> dict[str, str]:
    files = [course.gradebook, *sorted(course.autograded.rglob("*.ipynb"))]
    return {str(f): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def _graded_cells(course: Course) -> list[tuple[str, float, bool]]:
    """(grade_id, points, is an autograded test cell) of the instructor notebook, in order."""
    cells = []
    for cell in nbformat.read(course.source_notebook(ASSIGNMENT), as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            is_test = cell.cell_type == "code" and not meta.get("solution")
            cells.append((meta["grade_id"], float(meta["points"]), is_test))
    return cells


@dataclass
class Report:
    course: Course
    html: Path
    rows: dict[str, dict[str, str]]
    gradebook: dict[str, dict]  # student -> {"score", "max", "grades": {grade_id: (score, needs_manual)}}
    untouched: bool


def _read_gradebook(course: Course) -> dict[str, dict]:
    with Gradebook(f"sqlite:///{course.gradebook}") as gradebook:
        return {s.student.id: {"score": s.score, "max": s.max_score,
                               "grades": {g.name: (g.score, g.needs_manual_grade) for nb in s.notebooks
                                          for g in nb.grades}}
                for s in gradebook.find_assignment(ASSIGNMENT).submissions}


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Report:
    """A class graded by plain nbgrader, then `mllab report` on it."""
    course = copy_course(tmp_path_factory.mktemp("report-course"))
    release_assignment(course, ASSIGNMENT)
    write_submissions(course, ASSIGNMENT, tuple(s for s in LOSS_AND_METRIC if s.student_id in STUDENTS))
    broken = course.submission_dir(BROKEN, ASSIGNMENT)
    broken.mkdir(parents=True)
    (broken / f"{ASSIGNMENT}.ipynb").write_text('{"cells": [', encoding="utf-8")
    try:
        steps.autograde(course, ASSIGNMENT)
    except PipelineError:
        pass  # nbgrader exits 1 for the broken notebook and grades the others
    save_outcomes(course, ASSIGNMENT, {FLAGGED: Outcome(FLAGGED, "timeout", 12.5, HOSTILE_DETAIL)})
    gradebook = _read_gradebook(course)
    before = _fingerprints(course)
    html, table, *_ = write_report(course, ASSIGNMENT)
    with table.open(encoding="utf-8", newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    return Report(course, html, rows, gradebook, before == _fingerprints(course))


@pytest.fixture(scope="module")
def page(report) -> dict:
    """The report opened from its file:// URL in Debian's Chromium; a full-page screenshot is kept."""
    screenshot = artifact(SCREENSHOT)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        tab.goto(report.html.as_uri())
        tab.wait_for_load_state("load")
        rows = lambda table: [[c.strip() for c in row.split("\t")]
                              for row in tab.locator(f"#{table} tbody tr").all_inner_texts()]
        seen = {
            "plot": tab.eval_on_selector("#score-plot", "img => [img.complete, img.naturalWidth, img.naturalHeight]"),
            "plot_box": tab.locator("#score-plot").bounding_box(),
            "summary": tab.locator("#score-summary").inner_text(),
            "pass": rows("pass-rate-table"),
            "failures": rows("failure-table"),
            "attention": rows("attention-table"),
            "backlog": tab.locator("#backlog-summary").inner_text(),
            "backlog_cells": rows("backlog-cells"),
            "backlog_students": rows("backlog-students"),
            "visible": all(tab.locator(f"#{t}").is_visible() for t in
                           ("pass-rate-table", "failure-table", "attention-table", "student-table")),
            "scripts": tab.evaluate("[document.scripts.length, window.pwned === undefined]"),
            "headings": tab.locator("h2").all_inner_texts(),
        }
        tab.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    return seen


def test_the_csv_has_every_students_gradebook_score_and_cell_scores(report):
    assert set(report.rows) == {*STUDENTS, BROKEN}
    assert float(report.rows["perfect"]["score"]) == 100 and float(report.rows["blank"]["score"]) == 0
    for student in STUDENTS:
        row, book = report.rows[student], report.gradebook[student]
        assert float(row["score"]) == book["score"] and float(row["max_score"]) == book["max"], student
        for grade_id, (score, pending) in book["grades"].items():
            assert row[grade_id] == ("" if pending else f"{score:g}"), (student, grade_id)


def test_the_broken_notebook_is_listed_as_not_graded(report, page):
    assert not (report.course.autograded / BROKEN / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()
    assert report.rows[BROKEN]["status"] == "not graded" and report.rows[BROKEN]["score"] == ""
    listed = {row[0]: row for row in page["attention"]}
    assert listed[BROKEN][1] == "not graded" and f"mllab autograde {ASSIGNMENT}" in listed[BROKEN][3]
    assert set(listed) == {BROKEN, FLAGGED}  # the others were graded normally


def test_a_student_flagged_by_mllab_autograde_shows_status_meaning_and_escaped_detail(report, page):
    assert report.rows[FLAGGED]["status"] == "timeout"
    row = next(r for r in page["attention"] if r[0] == FLAGGED)
    assert row[1:] == ["timeout", STATUSES["timeout"], HOSTILE_DETAIL]  # shown as text, not run
    assert page["scripts"] == [0, True]


def test_the_score_plot_renders_in_chromium_with_mean_and_median_stated(report, page):
    complete, width, height = page["plot"]
    assert complete and width > 300 and height > 100
    assert page["plot_box"]["width"] > 300 and page["plot_box"]["height"] > 100
    scores = [float(r["score"]) for r in report.rows.values() if r["score"]]
    assert f"mean {statistics.mean(scores):.1f}" in page["summary"]
    assert f"median {statistics.median(scores):g}" in page["summary"]
    assert f"Max score {report.gradebook['perfect']['max']:g} points" in page["summary"]


def test_the_pass_rate_table_has_one_row_per_autograded_test_cell_in_notebook_order(report, page):
    tests = [(g, points) for g, points, is_test in _graded_cells(report.course) if is_test]
    assert [row[0] for row in page["pass"]] == [g for g, _ in tests]
    scored = [report.gradebook[s]["grades"] for s in STUDENTS]
    for row, (grade_id, points) in zip(page["pass"], tests):
        if points:
            full = sum(1 for grades in scored if grades[grade_id][0] >= points)
            assert row[1:3] == [f"{points:g}", f"{100 * full / len(scored):.0f}%"], grade_id
    assert any(row[2] != "100%" and row[2] != "—" for row in page["pass"])  # the blank student failed some


def test_the_blank_students_error_is_among_the_most_frequent_failures(report, page):
    tests = {g for g, _, is_test in _graded_cells(report.course) if is_test}
    autograded = nbformat.read(report.course.autograded / "blank" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    errors = [(c.metadata.nbgrader["grade_id"], f"{o.ename}: {o.evalue.splitlines()[0]}") for c in autograded.cells
              if c.metadata.get("nbgrader", {}).get("grade_id") in tests for o in c.outputs if o.output_type == "error"]
    assert errors and any("NotImplementedError" in message for _, message in errors)
    shown = {(row[1], row[2]) for row in page["failures"]}
    assert 0 < len(page["failures"]) <= 15
    assert any(error in shown for error in errors if "NotImplementedError" in error[1])


def test_the_manual_backlog_counts_the_five_written_answers_of_graded_students(report, page):
    answers = [g for g, _, is_test in _graded_cells(report.course) if not is_test]
    assert len(answers) == 5 and all(g.startswith("answer_") for g in answers)
    waiting = {s: sorted(g for g, (_, pending) in report.gradebook[s]["grades"].items() if pending) for s in STUDENTS}
    assert waiting["perfect"] == sorted(answers)
    for student in STUDENTS:
        assert int(report.rows[student]["manual_grades_pending"]) == len(waiting[student]), student
    assert report.rows[BROKEN]["manual_grades_pending"] == ""  # not graded: nothing to grade by hand yet
    assert page["backlog"].startswith(f"{sum(map(len, waiting.values()))} grade(s) still need manual grading")
    assert page["backlog_cells"] == [[g, str(sum(g in w for w in waiting.values()))] for g in answers]
    assert page["backlog_students"] == [[s, str(len(w))] for s, w in sorted(waiting.items()) if w]


def test_the_report_renders_its_sections_and_tables_and_a_screenshot_is_kept(page):
    assert page["headings"] == ["Score distribution", "Pass rate per test cell", "Most frequent failure messages",
                                "Submissions whose grading failed or needed attention",
                                "Named mistakes: what the class got wrong", "Sub-checks passed", "Item statistics",
                                "Students × test cells", "Restored and overruled test cells", "Manual grading backlog", "Late submissions",
                                "All students"]
    assert page["visible"] and page["pass"] and page["failures"] and page["attention"]
    assert (ARTIFACTS / SCREENSHOT).stat().st_size > 50_000


def test_the_report_changes_neither_the_gradebook_nor_any_notebook(report):
    assert report.untouched


def test_the_cli_writes_both_files_and_explains_a_missing_gradebook_or_assignment(report, tmp_path, monkeypatch,
                                                                                  capsys):
    monkeypatch.chdir(report.course.root)
    assert main(["report", ASSIGNMENT]) == 0
    html = report.html.resolve()
    analytics = [html.with_name(f"{ASSIGNMENT}-{table}.csv") for table in ("mistakes", "subchecks", "items", "heatmap")]
    assert capsys.readouterr().out.split() == [str(html), str(html.with_suffix(".csv")), *map(str, analytics)]
    assert main(["report", "no_such_assignment"]) == UsageError.exit_code
    assert "unknown assignment 'no_such_assignment'" in capsys.readouterr().err
    monkeypatch.chdir(copy_course(tmp_path / "fresh").root)
    assert main(["report", ASSIGNMENT]) == UsageError.exit_code
    message = capsys.readouterr().err
    assert f"nbgrader generate_assignment {ASSIGNMENT}" in message and f"mllab autograde {ASSIGNMENT}" in message
