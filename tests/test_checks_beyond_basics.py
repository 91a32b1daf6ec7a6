"""Do the hidden checks of `beyond_basics` grade right and explain wrong?

The checks are called directly (no notebook). The reference solutions below are written as a
student would, independently of the checks' internals.
"""

from __future__ import annotations

import itertools
import math
import re
from functools import partial

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchmetrics
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from mllab.checks import beyond_basics as checks
from mllab.grading import transcript
from mllab.grading.compare import tolerances
from mllab.grading.values import to_array

# ------------------------------------------------------------------ reference solutions


def psnr_db(img1, img2, data_range):
    mse = ((torch.as_tensor(img1) - torch.as_tensor(img2)) ** 2).mean()
    return 10 * torch.log10(data_range ** 2 / mse)


def box_iou(boxes1, boxes2):
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    top_left = torch.max(boxes1[:, None, :2], boxes2[:, :2])
    bottom_right = torch.min(boxes1[:, None, 2:], boxes2[:, 2:])
    wh = (bottom_right - top_left).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter / (area1[:, None] + area2 - inter)


def fbeta(preds, target, beta):
    positive = preds > 0.5
    tp = (positive & (target == 1)).sum()
    fp = (positive & (target == 0)).sum()
    fn = (~positive & (target == 1)).sum()
    if tp == 0:
        return torch.tensor(0.0)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return (1 + beta ** 2) * precision * recall / (beta ** 2 * precision + recall)


def fft_loss(pred, target, base="l1"):
    diff = (lambda a, b: (a - b).abs().mean()) if base == "l1" else (lambda a, b: ((a - b) ** 2).mean())
    P = torch.fft.fft(pred, dim=1, norm="forward")
    T = torch.fft.fft(target, dim=1, norm="forward")
    return diff(pred, target) + diff(P.real, T.real) + diff(P.imag, T.imag)


def chamfer_distance(a, b):
    d = torch.cdist(a, b) ** 2
    return d.min(dim=1).values.mean() + d.min(dim=0).values.mean()


def earth_movers_distance(a, b):
    cost = torch.cdist(a, b)
    rows, cols = linear_sum_assignment(cost.numpy())
    return cost[rows, cols].mean()


def gaussian_nll(mu, var, target):
    return (0.5 * (torch.log(var) + (target - mu) ** 2 / var)).mean() + 0.5 * math.log(2 * math.pi)


def eikonal_loss(sdf, points):
    x = points.detach().clone().requires_grad_(True)
    y = sdf(x)
    (grad,) = torch.autograd.grad(y, x, grad_outputs=torch.ones_like(y), create_graph=True)
    return ((grad.norm(dim=-1) - 1) ** 2).mean()


def sparsification_error_curve(errors, uncertainty, steps=20):
    fractions = torch.arange(steps, dtype=torch.float64) / steps
    by_uncertainty = errors[torch.argsort(uncertainty, descending=True)]
    by_error = torch.sort(errors, descending=True).values
    curve = []
    for f in fractions.tolist():
        k = math.floor(f * len(errors))
        curve.append(by_uncertainty[k:].mean() - by_error[k:].mean())
    return fractions, torch.stack(curve)


def ause(errors, uncertainty, steps=20):
    fractions, curve = sparsification_error_curve(errors, uncertainty, steps)
    return torch.trapezoid(curve.double(), fractions)


# ------------------------------------------------------------------ correct alternatives, written differently

def _np(x):
    return np.asarray(x, dtype=np.float64)


def psnr_numpy(img1, img2, data_range):
    mse = np.mean((_np(img1) - _np(img2)) ** 2)
    return 20 * np.log10(data_range) - 10 * np.log10(mse)


def psnr_rmse(img1, img2, data_range):
    rmse = torch.sqrt(torch.mean((torch.as_tensor(img1).double() - torch.as_tensor(img2).double()) ** 2))
    return 20 * torch.log10(data_range / rmse)


def box_iou_loops(boxes1, boxes2):
    rows = []
    for x1, y1, x2, y2 in boxes1.tolist():
        row = []
        for u1, v1, u2, v2 in boxes2.tolist():
            inter = max(0.0, min(x2, u2) - max(x1, u1)) * max(0.0, min(y2, v2) - max(y1, v1))
            row.append(inter / ((x2 - x1) * (y2 - y1) + (u2 - u1) * (v2 - v1) - inter))
        rows.append(row)
    return torch.tensor(rows, dtype=torch.float64).reshape(len(boxes1), len(boxes2))


