"""Does every visible check fail for its task's most common mistake, with that mistake's own message?

A student who sees ✓ under a task should not then lose most of its points in the hidden tests for
the mistake students make most often there (issue 29). For every graded test cell with a visible
check, :data:`MOST_COMMON` names that mistake (its id in the hidden checks) and an implementation
that makes it. The hidden check must name the mistake, and the visible check, run as the release
shows it on the instructor's solutions with that one function replaced, must fail with the very
explanation the hidden check gives. (`mllab check-tests` decides the same per task for each task's
first named mistake in its corpus; this is the stronger check of every cell.)
"""

from __future__ import annotations

import ast
import importlib
import math
import re
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchmetrics

from mllab.checktests.notebook_run import HIDDEN, has_visible_check, namespace_with, visible_failure
from mllab.course.assignments import assignment_names
from mllab.grading import findings
from tests.conftest import REPO

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


# ------------------------------------------------------------------ loss_and_metric

def mae_no_abs(input, target):
    return (input - target).mean()


def mse_square_of_mean(input, target):
    return (input - target).mean() ** 2


def ce_softmax_over_samples(input, target):
    return -torch.log_softmax(input, dim=0)[torch.arange(len(target)), target].mean()


def ce_naive(input, target):
    probs = torch.exp(input) / torch.exp(input).sum(dim=1, keepdim=True)
    return -torch.log(probs[torch.arange(len(target)), target]).mean()


def ce_lib_softmax_first(input, target):
    return torch.nn.CrossEntropyLoss()(torch.softmax(input, dim=1), target)


def ce_softmax_into_nll(input, target):
    return torch.nn.NLLLoss()(torch.nn.Softmax(dim=1)(input), target)


def cosine_by_columns(preds, target):
    return (preds * target).sum(dim=0) / (preds.norm(dim=0) * target.norm(dim=0))


def cosine_lib_default_reduction(preds, target):
    return torchmetrics.CosineSimilarity()(preds, target)


def accuracy_macro_for_micro(preds, target, num_classes, average="micro"):
    per_class = torch.stack([((preds == c) & (target == c)).sum() / (target == c).sum() for c in range(num_classes)])
    return per_class if average == "none" else per_class.mean()


def accuracy_lib_default_average(preds, target, num_classes, average="micro"):
    from torchmetrics.classification import MulticlassAccuracy
    return MulticlassAccuracy(num_classes=num_classes, average="none" if average == "none" else "macro")(preds, target)


def roc_swapped(preds, target, thresholds):
    positive = preds[None, :] >= thresholds[:, None]
    tpr = (positive & (target == 1)).sum(1) / (target == 1).sum()
    fpr = (positive & (target == 0)).sum(1) / (target == 0).sum()
    return tpr, fpr


def roc_lib_as_binaryroc_lists_it(preds, target, thresholds):
    from torchmetrics.classification import BinaryROC
    fpr, tpr, _ = BinaryROC(thresholds=thresholds)(preds, target)
    return fpr, tpr


def dice_as_iou(pred, gt, ignore_index=2):
    p, g = np.asarray(pred) == 1, np.asarray(gt) == 1
    return (p & g).sum() / (p | g).sum()


def dice_lib_with_background(pred, gt):
    from torchmetrics.segmentation import DiceScore
    as_batch = lambda mask: torch.as_tensor(np.asarray(mask)).long()[None]
    return DiceScore(num_classes=3, input_format="index")(as_batch(pred), as_batch(gt))


def ssim_added_factors(img1, img2):
    import cv2
    window = cv2.getGaussianKernel(11, 1.5) @ cv2.getGaussianKernel(11, 1.5).T
    blur = lambda z: cv2.filter2D(z, -1, window)
    mu1, mu2 = blur(img1), blur(img2)
    var1, var2, cov = blur(img1 * img1) - mu1 ** 2, blur(img2 * img2) - mu2 ** 2, blur(img1 * img2) - mu1 * mu2
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    return float((((2 * mu1 * mu2 + c1) + (2 * cov + c2)) / ((mu1 ** 2 + mu2 ** 2 + c1) * (var1 + var2 + c2))).mean())


