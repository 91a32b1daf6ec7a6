"""Are results compared as plain numbers, whatever the student's function returned?"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mllab.grading.compare import expect_close
from mllab.grading.values import ResultTypeError, to_array, to_scalar


class EqualsEverything:
    def __eq__(self, other):
        return True

    def __sub__(self, other):
        return 0.0

    __rsub__ = __sub__

    def __abs__(self):
        return 0.0

    def __float__(self):
        return 0.5


@pytest.mark.parametrize("value", [0.5, np.float64(0.5), np.float32(0.5), torch.tensor(0.5), torch.tensor([0.5]),
                                   torch.tensor(0.5, dtype=torch.float64, requires_grad=True)])
def test_floats_numpy_scalars_and_tensors_are_all_accepted(value):
    assert to_scalar(value, what="f") == 0.5


def test_an_object_that_equals_everything_gains_nothing():
    with pytest.raises(ResultTypeError, match="EqualsEverything"):
        expect_close(EqualsEverything(), 0.5, what="f")


def test_a_list_of_zero_dim_tensors_is_read_as_an_array():
    assert to_array([torch.tensor(0.1), torch.tensor(0.2)], what="f").tolist() == pytest.approx([0.1, 0.2])


def test_a_wrong_shape_is_reported_with_the_expected_shape():
    with pytest.raises(AssertionError, match=r"expected shape \(4,\)"):
        expect_close(torch.tensor(1.0), torch.ones(4), what="cosine_similarity")


def test_a_known_mistake_is_explained_in_words():
    with pytest.raises(AssertionError, match="square each difference"):
        expect_close(4.0, 5.0, what="mse_loss", mistakes={"square each difference before averaging": 4.0})


def test_a_non_finite_result_points_at_overflow():
    with pytest.raises(AssertionError, match="overflow"):
        expect_close(float("nan"), 1.0, what="cross_entropy")
