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


def _sklearn_metric_behind_its_decorator():
    from sklearn.metrics import fbeta_score  # wrapped by scikit-learn's validate_params
    return fbeta_score([0, 1, 1, 0], [0, 1, 0, 0], beta=2.0)


FORBIDDEN = {
    "from torch.nn import functional as Fn": (_aliased_functional, "torch.nn.functional.mse_loss"),
    "a captured functional loss": (_captured_function, "torch.nn.functional.l1_loss"),
    'getattr(torch.nn, "MSE" + "Loss")': (_getattr_class, "torch.nn.MSELoss"),
    "torch.nn.modules.loss": (_modules_loss, "torch.nn.CrossEntropyLoss"),
    "import torchmetrics as tm": (_torchmetrics_alias, "torchmetrics."),
    "torchmetrics.functional": (_torchmetrics_functional, "torchmetrics.functional"),
    "F.cosine_similarity": (_builtin_cosine, "cosine_similarity"),
    "skimage.metrics": (_sklearn_or_skimage_metric, "skimage.metrics"),
    "sklearn.metrics behind a decorator": (_sklearn_metric_behind_its_decorator, "sklearn.metrics"),
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


# ------------------------------------------------------------------ only the student's own calls count

A, B = torch.randn(30, 3, dtype=torch.float64), torch.randn(20, 3, dtype=torch.float64)


def _sklearn_neighbours_brute_force():
    from sklearn.neighbors import NearestNeighbors  # its brute force runs sklearn.metrics' pairwise code
    return NearestNeighbors(n_neighbors=1, algorithm="brute").fit(B.numpy()).kneighbors(A.numpy())[0].mean()


def _skimage_denoiser_calibration():
    from skimage.restoration import calibrate_denoiser, denoise_tv_chambolle  # scores with skimage.metrics' MSE
    image = np.random.default_rng(0).random((12, 12))
    return calibrate_denoiser(image, denoise_tv_chambolle, denoise_parameters={"weight": [0.1, 0.2]})


def _scipy_matching_and_trees():
    from scipy.optimize import linear_sum_assignment
    from scipy.spatial import cKDTree
    from scipy.stats import wasserstein_distance
    rows, cols = linear_sum_assignment(np.linalg.norm(A.numpy()[:20, None] - B.numpy()[None], axis=-1))
    return cKDTree(B.numpy()).query(A.numpy())[0].mean() + wasserstein_distance(A[:, 0], B[:, 0]) + rows.sum() + cols.sum()


def _importing_a_metric_package():
    import sklearn.metrics  # noqa: F401 - importing is not calling
    return 0.0


INSIDE_ALLOWED_LIBRARIES = {
    "sklearn.neighbors (brute force calls sklearn.metrics)": _sklearn_neighbours_brute_force,
    "skimage.restoration (calls skimage.metrics)": _skimage_denoiser_calibration,
    "scipy.optimize, scipy.spatial, scipy.stats": _scipy_matching_and_trees,
    "import sklearn.metrics": _importing_a_metric_package,
}


@pytest.mark.parametrize("way", INSIDE_ALLOWED_LIBRARIES)
def test_what_an_allowed_library_calls_inside_itself_never_counts_as_the_students_call(way):
    _, calls = run_traced(INSIDE_ALLOWED_LIBRARIES[way])
    assert calls.names == []
    require_own(calls, what="f")


def test_a_torch_loss_is_named_once_not_with_the_functions_it_calls_inside():
    _, calls = run_traced(lambda: torch.nn.CrossEntropyLoss()(LOGITS, LABELS))
    assert calls.names == ["torch.nn.CrossEntropyLoss"]  # not F.cross_entropy, F.nll_loss inside it


def _loss_in_a_container():
    return torch.nn.ModuleList([torch.nn.MSELoss()])[0](X, Y) + torch.nn.Sequential(torch.nn.L1Loss())[0](X, Y)


def _loss_through_functools_and_map():
    import functools
    return functools.reduce(lambda a, b: a + b, map(functools.partial(torch.nn.functional.l1_loss), [X], [Y]))


@pytest.mark.parametrize("function, expected", [(_loss_in_a_container, "torch.nn.MSELoss"),
                                                (_loss_through_functools_and_map, "torch.nn.functional.l1_loss")])
def test_a_loss_passed_on_by_torch_containers_or_the_standard_library_is_still_the_students_call(function, expected):
    _, calls = run_traced(function)
    assert expected in calls.names