def to_tensor_reshaped(img_np_whc):
    h, w, c = img_np_whc.shape
    return torch.from_numpy(np.ascontiguousarray(img_np_whc)).reshape(1, c, h, w).float()


def ssim_lib_without_data_range(img1, img2):
    from torchmetrics.image import StructuralSimilarityIndexMeasure
    return StructuralSimilarityIndexMeasure()(img1, img2)


# ------------------------------------------------------------------ custom_losses

def rmse_without_root(pred, target):
    return ((pred - target) ** 2).mean()


def r2_squared_correlation(pred, target):
    return torch.corrcoef(torch.stack([pred, target]))[0, 1] ** 2


def nll_probs_into_nllloss(probs, target):
    return torch.nn.NLLLoss()(probs, target)


def cce_mean_over_entries(y_true_onehot, y_pred_probs):
    return -(y_true_onehot * torch.log(y_pred_probs)).mean()


def sparse_cce_log_softmax(y_true, y_pred_probs):
    return -torch.log_softmax(y_pred_probs, dim=1)[torch.arange(len(y_true)), y_true].mean()


def weighted_bce_as_weight(logits, target, pos_weight):
    return torch.nn.BCEWithLogitsLoss(weight=pos_weight)(logits, target)


def kl_swapped(p, q):
    terms = (q * (q / p).log()).sum(dim=-1)
    return terms if p.dim() == 1 else terms.mean()


def batch_dice_global(preds, targets, smooth=1e-6):
    return 1 - (2 * (preds * targets).sum() + smooth) / (preds.sum() + targets.sum() + smooth)


class _Mask(torch.nn.Module):
    def __init__(self, from_logits=False, **options):
        super().__init__()
        self.from_logits, self.options = from_logits, options

    def forward(self, pred, target):
        p = torch.sigmoid(pred) if self.from_logits else pred
        tp, fn, fp = (p * target).sum(), ((1 - p) * target).sum(), (p * (1 - target)).sum()
        return self.loss(p, target, tp, fn, fp, **self.options)


class DiceSmoothInDenominatorOnly(_Mask):
    def loss(self, p, t, tp, fn, fp):
        return 1 - 2 * tp / (p.sum() + t.sum() + 1)


class TverskySwapped(_Mask):
    def loss(self, p, t, tp, fn, fp, alpha=0.5, beta=0.5):
        return 1 - (tp + 1) / (tp + beta * fn + alpha * fp + 1)


class FocalTverskyInverseGamma(_Mask):
    def loss(self, p, t, tp, fn, fp, alpha=0.5, beta=0.5, gamma=1.0):
        return (1 - (tp + 1) / (tp + alpha * fn + beta * fp + 1)) ** (1 / gamma)


class DicePlusWeightedBce(_Mask):
    def loss(self, p, t, tp, fn, fp, bce_weight=0.5):
        return 1 - (2 * tp + 1) / (p.sum() + t.sum() + 1) + bce_weight * F.binary_cross_entropy(p, t)


def summary_default_accuracy(probs, target, num_classes):
    from torchmetrics.functional import classification as tmc
    metrics = {"accuracy": tmc.multiclass_accuracy, "f1": tmc.multiclass_f1_score,
               "precision": tmc.multiclass_precision, "recall": tmc.multiclass_recall}
    summary = {name: {average: metric(probs, target, num_classes=num_classes, average=average)
                      for average in ("micro", "macro", "none")} for name, metric in metrics.items()}
    summary["accuracy"]["micro"] = tmc.multiclass_accuracy(probs, target, num_classes=num_classes)
    summary["confusion_matrix"] = tmc.multiclass_confusion_matrix(probs, target, num_classes=num_classes)
    return summary


