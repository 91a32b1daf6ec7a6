"""Is the tolerance policy written once, shown to students as it is, and held on both sides of its bounds?

The policy lives in mllab/grading/tolerance.py; each notebook's "How it is graded" quotes its student
text. Inside the bound a result earns full marks, outside it is caught with the values side by side;
an eps that only rounds passes, one that changes a stated convention does not (issue 29, finding 8).
"""

from __future__ import annotations

import math
import re

import nbformat
import pytest
import torch

from mllab.checks import beyond_basics as bb
from mllab.checks import custom_losses as cl
from mllab.checks import loss_and_metric as lm
from mllab.course.assignments import assignment_names
from mllab.grading.tolerance import ATOL, RTOL, STUDENT_TEXT, bound
from tests.conftest import REPO, cell_by_grade_id

F32, F64 = torch.float32, torch.float64


def _power_of_ten(value: float) -> str:
    return f"1e-{round(-math.log10(value))}"


def test_the_student_text_states_the_numbers_the_checks_use():
    for dtype, name in ((F32, "float32"), (F64, "float64")):
        stated = f"rtol = {_power_of_ten(RTOL[dtype])} and atol = {_power_of_ten(ATOL[dtype])} for {name} inputs"
        assert stated in STUDENT_TEXT


@pytest.mark.parametrize("assignment", assignment_names(REPO))
def test_each_notebooks_how_it_is_graded_quotes_the_policy_word_for_word(repo, assignment):
    header = cell_by_grade_id(nbformat.read(repo.source_notebook(assignment), as_version=4), "header").source
    graded = header[header.index("**How it is graded.**"):]
    assert " ".join(STUDENT_TEXT.split()) in " ".join(graded.split())


def _mse_off_by(share: float, dtype: torch.dtype):
    """An MSE that is exact, except on inputs of ``dtype``, where it is off by ``share`` of the bound."""
    def mse_loss(input, target):
        exact = ((input.double() - target.double()) ** 2).mean()
        return exact + share * float(bound(exact.numpy(), dtype)) if input.dtype == dtype else exact
    return mse_loss


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
def test_a_result_just_inside_the_bound_earns_full_marks(dtype):
    assert lm.mse_loss_own(_mse_off_by(0.9, dtype), points=5) == 5.0


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
def test_a_result_just_outside_the_bound_is_caught_with_the_values_side_by_side(dtype):
    with pytest.raises(AssertionError, match=rf"{re.escape(str(dtype))} inputs gave .*, expected "):
        lm.mse_loss_own(_mse_off_by(1.1, dtype), points=5)


class DiceLossWithEps(torch.nn.Module):
    """The course's DiceLoss with an eps added to the denominator, as libraries do."""

    def __init__(self, from_logits=False, eps=1e-6):
        super().__init__()
        self.from_logits, self.eps = from_logits, eps

    def forward(self, pred, target):
        p = torch.sigmoid(pred) if self.from_logits else pred
        return 1 - (2 * (p * target).sum() + 1) / (p.sum() + target.sum() + 1 + self.eps)


def test_an_eps_of_1e_6_in_a_denominator_is_rounding():
    assert cl.dice_loss_module(DiceLossWithEps, points=8) == 8.0


def test_an_eps_that_changes_a_stated_convention_is_a_mistake():
    def batch_dice_loss(preds, targets, smooth=1e-6):  # eps 1e-5 next to smooth 1e-6: an empty sample is no longer 1
        p, t = preds.flatten(1), targets.flatten(1)
        return (1 - (2 * (p * t).sum(1) + smooth) / (p.sum(1) + t.sum(1) + smooth + 1e-5)).mean()

    def psnr_db(img1, img2, data_range):  # identical images are inf, not 100 dB
        mse = ((torch.as_tensor(img1).double() - torch.as_tensor(img2).double()) ** 2).mean()
        return 10 * torch.log10(data_range ** 2 / (mse + 1e-10))

    with pytest.raises(AssertionError, match="a perfect prediction with an empty sample"):
        cl.batch_dice_loss_own(batch_dice_loss, points=10)
    assert bb.psnr_check(psnr_db, points=8) < 8.0


TOLERANCE = re.compile(r"(?:\)\s*<|atol=)\s*(\d(?:\.\d+)?e-\d+)")


@pytest.mark.parametrize("assignment", assignment_names(REPO))
def test_no_visible_check_is_stricter_than_the_policy(repo, assignment):
    notebook = nbformat.read(repo.source_notebook(assignment), as_version=4)
    found = [float(t) for cell in notebook.cells if "@visible_check(" in cell.source
             for t in TOLERANCE.findall(cell.source)]
    assert found and min(found) >= ATOL[F64], sorted(found)[:3]
