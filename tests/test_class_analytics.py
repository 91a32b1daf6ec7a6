"""Does the class report tell the teaching staff what the class got wrong, and how well each cell separates
students who understood from those who did not?

The named mistakes come from really graded classes (the session's three demo class runs, each with its
mutation corpus); the item statistics are checked against a hand computation on a small made-up class.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from mllab.autograde.judge import hidden_call
from mllab.classes.demo import CUSTOM_LOSSES, demo_class, write_submissions
from mllab.cli import main
from mllab.course.assignments import assignment_names
from mllab.course.paths import Course
from mllab.errors import UsageError
from mllab.report.course_view import collect_course
from mllab.report.class_report import collect
from mllab.report.item_statistics import item_statistics
from mllab.report.write import write_report
from tests.browser import artifact, launch
from tests.conftest import REPO

COURSE_ASSIGNMENTS = assignment_names(REPO)


@pytest.mark.parametrize("class_run", COURSE_ASSIGNMENTS, indirect=True)
def test_every_demo_students_planted_mistakes_are_counted_under_their_ids(class_run):
    report = collect(class_run.course, class_run.assignment)
    demo = demo_class(class_run.course, class_run.assignment)
    counted = {m.mistake_id: set(m.students) for m in report.mistakes}
    for student in demo:
        made = {mistake_id for mistake_id, students in counted.items() if student.student_id in students}
        assert made == student.mistakes, student.student_id
    for mistake_id in {m for student in demo for m in student.mistakes}:
        planted = {s.student_id for s in demo if mistake_id in s.mistakes}
        assert counted[mistake_id] & {s.student_id for s in demo} == planted, mistake_id
    assert not report.without_findings


@pytest.mark.parametrize("class_run", COURSE_ASSIGNMENTS, indirect=True)
def test_the_findings_live_in_the_autograded_notebooks_metadata_for_every_test_cell(class_run):
    nb = class_run.autograded("perfect")
    findings = nb.metadata["mllab"]["findings"]
    tests = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells  # the graded ones (optional tasks score nothing)
             if c.metadata.get("nbgrader", {}).get("grade") and hidden_call(c.source) is not None]
    assert tests and set(findings) == set(tests)
    assert all(part["passed"] and not part["mistakes"] for record in findings.values() for part in record["parts"])
    blank = class_run.autograded("blank").metadata["mllab"]["findings"]
    assert all(not part["passed"] for record in blank.values() for part in record["parts"])


def test_findings_a_student_writes_into_the_notebook_metadata_are_replaced_by_the_judges(demo_run):
    from mllab.autograde.judge import JudgeTestCells

    nb = demo_run.autograded("perfect")  # its transcripts are gone: the judge finds no record to replay
    fake = {"parts": [{"name": "all", "passed": True, "mistakes": [{"id": "made.up", "explanation": "x"}]}]}
    nb.metadata["mllab"]["findings"] = {"test_mse_own": fake, "not_a_cell": fake}
    JudgeTestCells().preprocess(nb, {})
    findings = nb.metadata["mllab"]["findings"]
    assert "not_a_cell" not in findings and findings["test_mse_own"]["parts"] == []
    assert "left no record" in findings["test_mse_own"]["failure"]


# ---------------------------------------------------------------- item statistics by hand

# Six students, three cells worth 2 points each and one worth 1 point that everyone gets.
SMALL_CLASS = {
    "s1": {"A": 2.0, "B": 2.0, "C": 2.0, "D": 1.0},
    "s2": {"A": 2.0, "B": 1.5, "C": 1.0, "D": 1.0},
    "s3": {"A": 1.5, "B": 0.5, "C": 1.5, "D": 1.0},
    "s4": {"A": 1.0, "B": 1.0, "C": 0.0, "D": 1.0},
    "s5": {"A": 0.5, "B": 0.0, "C": 1.5, "D": 1.0},
    "s6": {"A": 0.0, "B": 0.5, "C": 0.0, "D": 1.0},
}
ITEMS = [("A", 2.0), ("B", 2.0), ("C", 2.0), ("D", 1.0)]


def test_item_statistics_match_a_hand_computation_on_a_small_class():
    stats = {s.grade_id: s for s in item_statistics(ITEMS, SMALL_CLASS)}
    a, c, d = stats["A"], stats["C"], stats["D"]
    # A: scores 2, 2, 1.5, 1, .5, 0 (7 of 12 points); rest of the total (without A and the constant D):
    # 4, 2.5, 2, 1, 1.5, .5. Sxy = 17.75 - 6·(7/6)(11.5/6) = 4.3333, Sxx = 11.5 - 49/6 = 3.3333,
    # Syy = 29.75 - 11.5²/6 = 7.7083: r = 4.3333 / √(3.3333·7.7083) = 0.8549. By rest: lower third s6, s4
    # (shares 0, .5), upper third s2, s1 (shares 1, 1): 1 - .25 = .75.
    assert a.difficulty == pytest.approx(7 / 12)
    assert a.discrimination == pytest.approx(0.85487, abs=1e-4)
    assert a.upper_lower == pytest.approx(0.75)
    assert not a.poor
    # C: scores 2, 1, 1.5, 0, 1.5, 0; rest 4, 3.5, 2, 2, .5, .5. Sxy = 15.25 - 12.5 = 2.75, Sxx = 3.5,
    # Syy = 36.75 - 12.5²/6 = 10.7083: r = 0.4492. Lower third s5, s6 (.75, 0), upper s2, s1 (.5, 1): .375.
    assert c.difficulty == pytest.approx(0.5)
    assert c.discrimination == pytest.approx(0.44920, abs=1e-4)
    assert c.upper_lower == pytest.approx(0.375)
    # D: everybody has full marks, it separates no one.
    assert d.difficulty == 1.0 and d.discrimination is None and d.upper_lower == 0.0
    assert d.poor and "same share" in d.why_poor


def test_a_cell_that_the_weaker_students_pass_more_often_is_flagged():
    scores = {s: {**marks, "E": 1.0 if s in ("s4", "s5", "s6") else 0.0} for s, marks in SMALL_CLASS.items()}
    stats = {s.grade_id: s for s in item_statistics([*ITEMS, ("E", 1.0)], scores)}
    assert stats["E"].discrimination < 0 and stats["E"].upper_lower == -1.0 and stats["E"].poor
    assert "do not do much better" in stats["E"].why_poor
    assert not stats["A"].poor


# ---------------------------------------------------------------- the page, in a real browser

@pytest.fixture(scope="module")
def demo_page(demo_run) -> dict:
    """The demo class's report (pseudonyms) opened in Debian's Chromium; a full-page screenshot is kept."""
    html, *_ = write_report(demo_run.course, demo_run.assignment)
    image = "img => [img.complete, img.naturalWidth, img.naturalHeight, img.alt]"
    with sync_playwright() as playwright:
        browser = launch(playwright)
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        tab.goto(html.as_uri())
        tab.wait_for_load_state("load")
        seen = {"chart": tab.eval_on_selector("#mistake-chart", image),
                "heat": tab.eval_on_selector("#heat-map", image),
                "mistakes": [[c.strip() for c in row.split("\t")]
                             for row in tab.locator("#mistake-table tbody tr").all_inner_texts()],
                "headers": tab.eval_on_selector_all("#item-table th", "ths => ths.map(th => th.scope)"),
                "captions": tab.locator("caption").all_inner_texts(),
                "analytics": tab.locator("#mistakes").inner_text() + tab.locator("#heat").inner_text(),
                "size": html.stat().st_size}
        tab.screenshot(path=str(artifact("report-analytics.png")), full_page=True)
        browser.close()
    return seen


def test_the_mistake_chart_and_heat_map_render_as_images_with_text_alternatives(demo_page):
    for name in ("chart", "heat"):
        complete, width, height, alt = demo_page[name]
        assert complete and width > 300 and height > 150, name
        assert len(alt) > 40, name
    assert "mse.sum_not_mean" in demo_page["chart"][3]
    assert demo_page["size"] < 2_000_000
    assert set(demo_page["headers"]) == {"col"} and "Item statistics per graded cell" in demo_page["captions"]


def test_the_analytics_name_students_by_pseudonym_unless_asked(demo_run, demo_page):
    row = next(r for r in demo_page["mistakes"] if r[0] == "mse.sum_not_mean")
    assert "mse_sum_naive_softmax" not in demo_page["analytics"] and "S-" in row[4]
    heat = demo_run.course.root / "reports" / f"{demo_run.assignment}-heatmap.csv"
    assert all(r["student"].startswith("S-") for r in csv.DictReader(heat.open(encoding="utf-8")))
    html, *_ = write_report(demo_run.course, demo_run.assignment, real_ids=True)
    mistakes = html.read_text(encoding="utf-8").split('id="mistake-table"')[1].split("</table>")[0]
    assert "mse_sum_naive_softmax" in mistakes
    write_report(demo_run.course, demo_run.assignment)  # leave the default files for the other tests


def test_the_analytics_csv_files_carry_the_pages_figures(demo_run, demo_page):
    report = collect(demo_run.course, demo_run.assignment)
    folder = demo_run.course.root / "reports"
    read = lambda name: list(csv.DictReader((folder / f"{demo_run.assignment}-{name}.csv").open(encoding="utf-8")))
    mistakes = {r["mistake_id"]: int(r["students"]) for r in read("mistakes")}
    assert mistakes == {m.mistake_id: m.count for m in report.mistakes}
    assert {r[0]: int(r[2]) for r in demo_page["mistakes"]} == mistakes
    items = {r["cell"]: r for r in read("items")}
    assert [i.grade_id for i in report.items] == list(items)
    assert all(float(items[i.grade_id]["difficulty"]) == pytest.approx(i.difficulty, abs=1e-3) for i in report.items)
    assert len(read("heatmap")) == len(report.scored)
    subchecks = read("subchecks")
    assert subchecks and all(0 <= int(r["passed"]) <= int(r["students"]) for r in subchecks)


# ---------------------------------------------------------------- the course view

COURSE_STUDENTS = ("perfect", "forbidden_calls", "tversky_swapped_nll_on_probs")  # of custom_losses' demo class


@pytest.fixture(scope="module")
def two_assignments(demo_run, tmp_path_factory):
    """A copy of the graded demo class of loss_and_metric in which three custom_losses students were graded
    too: the other loss_and_metric students skipped custom_losses, and forbidden_calls calls a library again."""
    from mllab.autograde.run import autograde_class
    from mllab.course import nbgrader_steps as steps

    root = tmp_path_factory.mktemp("two_assignments") / "course"
    shutil.copytree(demo_run.course.root, root, symlinks=True)
    course = Course(root)
    steps.generate_release(course, "custom_losses")
    write_submissions(course, "custom_losses", tuple(s for s in CUSTOM_LOSSES if s.student_id in COURSE_STUDENTS))
    autograde_class(course, "custom_losses", say=lambda line: None)
    return course


def test_the_course_view_lists_a_student_who_skipped_an_assignment_as_falling_behind(two_assignments):
    view = collect_course(two_assignments)
    assert view.assignments == ["loss_and_metric", "custom_losses"] and view.not_graded == ["beyond_basics"]
    rows = {r.student: r for r in view.rows}
    assert rows["macro_as_precision"].results["custom_losses"] is None
    assert "no submission for custom_losses" in rows["macro_as_precision"].behind
    assert rows["perfect"].behind == [] and rows["perfect"].results["custom_losses"].score == 100  # + written answers
    assert any("on loss_and_metric" in reason for reason in rows["blank"].behind)


def test_the_course_view_names_a_mistake_that_comes_back_in_the_next_assignment(two_assignments):
    view = collect_course(two_assignments)
    again = {r.mistake_id: r for r in view.recurring}
    assert "forbidden_calls" in again["own.uses_library"].repeaters
    assert again["own.uses_library"].per_assignment["custom_losses"] == 1
    assert {r.student: r.recurring for r in view.rows}["forbidden_calls"] == ["own.uses_library"]


def test_mllab_report_course_writes_the_page_and_csvs_under_pseudonyms(two_assignments, monkeypatch, capsys):
    monkeypatch.chdir(two_assignments.root)
    assert main(["report", "--course"]) == 0
    html, students, mistakes = map(Path, capsys.readouterr().out.split())
    page = html.read_text(encoding="utf-8")
    assert "macro_as_precision" not in page and "no submission for custom_losses" in page
    rows = list(csv.DictReader(students.open(encoding="utf-8")))
    assert len(rows) == len(collect_course(two_assignments).rows) and all(r["student"].startswith("S-") for r in rows)
    assert "own.uses_library" in mistakes.read_text(encoding="utf-8")
    assert main(["report", "--course", "--real-ids"]) == 0
    assert "macro_as_precision" in Path(capsys.readouterr().out.split()[0]).read_text(encoding="utf-8")
    assert main(["report"]) == UsageError.exit_code
    assert "either an assignment" in capsys.readouterr().err
