"""Does `mllab autograde` grade exactly like plain nbgrader, survive a broken notebook, and resume?"""

from __future__ import annotations

import pytest

from mllab.course import nbgrader_steps as steps
from mllab.classes.demo import LOSS_AND_METRIC, write_demo_class, write_submissions
from mllab.autograde.run import autograde_class
from mllab.autograde.state import fingerprint
from mllab.course.scores import assignment_scores
from tests.conftest import ASSIGNMENT, copy_course, release_assignment

QUIET = {"say": lambda line: None}


@pytest.fixture(scope="module")
def plain_scores(tmp_path_factory):
    """The demo class graded by plain, sequential `nbgrader autograde`."""
    course = copy_course(tmp_path_factory.mktemp("plain"))
    release_assignment(course, ASSIGNMENT)
    write_demo_class(course, ASSIGNMENT)
    steps.autograde(course, ASSIGNMENT)
    return {s.student: s.cell_scores for s in assignment_scores(course, ASSIGNMENT)}


def test_parallel_scores_equal_plain_sequential_nbgrader(plain_scores, demo_run):
    for student in (s.student_id for s in LOSS_AND_METRIC):
        assert demo_run.scores[student].cell_scores == plain_scores[student], student


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    """A perfect and a blank student plus a notebook that is not valid JSON, graded in parallel."""
    course = copy_course(tmp_path_factory.mktemp("small"))
    release_assignment(course, ASSIGNMENT)
    write_submissions(course, ASSIGNMENT, tuple(s for s in LOSS_AND_METRIC if s.student_id in ("perfect", "blank")))
    broken = course.submission_dir("broken_json", ASSIGNMENT)
    broken.mkdir(parents=True)
    (broken / f"{ASSIGNMENT}.ipynb").write_text('{"cells": [', encoding="utf-8")
    before = {s: fingerprint(course.submission_dir(s, ASSIGNMENT)) for s in ("broken_json", "perfect", "blank")}
    outcomes = {o.student: o for o in autograde_class(course, ASSIGNMENT, jobs=2, **QUIET)}
    return course, outcomes, before


def test_a_broken_notebook_fails_alone_with_a_reason(small_class):
    course, outcomes, _ = small_class
    assert outcomes["broken_json"].status == "ungradable" and "not valid JSON" in outcomes["broken_json"].detail
    scores = {s.student: s.auto_score for s in assignment_scores(course, ASSIGNMENT)}
    assert scores["perfect"] == 100 and scores["blank"] == 0


def test_the_submitted_originals_are_never_modified(small_class):
    course, _, before = small_class
    assert before == {s: fingerprint(course.submission_dir(s, ASSIGNMENT)) for s in before}


def test_a_rerun_grades_only_what_changed(small_class):
    course, _, _ = small_class
    again = {o.student: o.unchanged for o in autograde_class(course, ASSIGNMENT, jobs=2, **QUIET)}
    assert again == {"perfect": True, "blank": True, "broken_json": True}
    handed_in = course.submission_dir("blank", ASSIGNMENT) / f"{ASSIGNMENT}.ipynb"
    handed_in.write_bytes((course.submission_dir("perfect", ASSIGNMENT) / f"{ASSIGNMENT}.ipynb").read_bytes())
    third = {o.student: (o.status, o.unchanged) for o in autograde_class(course, ASSIGNMENT, students=["blank"],
                                                                          **QUIET)}
    assert third == {"blank": ("graded", False)}
    assert {s.student: s.auto_score for s in assignment_scores(course, ASSIGNMENT)}["blank"] == 100
