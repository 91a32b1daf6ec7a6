"""Does the demo class grade the way its mistakes say, through a real nbgrader run?"""

from __future__ import annotations

import pytest

from mllab.classes.demo import Patch, _apply, demo_class
from mllab.course.assignments import assignment_names
from mllab.course.paths import Course, check_assignments
from mllab.errors import PipelineError
from tests.conftest import ASSIGNMENT, REPO, TITLES, cell_outputs_text

MISTAKE_STUDENTS = [(a, s) for a in assignment_names(REPO) for s in demo_class(Course(REPO), a) if s.patches]
OPTIONAL_CELLS = {"test_bce_optional", "test_iou_optional", "test_psnr_optional"}
every_class = pytest.mark.parametrize("class_run", assignment_names(REPO), indirect=True)


def _autograded_cells(score):
    return {name: value for name, value in score.cell_scores.items() if name.startswith("test_")}


@every_class
def test_every_demo_student_was_graded(class_run):
    assert {s.student_id for s in demo_class(class_run.course, class_run.assignment)} <= set(class_run.scores)
    assert sorted(class_run.scores) == sorted(class_run.students)


@every_class
def test_the_perfect_student_earns_every_autograded_point(class_run):
    perfect = class_run.scores["perfect"]
    assert perfect.auto_max == 100
    assert perfect.auto_score == 100


@every_class
def test_the_blank_release_earns_nothing_and_grades_without_errors(class_run):
    blank = class_run.scores["blank"]
    assert blank.auto_score == 0
    assert blank.auto_max == 100
    assert all(score == 0 for score, _ in _autograded_cells(blank).values())


@pytest.mark.parametrize("class_run, student", MISTAKE_STUDENTS, indirect=["class_run"],
                         ids=[f"{a}-{s.student_id}" for a, s in MISTAKE_STUDENTS])
def test_each_mistake_loses_points_in_its_own_task_and_nowhere_else(class_run, student):
    cells = _autograded_cells(class_run.scores[student.student_id])
    for name, (score, max_score) in cells.items():
        if name in student.loses:
            assert score < max_score, f"{name} should lose points for: {student.description}"
        else:
            assert score == max_score, f"{name} lost points although {student.student_id} got it right"


FORBIDDEN_CALLS = {  # by assignment: the forbidden_calls student's cells and the call each must name
    "loss_and_metric": {"test_mae_own": "calls torch.nn.L1Loss", "test_mse_own": "calls torch.nn.MSELoss",
                        "test_ce_own": "calls torch.nn.functional.cross_entropy", "test_cosine_own": "calls torchmetrics"},
    "custom_losses": {"test_rmse_own": "calls torchmetrics",
                      "test_sparse_cce_own": "calls torch.nn.NLLLoss", "test_dice_loss": "calls torch.nn.functional.l1_loss"},
    "beyond_basics": {"test_psnr_own": "calls torch.nn.functional.mse_loss", "test_gaussian_nll_own": "calls torch.nn.GaussianNLLLoss",
                      "test_fbeta_own": "calls torchmetrics"},
}


@every_class
def test_the_forbidden_call_student_is_told_which_call(class_run):
    messages = class_run.outputs("forbidden_calls")
    for cell, call in FORBIDDEN_CALLS[class_run.assignment].items():
        assert call in messages[cell], f"{cell} says:\n{messages[cell]}"


def test_the_library_versions_still_earn_their_points_for_the_forbidden_call_student(demo_run):
    cells = _autograded_cells(demo_run.scores["forbidden_calls"])
    assert cells["test_mse_mae_lib"][0] == cells["test_mse_mae_lib"][1]
    assert cells["test_ce_lib"][0] == cells["test_ce_lib"][1]


def test_optional_tasks_are_worth_nothing_and_show_their_result(demo_run):
    for student in ("perfect", "blank"):
        cells = _autograded_cells(demo_run.scores[student])
        assert all(cells[name] == (0, 0) for name in OPTIONAL_CELLS)
    perfect = demo_run.autograded("perfect")
    optional_text = [cell_outputs_text(c) for c in perfect.cells
                     if c.metadata.get("nbgrader", {}).get("grade_id") in OPTIONAL_CELLS]
    assert all("✓" in text for text in optional_text)


@every_class
def test_feedback_html_exists_for_every_demo_student(class_run):
    for student in (s.student_id for s in demo_class(class_run.course, class_run.assignment)):
        page = class_run.feedback_page(student)
        assert page.is_file(), f"no feedback for {student}"
        assert TITLES[class_run.assignment] in page.read_text(encoding="utf-8")


def test_a_demo_patch_that_no_longer_matches_the_source_is_an_error():
    with pytest.raises(PipelineError, match="no longer matches the instructor notebook"):
        _apply("return x.mean()", Patch("cell", "return x.sum()", "return 0"))


def test_regrading_a_submission_gives_the_same_scores(demo_run):
    from mllab.course import nbgrader_steps as steps
    from mllab.course.scores import assignment_scores

    before = demo_run.scores["mse_sum_naive_softmax"].cell_scores
    steps.autograde(demo_run.course, ASSIGNMENT, "mse_sum_naive_softmax")
    after = {s.student: s for s in assignment_scores(demo_run.course, ASSIGNMENT)}
    assert after["mse_sum_naive_softmax"].cell_scores == before


@every_class
def test_make_demo_ends_with_the_score_table_grades_csv_and_the_feedback_path(class_run):
    printed = "\n".join(class_run.printed)
    assert f"Scores for {class_run.assignment}" in printed
    assert any(line.startswith("perfect ") and "100.0 / 100" in line for line in printed.splitlines())
    assert "Feedback HTML:" in printed and "grades.csv" in printed
    grades = (class_run.course.root / "grades.csv").read_text(encoding="utf-8")
    assert all(s.student_id in grades for s in demo_class(class_run.course, class_run.assignment))


def test_make_demo_grades_every_assignment_of_the_course():
    from mllab.cli import _parser

    chosen = check_assignments(Course(REPO), _parser().parse_args(["demo"]).assignments)
    assert chosen == assignment_names(REPO) == ("loss_and_metric", "custom_losses", "beyond_basics")
