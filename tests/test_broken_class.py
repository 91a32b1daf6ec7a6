"""Does `mllab autograde` give every broken or hostile submission a status and a fair score, untouched?"""

from __future__ import annotations

import time

import nbformat
import psutil
import pytest

from mllab.course import nbgrader_steps as steps
from mllab.autograde.run import autograde_class
from mllab.autograde.state import fingerprint
from mllab.classes.broken import ANCHOR, CASES, LIMITS, write_broken_class
from mllab.classes.demo import LOSS_AND_METRIC, write_submissions
from mllab.course.scores import assignment_scores
from tests.conftest import ASSIGNMENT, autograde_processes, copy_course, release_assignment

GOOD = ("perfect", "blank")
MEMORY_GB = 3.0


def _points_up_to(course, grade_id: str) -> float:
    """The autograded points of the test cells from the top of the source notebook to ``grade_id``."""
    total = 0.0
    for cell in nbformat.read(course.source_notebook(ASSIGNMENT), as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            total += meta.get("points", 0)
        if meta.get("grade_id") == grade_id:
            return total
    raise AssertionError(f"no cell {grade_id}")


@pytest.fixture(scope="module")
def broken_run(tmp_path_factory):
    course = copy_course(tmp_path_factory.mktemp("broken"))
    release_assignment(course, ASSIGNMENT)
    write_submissions(course, ASSIGNMENT, tuple(s for s in LOSS_AND_METRIC if s.student_id in GOOD))
    students = [*GOOD, *write_broken_class(course, ASSIGNMENT)]
    before = {s: fingerprint(course.submission_dir(s, ASSIGNMENT)) for s in students}
    times = {s: max(p.stat().st_mtime_ns for p in course.submission_dir(s, ASSIGNMENT).rglob("*")) for s in students}
    started = time.perf_counter()
    outcomes = {o.student: o for o in autograde_class(course, ASSIGNMENT, jobs=2, memory_gb=MEMORY_GB,
                                                      say=lambda line: None, **LIMITS)}
    seconds = time.perf_counter() - started
    return course, outcomes, before, times, seconds


def test_every_good_student_is_graded_correctly(broken_run):
    _, outcomes, *_ = broken_run
    assert {s: (outcomes[s].status, outcomes[s].score) for s in GOOD} == {"perfect": ("graded", 100),
                                                                            "blank": ("graded", 0)}


@pytest.mark.parametrize("case", CASES, ids=[c.student_id for c in CASES])
def test_a_broken_submission_gets_its_status_and_a_fair_score(broken_run, case):
    course, outcomes, *_ = broken_run
    outcome = outcomes[case.student_id]
    fair = {"all": 100.0, "none": 0.0, "before": _points_up_to(course, ANCHOR)}[case.keeps]
    assert (outcome.status, outcome.score) == (case.status, fair), outcome.detail
    assert outcome.detail, "a status other than graded must say what happened"


def test_every_student_is_in_the_gradebook(broken_run):
    course, outcomes, *_ = broken_run
    assert {s.student for s in assignment_scores(course, ASSIGNMENT)} == set(outcomes)


def test_no_original_submission_is_modified(broken_run):
    course, _, before, times, _ = broken_run
    assert before == {s: fingerprint(course.submission_dir(s, ASSIGNMENT)) for s in before}
    assert times == {s: max(p.stat().st_mtime_ns for p in course.submission_dir(s, ASSIGNMENT).rglob("*"))
                     for s in times}


def test_each_submission_stays_within_its_wall_limit(broken_run):
    _, outcomes, *_ = broken_run
    slowest = max(outcomes.values(), key=lambda o: o.seconds)
    assert slowest.seconds < LIMITS["wall_limit"] + 20, slowest


def test_the_machine_is_healthy_afterwards(broken_run):
    assert autograde_processes(broken_run[0]) == []
    assert psutil.Process().children(recursive=True) == []
    assert psutil.virtual_memory().available > 4 * 2**30


def test_50_mb_of_output_is_truncated_in_the_autograded_notebook_and_the_feedback(broken_run):
    course, *_ = broken_run
    steps.run_nbgrader(course, "generate_feedback", ASSIGNMENT, "--student=huge_output", "--force")
    for page in (course.autograded / "huge_output" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                 course.feedback_dir("huge_output", ASSIGNMENT) / f"{ASSIGNMENT}.html"):
        assert page.stat().st_size < 5 * 2**20, page
        assert "output truncated by the autograder" in page.read_text(encoding="utf-8"), page


def test_the_class_report_lists_every_broken_student_with_its_status(broken_run):
    course, outcomes, *_ = broken_run
    from mllab.report.class_report import collect

    listed = {student: status for student, status, *_ in collect(course, ASSIGNMENT).attention}
    assert listed == {c.student_id: c.status for c in CASES}