def fbeta_numpy_counts(preds, target, beta):
    p, t = np.asarray(preds) > 0.5, np.asarray(target).astype(bool)
    tp, fp, fn = np.sum(p & t), np.sum(p & ~t), np.sum(~p & t)
    b2 = beta * beta
    return 0.0 if tp == 0 else (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp)


def fft_loss_numpy(pred, target, base="l1"):
    p, t = _np(pred), _np(target)
    P, T = np.fft.fft(p, axis=1) / p.shape[1], np.fft.fft(t, axis=1) / t.shape[1]
    diff = np.abs if base == "l1" else np.square
    return np.mean(diff(p - t)) + np.mean(diff(P.real - T.real)) + np.mean(diff(P.imag - T.imag))


def chamfer_kdtree(a, b):
    a, b = _np(a), _np(b)
    a_to_b, _ = cKDTree(b).query(a)
    b_to_a, _ = cKDTree(a).query(b)
    return np.mean(a_to_b ** 2) + np.mean(b_to_a ** 2)


def emd_numpy(a, b):
    cost = cdist(_np(a), _np(b))
    rows, cols = linear_sum_assignment(cost)
    return cost[rows, cols].sum() / len(a)


def gaussian_nll_distribution(mu, var, target):
    return -torch.distributions.Normal(mu, var.sqrt()).log_prob(target).mean()


def eikonal_in_place(sdf, points):
    points.requires_grad_()
    values = sdf(points).sum()
    (grad,) = torch.autograd.grad(values, points, create_graph=True)
    return torch.mean(torch.square(torch.linalg.vector_norm(grad, dim=1) - 1))


def sparsification_cumsum(errors, uncertainty, steps=20):
    n = errors.shape[0]
    fractions = np.arange(steps) / steps
    ks = torch.from_numpy(np.floor(fractions * n).astype(np.int64))

    def left(order):
        tail = errors[order].flip(0).cumsum(0).flip(0)
        return tail[ks] / (n - ks)
    curve = left(uncertainty.argsort(descending=True)) - left(errors.argsort(descending=True))
    return torch.from_numpy(fractions), curve


def ause_numpy(errors, uncertainty, steps=20):
    fractions, curve = sparsification_cumsum(errors, uncertainty, steps)
    f, c = _np(fractions), _np(curve)
    return np.sum((c[1:] + c[:-1]) / 2 * np.diff(f))


def fbeta_python_loop(preds, target, beta):
    """Written for exactly the stated inputs: Python floats and ints, positive only when p > 0.5."""
    pairs = list(zip(preds.tolist(), target.tolist()))
    tp = sum(p > 0.5 and t == 1 for p, t in pairs)
    fp = sum(p > 0.5 and t == 0 for p, t in pairs)
    fn = sum(p <= 0.5 and t == 1 for p, t in pairs)
    return 0.0 if tp == 0 else (1 + beta ** 2) * tp / ((1 + beta ** 2) * tp + beta ** 2 * fn + fp)


