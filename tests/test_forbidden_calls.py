"""Does the own-implementation check catch library losses however they are reached, and only them?"""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest
import torch

from mllab.grading.scoring import StudentCodeError, call_student, require_own
from mllab.grading.tracer import run_traced

X, Y = torch.randn(6), torch.randn(6)
LOGITS, LABELS = torch.randn(4, 3), torch.tensor([0, 2, 1, 2])


def _aliased_functional():
    from torch.nn import functional as Fn
    return Fn.mse_loss(X, Y)


def _captured_function():
    from torch.nn.functional import l1_loss as distance
    return distance(X, Y)


def _getattr_class():
    return getattr(torch.nn, "MSE" + "Loss")()(X, Y)


def _modules_loss():
    return torch.nn.modules.loss.CrossEntropyLoss()(LOGITS, LABELS)


def _torchmetrics_alias():
    tm = importlib.import_module("torchmetrics")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tm.CosineSimilarity(reduction="none")(X[None], Y[None])


def _torchmetrics_functional():
    import torchmetrics.functional as tmf
    return tmf.mean_squared_error(X, Y)


def _builtin_cosine():
    return torch.nn.functional.cosine_similarity(X[None], Y[None])


def _sklearn_or_skimage_metric():
    from skimage.metrics import mean_squared_error
    return mean_squared_error(X.numpy(), Y.numpy())


FORBIDDEN = {
    "from torch.nn import functional as Fn": (_aliased_functional, "torch.nn.functional.mse_loss"),
    "a captured functional loss": (_captured_function, "torch.nn.functional.l1_loss"),
    'getattr(torch.nn, "MSE" + "Loss")': (_getattr_class, "torch.nn.MSELoss"),
    "torch.nn.modules.loss": (_modules_loss, "torch.nn.CrossEntropyLoss"),
    "import torchmetrics as tm": (_torchmetrics_alias, "torchmetrics."),
    "torchmetrics.functional": (_torchmetrics_functional, "torchmetrics.functional"),
    "F.cosine_similarity": (_builtin_cosine, "cosine_similarity"),
    "skimage.metrics": (_sklearn_or_skimage_metric, "skimage.metrics"),
}


@pytest.mark.parametrize("way", FORBIDDEN)
def test_library_losses_are_caught_however_they_are_reached(way):
    function, expected = FORBIDDEN[way]
    _, calls = run_traced(function)
    assert calls.names and expected in calls.names[0]
    with pytest.raises(AssertionError, match="calls .*own implementation"):
        require_own(calls, what="f")


def _plain_torch_math():
    logp = torch.log_softmax(LOGITS, dim=1)
    picked = logp.gather(1, LABELS[:, None])
    hot = torch.nn.functional.one_hot(LABELS, 3)
    return torch.logsumexp(LOGITS, 1).mean() - picked.mean() + hot.sum() + torch.nn.functional.softmax(LOGITS, 1).sum()


def _numpy_math():
    return np.mean((X.numpy() - Y.numpy()) ** 2) + np.linalg.norm(X.numpy())


@pytest.mark.parametrize("function", [_plain_torch_math, _numpy_math])
def test_torch_and_numpy_math_are_never_flagged(function):
    _, calls = run_traced(function)
    assert calls.names == []
    require_own(calls, what="f")


def test_switching_the_profiler_off_is_noticed():
    import sys

    def sneaky():
        sys.setprofile(None)
        return torch.nn.MSELoss()(X, Y)

    _, calls = run_traced(sneaky)
    assert calls.tampered
    with pytest.raises(AssertionError, match="profiler"):
        require_own(calls, what="f")


def test_student_exceptions_become_a_readable_failure():
    def unfinished(x):
        raise NotImplementedError()

    with pytest.raises(StudentCodeError, match="not implemented yet"):
        call_student(unfinished, X, what="mse_loss")


def test_the_student_cannot_change_the_inputs_the_checks_reuse():
    def vandal(x):
        x.zero_()
        return x.sum()

    original = X.clone()
    call_student(vandal, X, what="vandal")
    assert torch.equal(X, original)