# ------------------------------------------------------------------ beyond_basics

def psnr_natural_log(img1, img2, data_range):
    mse = ((torch.as_tensor(img1).double() - torch.as_tensor(img2).double()) ** 2).mean()
    return 10 * torch.log(data_range ** 2 / mse)


def box_iou_plus_one(boxes1, boxes2):
    top_left = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    bottom_right = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    inter = (bottom_right - top_left + 1).clamp(min=0).prod(-1)
    area = lambda b: (b[:, 2] - b[:, 0] + 1) * (b[:, 3] - b[:, 1] + 1)
    return inter / (area(boxes1)[:, None] + area(boxes2)[None, :] - inter)


def fbeta_beta_not_squared(preds, target, beta):
    positive, actual = preds > 0.5, target == 1
    tp = (positive & actual).sum().double()
    if tp == 0:
        return 0.0
    precision, recall = tp / positive.sum(), tp / actual.sum()
    return (1 + beta) * precision * recall / (beta * precision + recall)


def fft_loss_modulus_of_difference(pred, target, base="l1"):
    d = (lambda x: x.abs()) if base == "l1" else (lambda x: x ** 2)
    spectrum = torch.fft.fft(pred, dim=1, norm="forward") - torch.fft.fft(target, dim=1, norm="forward")
    return d(pred - target).mean() + d(spectrum.abs()).mean()


def chamfer_one_sided(a, b):
    return (torch.cdist(a, b) ** 2).min(dim=1).values.mean()


def emd_nearest_neighbours(a, b):
    return torch.cdist(a.double(), b.double()).min(dim=1).values.mean()


def gaussian_nll_without_log_variance(mu, var, target):
    return (0.5 * (target - mu) ** 2 / var).mean() + HALF_LOG_2PI


def eikonal_squared_norm(sdf, points):
    x = points.detach().requires_grad_(True)
    (gradient,) = torch.autograd.grad(sdf(x).sum(), x, create_graph=True)
    return ((gradient.norm(dim=-1) ** 2 - 1) ** 2).mean()


