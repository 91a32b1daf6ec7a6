"""Does the judge decide hidden checks from plain recorded numbers, whatever the kernel claimed?"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nbformat.v4 import new_code_cell, new_output

from mllab.autograde.judge import JudgeTestCells, hidden_call, rerun
from mllab.checks import loss_and_metric as checks
from mllab.grading import transcript

TEST_SOURCE = """### BEGIN HIDDEN TESTS
from mllab.checks import loss_and_metric as hidden
_points = hidden.mse_loss_own(mse_loss, points=3)
### END HIDDEN TESTS
print("visible part")
### BEGIN HIDDEN TESTS
_points
### END HIDDEN TESTS"""
CHECK = "mllab.checks.loss_and_metric.mse_loss_own"


def _record(function) -> list[dict]:
    """The transcript the kernel would display for ``mse_loss_own(function)``."""
    transcript._recording = []
    try:
        try:
            checks.mse_loss_own.__wrapped__(function, points=3)
        except AssertionError:
            pass
        return transcript._recording
    finally:
        transcript._recording = None


def _right(x, y):
    return ((x - y) ** 2).mean()


def _summed(x, y):
    return ((x - y) ** 2).sum()


def _cell(outputs: list) -> dict:
    cell = new_code_cell(TEST_SOURCE, metadata={"nbgrader": {"grade": True, "solution": False, "locked": True,
                                                             "grade_id": "test_mse_own", "points": 3}})
    cell.outputs = outputs
    return cell


def _transcript_output(calls) -> dict:
    return new_output("display_data", data={transcript.MIME: {"check": CHECK, "calls": calls}})


def _passing_kernel_outputs(calls) -> list:
    return [_transcript_output(calls), new_output("execute_result", data={"text/plain": "3.0"}, execution_count=1)]


def test_the_judge_finds_the_hidden_check_a_test_cell_calls():
    call = hidden_call(TEST_SOURCE)
    assert (call.name, call.arity, call.points) == (CHECK, 1, 3.0)
    assert hidden_call("assert mse_loss(1, 1) == 0") is None


@pytest.mark.parametrize("value", [
    torch.tensor([[1.5, -2.0]], dtype=torch.float64), torch.tensor(3, dtype=torch.int64), np.float32(0.25),
    np.arange(6, dtype=np.float32).reshape(2, 3), 1.5, 7, True, None, (torch.tensor(1.0), [np.float64(2.0)]),
])
def test_a_recorded_result_comes_back_with_the_same_type_shape_and_numbers(value):
    back = transcript.rebuild(transcript.reduce(value))
    assert type(back) is type(value) or (isinstance(value, np.generic) and isinstance(back, np.generic))
    if isinstance(value, torch.Tensor):
        assert back.dtype == value.dtype and torch.equal(back, value)
    elif isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and np.array_equal(back, value)


class _EqualsAnything:
    def __eq__(self, other):
        return True

    def __sub__(self, other):
        return 0

    def __abs__(self):
        return 0

    def __float__(self):
        return 0.0


class _LyingTensor(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return True


def test_an_object_that_equals_anything_is_recorded_as_unreadable():
    assert isinstance(transcript.rebuild(transcript.reduce(_EqualsAnything())), transcript.Unreadable)
    lying = torch.tensor([1.0]).as_subclass(_LyingTensor)
    assert isinstance(transcript.rebuild(transcript.reduce(lying)), transcript.Unreadable)


def test_the_judge_gives_what_the_check_gives_for_an_honest_transcript():
    assert rerun(hidden_call(TEST_SOURCE), _record(_right)).points == 3.0
    verdict = rerun(hidden_call(TEST_SOURCE), _record(_summed))
    assert verdict.points == 0 and "you sum the squared differences" in verdict.failure


def test_a_cell_whose_kernel_passed_wrong_numbers_is_overruled_with_a_reason():
    nb = _notebook([_cell(_passing_kernel_outputs(_record(_summed)))])
    JudgeTestCells().preprocess(nb, {})
    cell = nb.cells[0]
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert errors and "you sum the squared differences" in errors[0].evalue
    assert "independent re-check" in errors[0].evalue
    assert not any(transcript.MIME in o.get("data", {}) for o in cell.outputs)


def test_a_skipped_test_cell_with_no_record_earns_nothing():
    nb = _notebook([_cell([])])  # nbgrader gives full points to a grade cell without outputs
    JudgeTestCells().preprocess(nb, {})
    cell = nb.cells[0]
    assert cell.outputs[-1].output_type == "error" and "left no record" in cell.outputs[-1].evalue
    assert nb.metadata["mllab"]["overruled_cells"] == ["test_mse_own"]


def test_an_honest_cell_keeps_its_outputs_and_loses_only_the_transcript():
    nb = _notebook([_cell(_passing_kernel_outputs(_record(_right)))])
    JudgeTestCells().preprocess(nb, {})
    assert [o.output_type for o in nb.cells[0].outputs] == ["execute_result"]


def test_a_forged_or_garbled_transcript_earns_nothing():
    forged = [{"result": {"kind": "tensor", "dtype": "<f8", "shape": [5], "data": "!!"}}]
    assert rerun(hidden_call(TEST_SOURCE), forged).points == 0
    assert rerun(hidden_call(TEST_SOURCE), [{"result": "3.0"}] * 20).points == 0


def _notebook(cells: list):
    from nbformat.v4 import new_notebook

    return new_notebook(cells=cells)


def test_a_result_that_is_no_valid_score_is_replaced_instead_of_crashing_nbgrader():
    optional = new_code_cell("1.0", metadata={"nbgrader": {"grade": True, "solution": False, "locked": True,
                                                           "grade_id": "test_optional", "points": 0}})
    optional.outputs = [new_output("execute_result", data={"text/plain": "1.0"}, execution_count=1)]
    nb = _notebook([optional])
    JudgeTestCells().preprocess(nb, {})
    assert nb.cells[0].outputs[0].output_type == "error" and "not a valid score" in nb.cells[0].outputs[0].evalue
