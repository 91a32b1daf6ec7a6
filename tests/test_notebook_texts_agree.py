"""Do each notebook's words, its visible checks and its hidden references agree (issue 29)?

One test per finding of the issue: where the text and a check used to part ways, the text now
says what the check does, and the check does what the text says. They call the check functions
directly, on implementations a student following the text (or torch's documentation) would write.
"""

from __future__ import annotations

import inspect
import re

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skimage import io

from mllab.checks import beyond_basics as bb
from mllab.checks import custom_losses as cl
from mllab.checks import loss_and_metric as lm
from mllab.checks.contracts import contracts, violations
from mllab.checks.contracts.beyond_basics import EMD_MAX_POINTS, GAUSSIAN_NLL_EPS
from mllab.checks.ssim_reference import BORDERS
from mllab.grading.tracer import run_traced
from tests.conftest import cell_by_grade_id


def _notebook(repo, assignment):
    return nbformat.read(repo.source_notebook(assignment), as_version=4)


def _text(repo, assignment) -> str:
    """The notebook's markdown, lines joined (a phrase may be wrapped anywhere)."""
    return " ".join(" ".join(c.source.split()) for c in _notebook(repo, assignment).cells if c.cell_type == "markdown")


def _contract(assignment, name):
    return next(c for c in contracts(assignment) if c.name == name)


def visible_check_error(repo, assignment, grade_id, namespace) -> str | None:
    """Run a test cell's visible check (as the release shows it) on ``namespace``: its failure, or None."""
    notebook = _notebook(repo, assignment)
    exec(cell_by_grade_id(notebook, "self_check_helpers").source, namespace)
    visible = re.sub(r"### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS\n?", "",
                     cell_by_grade_id(notebook, grade_id).source, flags=re.S)
    try:
        exec(visible, namespace)
    except AssertionError as failure:
        return str(failure)
    return None


# ------------------------------------------------------------------ 1: the macro average (custom_losses)

def test_the_macro_average_leaves_out_a_class_absent_from_target_and_predictions_as_the_text_says(repo):
    from torchmetrics.functional.classification import multiclass_f1_score
    label, probs, target, classes = next(case for case in cl._summary_cases() if "absent" in case[0])
    per_class = multiclass_f1_score(probs, target, num_classes=classes, average="none")
    macro = float(cl._metric_ref("f1", probs, target, classes, "macro"))
    present = torch.unique(torch.cat([target, probs.argmax(1)]))
    assert macro == pytest.approx(float(per_class[present].mean())) and macro != pytest.approx(float(per_class.mean()))
    assert "the plain mean over the classes that occur in the target or in the predictions" in _text(repo, "custom_losses")
    assert "absent from both" in _contract("custom_losses", "classification_summary").arg("num_classes").text


# ------------------------------------------------------------------ 2: the Gaussian NLL's variances (beyond_basics)

def gaussian_nll_unclamped(mu, var, target):
    return (0.5 * (torch.log(var) + (target - mu) ** 2 / var)).mean() + 0.5 * np.log(2 * np.pi)


def gaussian_nll_clamped_like_torch(mu, var, target):
    return gaussian_nll_unclamped(mu, var.clamp(min=1e-6), target)


@pytest.mark.parametrize("solution", [gaussian_nll_unclamped, gaussian_nll_clamped_like_torch])
def test_clamping_the_variance_at_torchs_eps_or_not_both_earn_full_marks(solution):
    assert inspect.signature(torch.nn.GaussianNLLLoss).parameters["eps"].default == GAUSSIAN_NLL_EPS
    assert _contract("beyond_basics", "gaussian_nll").arg("var").low == GAUSSIAN_NLL_EPS
    assert any(float(var.min()) == GAUSSIAN_NLL_EPS for _, _, _, var, _ in bb._gaussian_nll_cases())
    assert bb.gaussian_nll_check(solution, points=10) == 10.0


# ------------------------------------------------------------------ 3: R² near a perfect fit (custom_losses)

def test_r2_is_the_stated_formula_also_near_a_perfect_fit_where_torchmetrics_says_1(repo):
    from torchmetrics.functional import r2_score
    formula = lambda pred, target: 1 - ((target - pred) ** 2).sum() / ((target - target.mean()) ** 2).sum()
    _, _, pred, target = next(case for case in cl._r2_cases() if case[0] == cl.NEAR_PERFECT_FIT)
    assert float(r2_score(pred, target)) == 1.0 and float(formula(pred, target)) < 0.999
    assert cl.r2_score_own(formula, points=5) == 5.0
    assert "for `r2_score` it is the formula above, exactly" in _text(repo, "custom_losses")


# ------------------------------------------------------------------ 4: SSIM's image sizes and border rules (loss_and_metric)

