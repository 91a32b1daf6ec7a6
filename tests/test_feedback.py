"""What does a student read in the feedback page, with and without the hidden tests' source?"""

from __future__ import annotations

from mllab.course.nbgrader_steps import run_nbgrader
from tests.conftest import ASSIGNMENT, page_text


def _feedback(course, student, folder="feedback"):
    return page_text(course.root / folder / student / ASSIGNMENT / f"{ASSIGNMENT}.html")


def test_feedback_starts_with_a_per_task_summary(demo_run):
    text = _feedback(demo_run.course, "mse_sum_naive_softmax")
    summary = text[text.index("Summary:"):text.index("Loss and Metric — Session 2")]
    assert "1. MSE and MAE" in summary and "7 / 10" in summary
    assert "square" in summary or "sum" in summary  # the MSE mistake, in words
    assert "LogSumExp" in summary  # the cross-entropy overflow
    assert "6. Sørensen–Dice coefficient" in summary and "✓ full marks" in summary
    assert "written answers still to be graded" in summary


def test_the_perfect_students_summary_has_no_complaint(demo_run):
    text = _feedback(demo_run.course, "perfect")
    summary = text[text.index("Summary:"):text.index("Loss and Metric — Session 2")]
    assert "100 of 110 points (5 written answers still to be graded)" in summary
    assert "6. Sørensen–Dice coefficient 12 / 12 ✓ full marks" in summary


def test_hidden_tests_can_be_hidden_while_their_messages_stay(demo_run):
    run_nbgrader(demo_run.course, "generate_feedback", ASSIGNMENT, "--force", "--student=forbidden_calls",
                 "--HideHiddenTests.enabled=True", "--CourseDirectory.feedback_directory=feedback_hidden")
    hidden = _feedback(demo_run.course, "forbidden_calls", "feedback_hidden")
    for leak in ("BEGIN HIDDEN TESTS", "mllab.checks", "hidden.", "scoring.py", "Traceback"):
        assert leak not in hidden, leak
    assert "calls torch.nn.L1Loss" in hidden
    shown = _feedback(demo_run.course, "forbidden_calls")
    assert "BEGIN HIDDEN TESTS" in shown  # nbgrader's default, for contrast


def test_hidden_test_lines_a_notebook_printed_are_hidden_too():
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from mllab.report.feedback import HideHiddenTests

    test = new_code_cell("### BEGIN HIDDEN TESTS\n_points = hidden.mse_loss_own(mse_loss, points=3)\n"
                         "### END HIDDEN TESTS\nprint('visible')",
                         metadata={"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 3}})
    spy = new_code_cell("print(_ih[-1])")  # what an IPython history or pre_run_cell hook would print
    spy.outputs = [new_output("stream", name="stdout", text="_points = hidden.mse_loss_own(mse_loss, points=3)\n")]
    nb, _ = HideHiddenTests(enabled=True).preprocess(new_notebook(cells=[test, spy]), {})
    assert "mse_loss_own" not in nb.cells[1].outputs[0].text and "[hidden test]" in nb.cells[1].outputs[0].text
    assert "mse_loss_own" not in nb.cells[0].source