def _remaining_means(errors, order, steps):
    n = len(errors)
    return torch.stack([errors[order][n * i // steps:].mean() for i in range(steps)])


def sparsification_least_uncertain_first(errors, uncertainty, steps=20):
    errors = errors.double()
    curve = _remaining_means(errors, torch.argsort(uncertainty), steps) - \
        _remaining_means(errors, torch.argsort(errors, descending=True), steps)
    return torch.arange(steps, dtype=torch.float64) / steps, curve


def ause_least_uncertain_first(errors, uncertainty, steps=20):
    fractions, curve = sparsification_least_uncertain_first(errors, uncertainty, steps)
    return torch.trapezoid(curve, fractions)


MOST_COMMON = {  # (assignment, test cell): (the mistake's id, the functions that make it)
    ("loss_and_metric", "test_mae_own"): ("mae.no_abs", {"mae_loss": mae_no_abs}),
    ("loss_and_metric", "test_mse_own"): ("mse.square_of_mean", {"mse_loss": mse_square_of_mean}),
    ("loss_and_metric", "test_mse_mae_lib"): ("mse.sum_not_mean",
                                              {"mse_loss_lib": torch.nn.MSELoss(reduction="sum")}),
    ("loss_and_metric", "test_ce_own"): ("cross_entropy.softmax_wrong_dim", {"cross_entropy": ce_softmax_over_samples}),
    ("loss_and_metric", "test_ce_stable"): ("cross_entropy.naive_softmax", {"cross_entropy": ce_naive}),
    ("loss_and_metric", "test_ce_lib"): ("cross_entropy.softmax_twice", {"cross_entropy_lib": ce_lib_softmax_first}),
    ("loss_and_metric", "test_ce_logsoftmax_nll"): ("cross_entropy.probs_not_log",
                                                    {"cross_entropy_logsoftmax_nll": ce_softmax_into_nll}),
    ("loss_and_metric", "test_cosine_own"): ("cosine.wrong_axis", {"cosine_similarity": cosine_by_columns}),
    ("loss_and_metric", "test_cosine_lib"): ("cosine.reduced", {"cosine_similarity_lib": cosine_lib_default_reduction}),
    ("loss_and_metric", "test_accuracy_own"): ("accuracy.macro_as_micro", {"accuracy": accuracy_macro_for_micro}),
    ("loss_and_metric", "test_accuracy_lib"): ("accuracy.macro_as_micro",
                                               {"accuracy_lib": accuracy_lib_default_average}),
    ("loss_and_metric", "test_roc_own"): ("roc.swapped_rates", {"roc_curve_points": roc_swapped}),
    ("loss_and_metric", "test_roc_lib"): ("roc.order_reversed", {"roc_curve_lib": roc_lib_as_binaryroc_lists_it}),
    ("loss_and_metric", "test_dice_own"): ("dice.iou_instead", {"dice_": dice_as_iou}),
    ("loss_and_metric", "test_dice_lib"): ("dice.background_averaged", {"dice_lib": dice_lib_with_background}),
    ("loss_and_metric", "test_ssim_own"): ("ssim.added_factors", {"SSIM_": ssim_added_factors}),
    ("loss_and_metric", "test_to_tensor"): ("tensor_layout.reshape_not_permute",
                                            {"np_whc_to_tensor_bcwh": to_tensor_reshaped}),
    ("loss_and_metric", "test_ssim_lib"): ("ssim.data_range_missing", {"ssim_lib": ssim_lib_without_data_range}),
    ("custom_losses", "test_rmse_own"): ("rmse.mse_instead", {"rmse": rmse_without_root}),
    ("custom_losses", "test_r2_own"): ("r2.squared_correlation", {"r2_score": r2_squared_correlation}),
    ("custom_losses", "test_nll_from_probs"): ("nll.probs_not_log", {"nll_from_probs": nll_probs_into_nllloss}),
    ("custom_losses", "test_cce_own"): ("cross_entropy.mean_over_classes",
                                        {"categorical_cross_entropy": cce_mean_over_entries}),
    ("custom_losses", "test_sparse_cce_own"): ("cross_entropy.softmax_twice",
                                               {"sparse_categorical_cross_entropy": sparse_cce_log_softmax}),
    ("custom_losses", "test_weighted_bce"): ("weighted_bce.weight_for_pos_weight",
                                             {"weighted_bce_with_logits": weighted_bce_as_weight}),
    ("custom_losses", "test_kl"): ("kl.direction_swapped", {"kl_divergence": kl_swapped}),
    ("custom_losses", "test_batch_dice_own"): ("batch_dice.global_dice", {"batch_dice_loss": batch_dice_global}),
    ("custom_losses", "test_dice_loss"): ("dice.smooth_denominator_only", {"DiceLoss": DiceSmoothInDenominatorOnly}),
    ("custom_losses", "test_tversky_loss"): ("tversky.alpha_beta_swapped", {"TverskyLoss": TverskySwapped}),
    ("custom_losses", "test_focal_tversky_loss"): ("focal_tversky.inverse_gamma",
                                                   {"FocalTverskyLoss": FocalTverskyInverseGamma}),
    ("custom_losses", "test_dice_bce_loss"): ("dice_bce.dice_plus_weighted_bce", {"DiceBCELoss": DicePlusWeightedBce}),
    ("custom_losses", "test_classification_summary"): ("accuracy.macro_as_micro",
                                                       {"classification_summary": summary_default_accuracy}),
    ("beyond_basics", "test_psnr_own"): ("psnr.natural_log", {"psnr_db": psnr_natural_log}),
    ("beyond_basics", "test_box_iou_own"): ("iou.pixel_plus_one", {"box_iou": box_iou_plus_one}),
    ("beyond_basics", "test_fbeta_own"): ("fbeta.beta_not_squared", {"fbeta": fbeta_beta_not_squared}),
    ("beyond_basics", "test_fft_loss_own"): ("fft.modulus_of_difference", {"fft_loss": fft_loss_modulus_of_difference}),
    ("beyond_basics", "test_chamfer_own"): ("chamfer.one_sided", {"chamfer_distance": chamfer_one_sided}),
    ("beyond_basics", "test_emd_own"): ("emd.nearest_neighbour", {"earth_movers_distance": emd_nearest_neighbours}),
    ("beyond_basics", "test_gaussian_nll_own"): ("gaussian_nll.no_log_variance",
                                                 {"gaussian_nll": gaussian_nll_without_log_variance}),
    ("beyond_basics", "test_eikonal_own"): ("eikonal.squared_norm", {"eikonal_loss": eikonal_squared_norm}),
    ("beyond_basics", "test_sparsification_own"): ("sparsification.least_uncertain_first",
                                                   {"sparsification_error_curve": sparsification_least_uncertain_first}),
    ("beyond_basics", "test_ause_own"): ("sparsification.least_uncertain_first",
                                         {"ause": ause_least_uncertain_first}),
}


# ------------------------------------------------------------------ running a cell's two checks

def _with_a_visible_check(solved) -> dict:
    """The graded test cells that have a visible check, by grade id."""
    return {grade_id: cell for grade_id, cell in solved.test_cells().items()
            if solved.cell(grade_id).metadata["nbgrader"].get("points") and has_visible_check(cell)}


def _hidden_mistakes(cell, namespace) -> dict[str, str]:
    """Run the cell's hidden check on ``namespace``: the named mistakes its failure gave, id → explanation."""
    hidden = HIDDEN.search(cell.source).group(1)  # the first block calls the check
    call = ast.parse(hidden.strip().splitlines()[-1].removeprefix("_points = "), mode="eval").body
    module = re.search(r"from mllab\.checks import (\w+) as hidden", cell.source).group(1)
    check = getattr(importlib.import_module(f"mllab.checks.{module}"), call.func.attr)
    arguments = [namespace[a.id] for a in call.args]
    with findings.collecting() as parts, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            check(*arguments, points=1.0)
        except AssertionError:
            pass
    return {m.id: str(m) for part in parts for m in part.mistakes}


@pytest.fixture(scope="module")
def solved(solved_notebook):
    """Each assignment's notebook run with the instructor's solutions (as check-tests runs it)."""
    return {assignment: solved_notebook(assignment) for assignment in assignment_names(REPO)}


@pytest.mark.parametrize("assignment", assignment_names(REPO))
def test_every_graded_visible_check_has_its_most_common_mistake_named(solved, assignment):
    cells = _with_a_visible_check(solved[assignment])
    assert sorted(cells) == sorted(cell for a, cell in MOST_COMMON if a == assignment)


def test_the_instructors_solutions_pass_every_visible_check(solved):
    for assignment, notebook in solved.items():
        for grade_id in _with_a_visible_check(notebook):
            assert visible_failure(notebook, grade_id) is None, (assignment, grade_id)


@pytest.mark.parametrize("assignment, grade_id", list(MOST_COMMON), ids=[f"{a}-{c}" for a, c in MOST_COMMON])
def test_the_visible_check_fails_for_the_most_common_mistake_with_the_hidden_checks_explanation(solved, assignment,
                                                                                                grade_id):
    mistake_id, wrong = MOST_COMMON[assignment, grade_id]
    notebook = solved[assignment]
    cell = _with_a_visible_check(notebook)[grade_id]
    named = _hidden_mistakes(cell, namespace_with(notebook, wrong))
    assert mistake_id in named, f"the hidden check names {sorted(named)}"
    failure = visible_failure(notebook, grade_id, namespace_with(notebook, wrong))
    assert failure is not None and named[mistake_id] in failure, failure