def test_the_ssim_visible_checks_keep_the_stated_size_and_the_text_names_every_accepted_border_rule(repo):
    notebook = _notebook(repo, "loss_and_metric")
    for grade_id in ("test_ssim_own", "test_ssim_lib"):
        sizes = re.findall(r"random\(\((\d+), (\d+)\)\)|rand\(1, 3, (\d+), (\d+)", cell_by_grade_id(notebook, grade_id).source)
        assert sizes and all(int(n) >= 32 for size in sizes for n in size if n), grade_id
    assert "H, W ≥ 32" in _contract("loss_and_metric", "SSIM_").arg("img1").text
    text = _text(repo, "loss_and_metric")
    for rule in ("reflecting", "mirroring", "replicating the edge", "zero padding", "keeping only the windows that fit"):
        assert rule in text
    assert len(BORDERS) + 1 == 5  # the four border modes and cropping, as the text lists them


# ------------------------------------------------------------------ 5: ignore_index in Dice (loss_and_metric)

def test_ignore_index_leaves_out_the_background_class_not_its_pixels_which_differs_on_the_notebooks_own_masks(repo):
    pet = repo.root / "data" / "yorkshire"
    pred, gt = io.imread(pet / "pred.png"), io.imread(pet / "gt.png")
    course = float(lm._dice_ref(pred, gt))
    kept = gt != 2  # torch's reading: drop the pixels whose target is the ignored label
    torch_reading = 2 * np.sum((pred == 1) & (gt == 1)) / (np.sum((pred == 1) & kept) + np.sum(gt == 1))
    assert abs(torch_reading - course) > 1e-3
    dropped_pixels = lm._dice_mistakes(pred, gt)
    assert any(value == pytest.approx(torch_reading) for value in dropped_pixels.values())
    text = _text(repo, "loss_and_metric")
    assert "This is not what `ignore_index` means in torch and torchmetrics" in text
    assert "`dice_lib` has no `ignore_index` argument" in text
    assert [a.name for a in _contract("loss_and_metric", "dice_lib").args] == ["pred", "gt"]


# ------------------------------------------------------------------ 6: np_whc_to_tensor_bcwh (loss_and_metric)

@pytest.mark.parametrize("dtype", [None, torch.float32])
def test_the_layout_conversion_may_keep_the_inputs_dtype_or_convert_to_float32(repo, dtype):
    def np_whc_to_tensor_bcwh(img):
        tensor = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None]
        return tensor if dtype is None else tensor.to(dtype)
    assert lm.to_tensor_own(np_whc_to_tensor_bcwh, points=3) == 3.0
    assert 'the docstring\'s H×W×C and 1×C×H×W are what is meant' in _text(repo, "loss_and_metric")


# ------------------------------------------------------------------ 7: which library calls (all three)

def chamfer_with_sklearn_neighbours(a, b):
    from sklearn.neighbors import NearestNeighbors
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    nearest = lambda x, y: NearestNeighbors(n_neighbors=1, algorithm="brute").fit(y).kneighbors(x)[0] ** 2
    return float(nearest(a, b).mean() + nearest(b, a).mean())


def test_an_own_implementation_built_on_an_allowed_library_and_a_library_task_in_functional_form_earn_full_marks(repo):
    assert bb.chamfer_check(chamfer_with_sklearn_neighbours, points=12) == 12.0
    assert lm.mae_mse_library(F.l1_loss, F.mse_loss, points=4) == 4.0
    assert lm.cross_entropy_library(F.cross_entropy, points=4) == 4.0
    for assignment in ("loss_and_metric", "custom_losses", "beyond_basics"):
        text = _text(repo, assignment)
        assert "Only the calls your own code makes count" in text and "`sklearn.metrics`" in text, assignment


# ------------------------------------------------------------------ 9: the FFT loss's visible check (beyond_basics)

def fft_loss_modulus_of_difference(pred, target, base="l1"):
    d = (lambda x: x.abs()) if base == "l1" else (lambda x: x ** 2)
    spectrum = torch.fft.fft(pred, dim=1, norm="forward") - torch.fft.fft(target, dim=1, norm="forward")
    return d(pred - target).mean() + d(spectrum.abs()).mean()


def test_the_fft_visible_check_catches_the_modulus_of_the_spectrum_difference_with_its_named_message(repo):
    message = visible_check_error(repo, "beyond_basics", "test_fft_loss_own",
                                  {"torch": torch, "fft_loss": fft_loss_modulus_of_difference})
    assert message == str(bb.FFT_MODULUS_OF_DIFFERENCE)
    with pytest.raises(AssertionError, match=re.escape(str(bb.FFT_MODULUS_OF_DIFFERENCE))):
        bb.fft_loss_check(fft_loss_modulus_of_difference, points=12)


