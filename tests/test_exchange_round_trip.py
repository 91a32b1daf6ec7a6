"""Does an assignment go round nbgrader's exchange like a real course's: the instructor hands it out,
students fetch, work and submit (one of them twice), `mllab collect-and-grade` collects, grades and
releases feedback, and each student fetches their own feedback, with the same scores as grading the
same notebooks from submitted/ directly?"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mllab.classes.demo import demo_class
from mllab.classes.exchange_students import ExchangeStudent
from mllab.course.exchange import EXCHANGE_VARIABLE
from mllab.course.assignments import assignment_names
from mllab.course.paths import Course
from mllab.course.scores import assignment_scores
from tests.conftest import REPO, copy_course

BIN = Path(sys.executable).parent
COURSE_ID = "loss_and_metric_lab"
every_assignment = pytest.mark.parametrize("class_run", assignment_names(REPO), indirect=True)


def _instructor(course, exchange: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, EXCHANGE_VARIABLE: str(exchange), "PATH": f"{BIN}:{os.environ['PATH']}"}
    return subprocess.run([str(BIN / "mllab"), *args], cwd=course.root, env=env, capture_output=True, text=True,
                          timeout=900, check=check)


def _demo_student(assignment: str, index: int):
    return [s for s in demo_class(Course(REPO), assignment) if not s.blank][index]


ROUNDS: dict[str, dict] = {}


@pytest.fixture
def round_trip(class_run, tmp_path_factory) -> dict:
    """Hand out, three students fetch and submit (the third twice: first the release untouched),
    collect-and-grade, every student fetches feedback. Once per assignment."""
    assignment = class_run.assignment
    if assignment not in ROUNDS:
        folder = tmp_path_factory.mktemp(f"exchange_{assignment}")
        course, exchange = copy_course(folder / "course"), folder / "srv" / "exchange"
        _instructor(course, exchange, "hand-out", assignment)
        students = {}
        for index in range(3):
            demo = _demo_student(assignment, index)
            student = students[demo.student_id] = ExchangeStudent(demo.student_id, folder / "homes" / demo.student_id,
                                                                  exchange, COURSE_ID)
            student.fetch(assignment)
            if index == 2:
                student.submit(assignment)  # the release as fetched: an early, empty hand-in
            student.work(course.source_notebook(assignment), assignment, demo)
            student.submit(assignment)
        graded = _instructor(course, exchange, "collect-and-grade", assignment, check=False)
        fetched = {s.student_id: s.fetch_feedback(assignment) for s in students.values()}
        ROUNDS[assignment] = {"course": course, "exchange": exchange, "students": students, "graded": graded,
                              "feedback": fetched}
    return ROUNDS[assignment]


@every_assignment
def test_the_round_trip_gets_the_scores_of_grading_submitted_directly(class_run, round_trip):
    assert round_trip["graded"].returncode == 0, round_trip["graded"].stderr
    scores = {s.student: s.cell_scores for s in assignment_scores(round_trip["course"], class_run.assignment)}
    assert scores == {s: class_run.scores[s].cell_scores for s in round_trip["students"]}


@every_assignment
def test_the_later_of_two_submissions_counts(class_run, round_trip):
    assignment, course = class_run.assignment, round_trip["course"]
    twice = _demo_student(assignment, 2).student_id
    submitted = round_trip["students"][twice].submissions()
    assert len(submitted) == 2
    collected = (course.submission_dir(twice, assignment) / "timestamp.txt").read_text().strip()
    assert collected == submitted[-1]
    assert assignment_scores(course, assignment) and class_run.scores[twice].auto_score > 0


@every_assignment
def test_each_student_fetches_their_own_feedback_only(class_run, round_trip):
    assignment, course = class_run.assignment, round_trip["course"]
    for student, fetched in round_trip["feedback"].items():
        own = course.feedback_dir(student, assignment) / f"{assignment}.html"
        assert [p.read_bytes() for p in fetched] == [own.read_bytes()], student


@pytest.mark.parametrize("class_run", ["loss_and_metric"], indirect=True)
def test_collect_and_grade_is_safe_to_rerun(class_run, round_trip):
    course, exchange, students = (round_trip[k] for k in ("course", "exchange", "students"))
    before = {s.student: s.cell_scores for s in assignment_scores(course, "loss_and_metric")}
    roster = course.root / "roster.csv"
    roster.write_text("id,first_name,last_name,email,lms_user_id\n" + "".join(
        f"{s},,,{s}@example.org,L{k}\n" for k, s in enumerate([*students, "never_fetched"])), encoding="utf-8")
    _instructor(course, exchange, "import-roster", str(roster))
    again = _instructor(course, exchange, "collect-and-grade", "loss_and_metric")
    assert "unchanged" in again.stderr
    assert "no submission (yet) from 1 student(s) on the roster: never_fetched" in again.stderr
    assert {s.student: s.cell_scores for s in assignment_scores(course, "loss_and_metric")} == before
    assert sorted(p.name for p in course.submitted.iterdir()) == sorted(students)


def test_collect_and_grade_before_any_submission_says_what_to_do(tmp_path):
    course, exchange = copy_course(tmp_path / "course"), tmp_path / "exchange"
    _instructor(course, exchange, "hand-out", "custom_losses")
    early = _instructor(course, exchange, "collect-and-grade", "custom_losses", check=False)
    assert early.returncode != 0
    assert "no student has submitted custom_losses yet" in early.stderr and "nbgrader submit" in early.stderr
    assert not course.submitted.exists() or not any(course.submitted.iterdir())