def sparsification_integer_k(errors, uncertainty, steps=20):
    """k = i·N // steps in integers, as the notebook states it (no fractions involved)."""
    n = len(errors)
    by_uncertainty = errors.double()[torch.argsort(uncertainty, descending=True)]
    by_error = torch.sort(errors.double(), descending=True).values
    curve = [by_uncertainty[i * n // steps:].mean() - by_error[i * n // steps:].mean() for i in range(steps)]
    return torch.arange(steps, dtype=torch.float64) / steps, torch.stack(curve)


def ause_integer_k(errors, uncertainty, steps=20):
    return torch.trapezoid(*reversed(sparsification_integer_k(errors, uncertainty, steps)))


CORRECT = [
    (checks.psnr_check, psnr_db), (checks.psnr_check, psnr_numpy), (checks.psnr_check, psnr_rmse),
    (checks.box_iou_check, box_iou), (checks.box_iou_check, box_iou_loops),
    (checks.fbeta_check, fbeta), (checks.fbeta_check, fbeta_numpy_counts), (checks.fbeta_check, fbeta_python_loop),
    (checks.fft_loss_check, fft_loss), (checks.fft_loss_check, fft_loss_numpy),
    (checks.chamfer_check, chamfer_distance), (checks.chamfer_check, chamfer_kdtree),
    (checks.emd_check, earth_movers_distance), (checks.emd_check, emd_numpy),
    (checks.gaussian_nll_check, gaussian_nll), (checks.gaussian_nll_check, gaussian_nll_distribution),
    (checks.eikonal_check, eikonal_loss), (checks.eikonal_check, eikonal_in_place),
    (checks.sparsification_check, sparsification_error_curve), (checks.sparsification_check, sparsification_cumsum),
    (checks.ause_check, ause), (checks.ause_check, ause_numpy),
    (checks.sparsification_check, sparsification_integer_k), (checks.ause_check, ause_integer_k),
]


@pytest.mark.parametrize("check, solution", CORRECT, ids=[f"{c.__name__}-{s.__name__}" for c, s in CORRECT])
def test_a_correct_solution_and_one_written_differently_earn_full_marks(check, solution):
    assert check(solution, points=5) == 5.0


def test_the_checks_accept_correct_solutions_under_another_grading_seed(monkeypatch):
    monkeypatch.setenv("MLLAB_CHECK_SEED", "987654")
    for check, solution in CORRECT:
        assert check(solution, points=5) == 5.0, (check.__name__, solution.__name__)


# ------------------------------------------------------------------ typical mistakes

def psnr_natural_log(img1, img2, data_range):
    return 10 * torch.log(data_range ** 2 / ((torch.as_tensor(img1) - torch.as_tensor(img2)) ** 2).mean())


def psnr_per_image(img1, img2, data_range):
    x, y = torch.as_tensor(img1), torch.as_tensor(img2)
    if x.ndim == 4:
        return torch.stack([psnr_db(a, b, data_range) for a, b in zip(x, y)]).mean()
    return psnr_db(x, y, data_range)


def psnr_range_not_squared(img1, img2, data_range):
    return 10 * torch.log10(data_range / ((torch.as_tensor(img1) - torch.as_tensor(img2)) ** 2).mean())


def box_iou_plus_one(boxes1, boxes2):
    return box_iou(boxes1 - torch.tensor([0.5, 0.5, -0.5, -0.5], dtype=boxes1.dtype),
                   boxes2 - torch.tensor([0.5, 0.5, -0.5, -0.5], dtype=boxes2.dtype))


def box_iou_transposed(boxes1, boxes2):
    return box_iou(boxes2, boxes1)


def box_iou_unclamped(boxes1, boxes2):
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    wh = torch.min(boxes1[:, None, 2:], boxes2[:, 2:]) - torch.max(boxes1[:, None, :2], boxes2[:, :2])
    inter = wh[..., 0] * wh[..., 1]
    return inter / (area1[:, None] + area2 - inter)


def box_iou_pairs(boxes1, boxes2):
    return box_iou(boxes1, boxes2).diagonal()


def fbeta_soft(preds, target, beta):
    tp, fp, fn = (preds * target).sum(), (preds * (1 - target)).sum(), ((1 - preds) * target).sum()
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return (1 + beta ** 2) * precision * recall / (beta ** 2 * precision + recall)


def fbeta_swapped(preds, target, beta):
    positive = preds > 0.5
    tp = (positive & (target == 1)).sum()
    if tp == 0:
        return torch.tensor(0.0)
    recall, precision = tp / positive.sum(), tp / (target == 1).sum()  # the definitions mixed up
    return (1 + beta ** 2) * precision * recall / (beta ** 2 * precision + recall)


def fbeta_beta_not_squared(preds, target, beta):
    return fbeta(preds, target, math.sqrt(beta))


def fft_loss_last_axis(pred, target, base="l1"):
    diff = (lambda a, b: (a - b).abs().mean()) if base == "l1" else (lambda a, b: ((a - b) ** 2).mean())
    P, T = torch.fft.fft(pred, norm="forward"), torch.fft.fft(target, norm="forward")
    return diff(pred, target) + diff(P.real, T.real) + diff(P.imag, T.imag)


def fft_loss_default_norm(pred, target, base="l1"):
    diff = (lambda a, b: (a - b).abs().mean()) if base == "l1" else (lambda a, b: ((a - b) ** 2).mean())
    P, T = torch.fft.fft(pred, dim=1), torch.fft.fft(target, dim=1)
    return diff(pred, target) + diff(P.real, T.real) + diff(P.imag, T.imag)


def fft_loss_magnitudes(pred, target, base="l1"):
    diff = (lambda a, b: (a - b).abs().mean()) if base == "l1" else (lambda a, b: ((a - b) ** 2).mean())
    P, T = torch.fft.fft(pred, dim=1, norm="forward"), torch.fft.fft(target, dim=1, norm="forward")
    return diff(pred, target) + diff(P.abs(), T.abs())


def fft_loss_always_l1(pred, target, base="l1"):
    return fft_loss(pred, target)


def chamfer_one_sided(a, b):
    return (torch.cdist(a, b) ** 2).min(dim=1).values.mean()


def chamfer_unsquared(a, b):
    d = torch.cdist(a, b)
    return d.min(dim=1).values.mean() + d.min(dim=0).values.mean()


def chamfer_halved(a, b):
    return chamfer_distance(a, b) / 2


def emd_nearest_neighbour(a, b):
    return torch.cdist(a, b).min(dim=1).values.mean()


def emd_by_index(a, b):
    return (a - b).norm(dim=1).mean()


def emd_squared(a, b):
    cost = torch.cdist(a, b) ** 2
    rows, cols = linear_sum_assignment(cost.numpy())
    return cost[rows, cols].mean()


def gaussian_nll_without_log_var(mu, var, target):
    return (0.5 * (target - mu) ** 2 / var).mean() + 0.5 * math.log(2 * math.pi)


def gaussian_nll_no_constant(mu, var, target):
    return (0.5 * (torch.log(var) + (target - mu) ** 2 / var)).mean()


def gaussian_nll_var_as_std(mu, var, target):
    return gaussian_nll(mu, var ** 2, target)


def eikonal_squared_norm(sdf, points):
    x = points.detach().requires_grad_()
    (grad,) = torch.autograd.grad(sdf(x).sum(), x, create_graph=True)
    return (((grad ** 2).sum(dim=1) - 1) ** 2).mean()


def eikonal_per_component(sdf, points):
    x = points.detach().requires_grad_()
    (grad,) = torch.autograd.grad(sdf(x).sum(), x, create_graph=True)
    return ((grad - 1) ** 2).mean()


def box_iou_area_clamped(boxes1, boxes2):
    top_left = torch.max(boxes1[:, None, :2], boxes2[:, :2])
    bottom_right = torch.min(boxes1[:, None, 2:], boxes2[:, 2:])
    wh = bottom_right - top_left
    inter = (wh[..., 0] * wh[..., 1]).clamp(min=0)
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    return inter / (area1[:, None] + area2 - inter)


def box_iou_touching_overlaps(boxes1, boxes2):
    """+1 on the intersection's sides only (half of the pixel convention)."""
    top_left = torch.max(boxes1[:, None, :2], boxes2[:, :2])
    bottom_right = torch.min(boxes1[:, None, 2:], boxes2[:, 2:])
    wh = (bottom_right - top_left + 1).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    return inter / (area1[:, None] + area2 - inter)


def fbeta_half_is_positive(preds, target, beta):
    return fbeta(torch.where(preds == 0.5, torch.full_like(preds, 0.75), preds), target, beta)


def fbeta_nan_without_true_positive(preds, target, beta):
    positive = preds > 0.5
    tp = (positive & (target == 1)).sum()
    precision, recall = tp / positive.sum(), tp / (target == 1).sum()
    return (1 + beta ** 2) * precision * recall / (beta ** 2 * precision + recall)


def sparsification_rounded_k(errors, uncertainty, steps=20):
    fractions = torch.arange(steps, dtype=torch.float64) / steps
    by_uncertainty = errors[torch.argsort(uncertainty, descending=True)]
    by_error = torch.sort(errors, descending=True).values
    ks = [round(i * len(errors) / steps) for i in range(steps)]
    return fractions, torch.stack([by_uncertainty[k:].mean() - by_error[k:].mean() for k in ks])


def ause_rounded_k(errors, uncertainty, steps=20):
    fractions, curve = sparsification_rounded_k(errors, uncertainty, steps)
    return torch.trapezoid(curve.double(), fractions)


def sparsification_linspace(errors, uncertainty, steps=20):
    fractions = torch.linspace(0, 1, steps, dtype=torch.float64)
    by_uncertainty = errors[torch.argsort(uncertainty, descending=True)]
    by_error = torch.sort(errors, descending=True).values
    curve = [by_uncertainty[int(f * len(errors)):].mean() - by_error[int(f * len(errors)):].mean()
             for f in fractions.tolist()]
    return fractions, torch.stack(curve)


def ause_mean(errors, uncertainty, steps=20):
    return sparsification_error_curve(errors, uncertainty, steps)[1].mean()


def ause_without_oracle(errors, uncertainty, steps=20):
    fractions = torch.arange(steps, dtype=torch.float64) / steps
    by_uncertainty = errors[torch.argsort(uncertainty, descending=True)].double()
    curve = torch.stack([by_uncertainty[math.floor(f * len(errors)):].mean() for f in fractions.tolist()])
    return torch.trapezoid(curve, fractions)


MISTAKES = [
    (checks.psnr_check, psnr_natural_log, "natural log"),
    (checks.psnr_check, psnr_per_image, "one PSNR per image"),
    (checks.psnr_check, psnr_range_not_squared, "data_range is not squared"),
    (checks.box_iou_check, box_iou_plus_one, "add 1 to the widths"),
    (checks.box_iou_check, box_iou_transposed, "transposed"),
    (checks.box_iou_check, box_iou_unclamped, "not clamped at 0"),
    (checks.box_iou_check, box_iou_pairs, "pairs .* only"),
    (checks.box_iou_check, box_iou_area_clamped, "disjoint boxes, apart in x and in y"),
    (checks.box_iou_check, box_iou_touching_overlaps, "boxes touching along the edge x = 2"),
    (checks.fbeta_check, fbeta_half_is_positive, "exactly 0.5 counts as positive"),
    (checks.fbeta_check, fbeta_nan_without_true_positive, "no true positive.*non-finite"),
    (checks.fbeta_check, fbeta_soft, "threshold is not applied"),
    (checks.fbeta_check, fbeta_swapped, "precision and recall are swapped"),
    (checks.fbeta_check, fbeta_beta_not_squared, "beta is not squared"),
    (checks.fft_loss_check, fft_loss_last_axis, "FFT runs over the last axis"),
    (checks.fft_loss_check, fft_loss_default_norm, "norm='backward'"),
    (checks.fft_loss_check, fft_loss_magnitudes, "magnitudes"),
    (checks.fft_loss_check, fft_loss_always_l1, "base='l2' is not applied"),
    (checks.chamfer_check, chamfer_one_sided, "one-sided"),
    (checks.chamfer_check, chamfer_unsquared, "unsquared distances"),
    (checks.chamfer_check, chamfer_halved, "average the two directions"),
    (checks.emd_check, emd_nearest_neighbour, "nearest neighbours"),
    (checks.emd_check, emd_by_index, "matched by index"),
    (checks.emd_check, emd_squared, "SQUARED distances"),
    (checks.gaussian_nll_check, gaussian_nll_without_log_var, "without the log-variance term"),
    (checks.gaussian_nll_check, gaussian_nll_no_constant, "full=False"),
    (checks.gaussian_nll_check, gaussian_nll_var_as_std, "standard deviation"),
    (checks.eikonal_check, eikonal_squared_norm, "square the norm"),
    (checks.eikonal_check, eikonal_per_component, "each partial derivative"),
    (checks.sparsification_check, sparsification_linspace, "linspace"),
    (checks.ause_check, ause_mean, "mean of the curve"),
    (checks.ause_check, ause_without_oracle, "subtract the oracle"),
    (checks.sparsification_check, sparsification_rounded_k, "steps does not divide N.*rounded to the nearest"),
    (checks.ause_check, ause_rounded_k, "steps does not divide N.*rounded to the nearest"),
]


@pytest.mark.parametrize("check, mistake, message", MISTAKES, ids=[m.__name__ for _, m, _ in MISTAKES])
def test_a_typical_mistake_loses_points_and_is_named(check, mistake, message, capsys):
    """A mistake earns nothing, or (where a part of the check does not depend on it, such as PSNR's
    identical images) only partial credit, and its message names it."""
    try:
        earned = check(mistake, points=5)
    except AssertionError as error:
        assert re.search(message, str(error)), str(error)
        return
    assert earned < 5 and re.search(message, capsys.readouterr().out)


def sparsification_least_uncertain_first(errors, uncertainty, steps=20):
    return sparsification_error_curve(errors, -uncertainty, steps)


def sparsification_without_oracle(errors, uncertainty, steps=20):
    fractions = torch.arange(steps, dtype=torch.float64) / steps
    by_uncertainty = errors[torch.argsort(uncertainty, descending=True)]
    return fractions, torch.stack([by_uncertainty[math.floor(f * len(errors)):].mean() for f in fractions.tolist()])


def eikonal_detached(sdf, points):
    return eikonal_loss(sdf, points).detach()


def eikonal_without_create_graph(sdf, points):
    x = points.detach().requires_grad_()
    y = sdf(x)
    (grad,) = torch.autograd.grad(y, x, grad_outputs=torch.ones_like(y))
    return ((grad.norm(dim=-1) - 1) ** 2).mean()


def eikonal_item(sdf, points):
    return eikonal_loss(sdf, points).item()


PARTIAL = [
    (checks.sparsification_check, sparsification_least_uncertain_first, 4, 1.0, "LEAST uncertain"),
    (checks.sparsification_check, sparsification_without_oracle, 4, 1.0, "subtract the oracle"),
    (checks.eikonal_check, eikonal_detached, 3, 2.0, "create_graph=True"),
    (checks.eikonal_check, eikonal_without_create_graph, 3, 2.0, "create_graph=True"),
    (checks.eikonal_check, eikonal_item, 3, 2.0, "create_graph=True"),
    # each edge-case Part is worth its own share: the rest of the task keeps its points
    (checks.box_iou_check, box_iou_area_clamped, 5, 1.0, "box_iou of disjoint boxes is 0"),
    (checks.fbeta_check, fbeta_half_is_positive, 5, 4.0, "fbeta counts a probability of exactly 0.5 as negative"),
    (checks.fbeta_check, fbeta_nan_without_true_positive, 5, 4.0, "fbeta with no true positive is 0"),
    (checks.sparsification_check, sparsification_rounded_k, 4, 3.0, "the curve when steps does not divide N"),
    (checks.ause_check, ause_rounded_k, 3, 2.0, "ause when steps does not divide N"),
]


@pytest.mark.parametrize("check, mistake, total, points, message", PARTIAL, ids=[m.__name__ for _, m, *_ in PARTIAL])
def test_a_mistake_in_one_part_keeps_the_other_parts_points_and_is_named(check, mistake, total, points, message,
                                                                        capsys):
    assert check(mistake, points=total) == points
    assert message in capsys.readouterr().out


# ------------------------------------------------------------------ library calls

def psnr_torchmetrics(img1, img2, data_range):
    from torchmetrics.image import PeakSignalNoiseRatio
    return PeakSignalNoiseRatio(data_range=data_range)(torch.as_tensor(img1), torch.as_tensor(img2))


def psnr_skimage(img1, img2, data_range):
    from skimage.metrics import peak_signal_noise_ratio
    return peak_signal_noise_ratio(_np(img2), _np(img1), data_range=data_range)


def fbeta_torchmetrics(preds, target, beta):
    return torchmetrics.functional.classification.binary_fbeta_score(preds, target, beta=beta)


def fbeta_sklearn(preds, target, beta):
    from sklearn.metrics import fbeta_score
    return fbeta_score(np.asarray(target), np.asarray(preds) > 0.5, beta=beta, zero_division=0)


def fft_loss_through_l1(pred, target, base="l1"):
    loss = F.l1_loss if base == "l1" else F.mse_loss
    P, T = torch.fft.fft(pred, dim=1, norm="forward"), torch.fft.fft(target, dim=1, norm="forward")
    return loss(pred, target) + loss(P.real, T.real) + loss(P.imag, T.imag)


def gaussian_nll_library(mu, var, target):
    return torch.nn.GaussianNLLLoss(full=True)(mu, target, var)


def gaussian_nll_functional(mu, var, target):
    return F.gaussian_nll_loss(mu, target, var, full=True)


def emd_pairwise_distance(a, b):
    cost = F.pairwise_distance(a[:, None, :], b[None, :, :])
    rows, cols = linear_sum_assignment(cost.numpy())
    return cost[rows, cols].mean()


FORBIDDEN = [
    (checks.psnr_check, psnr_torchmetrics, "torchmetrics"),
    (checks.psnr_check, psnr_skimage, "skimage.metrics"),
    (checks.fbeta_check, fbeta_torchmetrics, "torchmetrics"),
    (checks.fbeta_check, fbeta_sklearn, "sklearn.metrics"),
    (checks.fft_loss_check, fft_loss_through_l1, "torch.nn.functional.l1_loss"),
    (checks.gaussian_nll_check, gaussian_nll_library, "torch.nn.GaussianNLLLoss"),
    (checks.gaussian_nll_check, gaussian_nll_functional, "torch.nn.functional.gaussian_nll_loss"),
    (checks.emd_check, emd_pairwise_distance, "torch.pairwise_distance"),
]


@pytest.mark.parametrize("check, solution, library", FORBIDDEN, ids=[s.__name__ for _, s, _ in FORBIDDEN])
def test_an_own_implementation_that_calls_a_library_loss_fails_and_says_so(check, solution, library):
    with pytest.raises(AssertionError, match=f"calls {library}.*own implementation"):
        check(solution, points=5)


# ------------------------------------------------------------------ the references themselves

def test_the_eikonal_reference_is_zero_for_the_exact_sphere_and_k_minus_1_squared_when_scaled():
    points = torch.randn(300, 3, dtype=torch.float64) * 2
    sphere = partial(checks._sphere, radius=0.7)
    assert float(checks._eikonal_ref(sphere, points).detach()) == pytest.approx(0.0, abs=1e-12)
    for k in (0.3, 2.0, 3.5):
        scaled = partial(checks._sphere, radius=0.7, scale=k, keepdim=True)
        assert float(checks._eikonal_ref(scaled, points).detach()) == pytest.approx((k - 1) ** 2, rel=1e-12)


def test_the_eikonal_reference_gradient_matches_finite_differences():
    net = checks._mlp(5, torch.float64)
    points = torch.randn(40, 3, dtype=torch.float64)
    loss = checks._eikonal_ref(net, points).detach()
    reference = checks._as_float64(net)
    gradient = checks._flat_parameter_gradient(reference, checks._eikonal_value(reference, points))
    weight = next(reference.parameters())
    with torch.no_grad():
        weight[0, 0] += 1e-6
    numeric = (float(checks._eikonal_value(reference, points).detach()) - float(loss)) / 1e-6
    assert float(gradient[0]) == pytest.approx(numeric, rel=1e-4, abs=1e-6)


def test_the_chamfer_reference_equals_the_kdtree_computation():
    g = torch.Generator().manual_seed(3)
    for n, m in [(100, 80), (1, 5), (57, 57)]:
        a, b = (torch.randn(size, 3, generator=g, dtype=torch.float64) for size in (n, m))
        assert float(checks._chamfer_ref(a, b)) == pytest.approx(chamfer_kdtree(a, b), rel=1e-12)


def test_the_emd_reference_is_the_best_of_all_one_to_one_matchings():
    g = torch.Generator().manual_seed(4)
    a, b = (torch.randn(6, 3, generator=g, dtype=torch.float64) for _ in range(2))
    best = min((a - b[list(order)]).norm(dim=1).mean().item() for order in itertools.permutations(range(6)))
    assert float(checks._emd_ref(a, b)) == pytest.approx(best, rel=1e-12)


def test_the_box_iou_reference_gives_the_hand_checked_values():
    for _, one, two, iou in checks.HAND_CHECKED_BOXES + checks.DISJOINT_BOXES + checks.TOUCHING_BOXES:
        value = checks._iou_ref(torch.tensor([one], dtype=torch.float64), torch.tensor([two], dtype=torch.float64))
        assert float(value) == pytest.approx(iou, abs=1e-15)


def test_the_gaussian_nll_reference_is_torchs_full_gaussian_nll():
    g = torch.Generator().manual_seed(5)
    mu, target = (torch.randn(4, 7, generator=g, dtype=torch.float64) for _ in range(2))
    var = 0.05 + 4.95 * torch.rand(4, 7, generator=g, dtype=torch.float64)
    library = torch.nn.GaussianNLLLoss(full=True)(mu, target, var)
    assert float(checks._gaussian_nll_ref(mu, var, target)) == pytest.approx(float(library), rel=1e-12)


def test_the_fft_reference_matches_numpy():
    g = torch.Generator().manual_seed(6)
    pred, target = (torch.randn(3, 33, 5, generator=g, dtype=torch.float64) for _ in range(2))
    for base in ("l1", "l2"):
        expected = fft_loss_numpy(pred, target, base)
        assert float(checks._fft_ref(pred, target, base)) == pytest.approx(expected, rel=1e-12)


def test_the_sparsification_reference_is_zero_for_a_perfect_ranking_and_positive_for_a_random_one():
    g = torch.Generator().manual_seed(7)
    errors = torch.rand(500, generator=g, dtype=torch.float64)
    assert torch.allclose(checks._accepted_curves(errors, errors, 20)[0], torch.zeros(20, dtype=torch.float64))
    curve = checks._accepted_curves(errors, torch.rand(500, generator=g, dtype=torch.float64), 20)[0]
    assert float(curve[0]) == pytest.approx(0.0, abs=1e-12) and bool((curve[1:] > 0).all())


def _all_sparsification_cases():
    return itertools.chain(checks._sparsification_cases(), checks._not_dividing_cases())


def test_k_is_accepted_as_stated_in_integers_and_from_float64_or_float32_fractions():
    exact = [i * 100 // 50 for i in range(50)]
    accepted = [ks.tolist() for ks in checks._accepted_ks(100, 50)]
    assert accepted[0] == exact and exact[29] == 58  # 0.58 · 100 = 57.99… in floating point
    assert [math.floor(f * 100) for f in (torch.arange(50, dtype=torch.float64) / 50).tolist()] in accepted
    assert len(accepted) == len({tuple(ks) for ks in accepted})


def test_every_sparsification_case_says_when_steps_does_not_divide_n():
    for label, _, errors, _, steps in _all_sparsification_cases():
        assert ("steps does not divide N" in label) == bool(len(errors) % (steps or 20)), label
    assert any(len(errors) % (steps or 20) for _, _, errors, _, steps in checks._not_dividing_cases())


MISTAKE_TABLES = [
    (checks._psnr_cases, checks._psnr_ref, checks._psnr_mistakes),
    (checks._fbeta_cases, checks._fbeta_ref, checks._fbeta_mistakes),
    (checks._fbeta_threshold_cases, checks._fbeta_ref, checks._fbeta_threshold_mistakes),
    (checks._fft_cases, checks._fft_ref, checks._fft_mistakes),
    (checks._chamfer_cases, checks._chamfer_ref, checks._chamfer_mistakes),
    (checks._emd_cases, checks._emd_ref, checks._emd_mistakes),
    (checks._gaussian_nll_cases, checks._gaussian_nll_ref, checks._gaussian_nll_mistakes),
    (lambda: ((label, dtype, *rest[:-1]) for label, dtype, *rest in checks._iou_cases()),
     checks._iou_ref, checks._iou_mistakes),
    (_all_sparsification_cases, lambda *case: checks._accepted_curves(*case)[0], checks._curve_mistakes),
    (_all_sparsification_cases, lambda *case: checks._accepted_ause(*case)[0], checks._ause_mistakes),
]


@pytest.mark.parametrize("cases, reference, mistakes", MISTAKE_TABLES, ids=lambda x: getattr(x, "__name__", ""))
def test_every_named_mistake_differs_from_the_reference_on_some_case(cases, reference, mistakes):
    named, detected = set(), set()
    for label, dtype, *inputs in cases():
        expected = to_array(reference(*inputs), what="reference")
        rtol, atol = tolerances(dtype)
        for text, value in mistakes(*inputs).items():
            named.add(text)
            wrong = to_array(value, what="mistake")
            if wrong.shape != expected.shape or not np.allclose(wrong, expected, rtol=rtol, atol=atol, equal_nan=True):
                detected.add(text)
    assert named == detected


# ------------------------------------------------------------------ the judge's replay

def _outcome(check, function):
    try:
        return check.__wrapped__(function, points=4)
    except AssertionError as failure:
        return str(failure)


def _not_called(*args, **kwargs):
    raise RuntimeError("the judge must not call the student's function")


REPLAYED = CORRECT[::2] + [(check, mistake) for check, mistake, _ in MISTAKES[::3]] + \
    [(check, mistake) for check, mistake, *_ in PARTIAL]


@pytest.mark.parametrize("check, function", REPLAYED, ids=[f"{c.__name__}-{f.__name__}" for c, f in REPLAYED])
def test_the_judge_replaying_the_recorded_results_reaches_the_same_verdict(check, function, capsys):
    transcript._recording = []
    try:
        in_kernel = _outcome(check, function)
        calls = transcript._recording
    finally:
        transcript._recording = None
    assert all(call.get("result", {}).get("kind") != "other" for call in calls)
    with transcript.replaying(calls):
        assert _outcome(check, _not_called) == in_kernel
    capsys.readouterr()


# ------------------------------------------------------------------ quiet

def test_the_checks_print_nothing_to_stderr(capfd):
    for check, solution in CORRECT[::2]:
        check(solution, points=1)
    checks.eikonal_check(eikonal_detached, points=1)
    checks.sparsification_check(sparsification_without_oracle, points=1)
    assert capfd.readouterr().err == ""