# ------------------------------------------------------------------ 10: sizes and calling contexts (beyond_basics, custom_losses)

def test_the_emd_contract_bounds_the_number_of_points_and_the_checks_keep_it():
    contract = _contract("beyond_basics", "earth_movers_distance")
    assert f"≤ {EMD_MAX_POINTS} points" in contract.arg("a").text
    too_many = torch.zeros(EMD_MAX_POINTS + 1, 3)
    assert any("at most 100" in problem for problem in violations(contract, (too_many, too_many), {}))
    assert max(len(a) for _, _, a, _ in bb._emd_cases()) <= EMD_MAX_POINTS


def test_the_eikonal_check_calls_the_loss_with_gradients_enabled_even_under_no_grad():
    def eikonal_loss(sdf, points):
        x = points.detach().requires_grad_(True)
        (gradient,) = torch.autograd.grad(sdf(x).sum(), x, create_graph=True)
        return ((gradient.norm(dim=-1) - 1) ** 2).mean()
    with torch.no_grad():
        assert bb.eikonal_check(eikonal_loss, points=12) == 12.0
    assert "never under torch.no_grad()" in _contract("beyond_basics", "eikonal_loss").returns


def test_the_batch_dice_smooth_has_a_stated_range_that_the_checks_keep():
    smooth = _contract("custom_losses", "batch_dice_loss").arg("smooth")
    assert (smooth.low, smooth.high) == (1e-8, 1.0) and "from 1e-8 to 1" in smooth.text
    masks = torch.zeros(2, 1, 4, 4)
    assert violations(_contract("custom_losses", "batch_dice_loss"), (masks, masks), {"smooth": 2.0})


SAID_ALLOWED = {  # what the rules of every notebook allow in an own implementation
    "F.one_hot, F.log_softmax, F.softmax, F.normalize": lambda: F.normalize(F.log_softmax(X, 1), dim=1).sum()
    + F.one_hot(torch.tensor([0, 2]), 3).sum() + F.softmax(X, 1).sum(),
    "F.conv2d, F.pad, nn.LogSigmoid, F.logsigmoid": lambda: F.conv2d(F.pad(X[None, None], (1, 1, 1, 1)),
                                                                    torch.ones(1, 1, 3, 3, dtype=torch.float64)).sum()
    + torch.nn.LogSigmoid()(X).sum() + F.logsigmoid(X).sum(),
    "torch.cdist, torch.fft": lambda: torch.cdist(X, X).sum() + torch.fft.fft(X, dim=1).real.sum(),
    "scipy.stats, scipy.optimize": lambda: __import__("scipy.stats").stats.entropy([0.5, 0.5])
    + float(__import__("scipy.optimize").optimize.linear_sum_assignment(torch.cdist(X, X).numpy())[1].sum()),
}
SAID_FORBIDDEN = {  # what they forbid there, and the words every notebook says it with
    "F.l1_loss": (lambda: F.l1_loss(X, X), "loss from `torch.nn`"),
    "nn.MSELoss": (lambda: torch.nn.MSELoss()(X, X), "loss from `torch.nn`"),
    "F.cosine_similarity": (lambda: F.cosine_similarity(X, X), "`F.cosine_similarity`"),
    "F.pairwise_distance": (lambda: F.pairwise_distance(X, X), "`F.pairwise_distance`"),
    "nn.CosineSimilarity": (lambda: torch.nn.CosineSimilarity()(X, X), "(or their modules)"),
    "nn.PairwiseDistance": (lambda: torch.nn.PairwiseDistance()(X, X), "(or their modules)"),
    "torchmetrics": (lambda: __import__("torchmetrics").functional.mean_squared_error(X, X), "`torchmetrics`"),
    "sklearn.metrics": (lambda: __import__("sklearn.metrics").metrics.mean_squared_error(X.numpy(), X.numpy()),
                        "`sklearn.metrics`"),
    "skimage.metrics": (lambda: __import__("skimage.metrics").metrics.mean_squared_error(X.numpy(), X.numpy()),
                        "`skimage.metrics`"),
}
X = torch.rand(4, 5, dtype=torch.float64)


@pytest.mark.parametrize("calls", SAID_ALLOWED)
def test_what_the_rules_allow_in_an_own_implementation_the_grader_allows(calls):
    assert run_traced(SAID_ALLOWED[calls])[1].names == []


@pytest.mark.parametrize("calls", SAID_FORBIDDEN)
def test_what_the_rules_forbid_in_an_own_implementation_the_grader_catches(repo, calls):
    function, words = SAID_FORBIDDEN[calls]
    assert run_traced(function)[1].names
    for assignment in ("loss_and_metric", "custom_losses", "beyond_basics"):
        rules = _text(repo, assignment).split("**The rules.**")[1].split("**How it is graded.**")[0]
        assert words in rules, assignment
