"""Hidden tests of the `beyond_basics` assignment: one function per graded cell.

Every check calls the student's code on fresh seeded inputs (several shapes, float32 and
float64, plus edge cases) and compares with references computed here in float64. Each returns
the cell's points as a plain float, or raises with the reason.

Conventions the checks hold the students to (the notebook must state the same ones):

* ``psnr_db(img1, img2, data_range)`` = ``10·log10(data_range² / MSE)``, the MSE being the mean
  over ALL elements (one MSE for a whole batch, as torchmetrics' PeakSignalNoiseRatio). Inputs
  are torch tensors or NumPy arrays.
* ``box_iou(boxes1, boxes2)``: boxes (N, 4) and (M, 4) as (x1, y1, x2, y2) in continuous
  coordinates, area ``(x2 − x1)·(y2 − y1)`` (no +1); the result is the N×M matrix of IoUs.
  Boxes that only touch along an edge or at a corner have IoU 0, and disjoint boxes IoU 0 (never negative):
  each has its own Part.
* ``fbeta(preds, target, beta)``: a prediction is positive when p > 0.5 (strictly: exactly 0.5 is
  negative); ``F_β = (1 + β²)·P·R / (β²·P + R)`` (β > 1 favours recall), 0 when there is no true
  positive (torchmetrics' BinaryFBetaScore with zero_division=0). Both edge cases have their own Part.
* ``fft_loss(pred, target, base="l1")`` on (batch, length, features):
  ``base(pred, target) + base(P.real, T.real) + base(P.imag, T.imag)`` with
  ``P = torch.fft.fft(pred, dim=1, norm="forward")`` (the time axis), T likewise, and base the
  mean absolute ("l1") or mean squared ("l2") difference over all elements.
* ``chamfer_distance(a, b)``, a (N, 3), b (M, 3): ``mean_i min_j ‖a_i − b_j‖² +
  mean_j min_i ‖a_i − b_j‖²``, the SUM of the two directional means of SQUARED distances
  (as PyTorch3D).
* ``earth_movers_distance(a, b)``, a and b (N, 3): the one-to-one matching σ minimising
  ``Σ ‖a_i − b_σ(i)‖`` (Euclidean, not squared); the result is the MEAN of those N distances.
  scipy.optimize.linear_sum_assignment may be used. N ≤ 100 (the contract says so), where an exact
  matching takes milliseconds.
* ``gaussian_nll(mu, var, target)`` = ``torch.nn.GaussianNLLLoss(full=True)(mu, target, var)``:
  ``mean(0.5·(log var + (target − mu)²/var)) + 0.5·log(2π)``; var has mu's shape and is ≥ 1e-6, torch's eps,
  below which torch clamps (so clamping at 1e-6 and not clamping give the same result).
* ``eikonal_loss(sdf, points)``: ``mean over the points of (‖∇_x sdf(x)‖₂ − 1)²``, the gradient by
  torch.autograd with create_graph=True so the loss trains sdf's parameters; sdf maps (N, 3)
  to (N,) or (N, 1). The points given need not require grad; it is called with gradients enabled.
* ``sparsification_error_curve(errors, uncertainty, steps=20)`` returns ``(fractions, curve)``:
  ``fractions = torch.arange(steps, dtype=torch.float64) / steps``; at step i,
  ``k = ⌊i·N / steps⌋`` samples are removed (floor(f·N) from float64 or float32 fractions, which can
  be one lower where i·N / steps is whole, is accepted too; steps that do not divide N have their
  own Part); the uncertainty curve is the mean error of the samples left
  after removing the k with the HIGHEST uncertainty, the oracle curve the same after removing
  the k with the highest ERROR; ``curve = uncertainty curve − oracle curve``.
  ``ause(errors, uncertainty, steps=20) = torch.trapezoid(curve, fractions)``.

Which library calls are allowed: all ten are own implementations (``own_result``: no torch.nn
losses, torch.nn.functional losses, torchmetrics, sklearn.metrics or skimage.metrics).
torch.fft, torch.cdist, torch.autograd, torch.distributions, scipy.spatial and scipy.optimize
are fine.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from functools import partial

import numpy as np
import torch

from mllab.checks.common import expect_one_of, generator, numpy_generator, own_result, recorded
from mllab.checks.common import quiet as _quiet
from mllab.grading import findings
from mllab.grading.compare import expect_close
from mllab.grading.findings import Mistake, mistake
from mllab.grading.scoring import Part, score
from mllab.grading.values import describe

F32, F64 = torch.float32, torch.float64


def _part(name: str, get_result: Callable, cases: Callable, *, reference: Callable, mistakes: Callable,
          weight: float = 1.0) -> Part:
    """A Part comparing ``get_result(*inputs)`` with ``reference(*inputs)`` for each ``(label, dtype, *inputs)``."""
    def check():
        for label, dtype, *inputs in cases():
            expect_close(get_result(*inputs), reference(*inputs), what=label, dtype=dtype,
                         mistakes=lambda: mistakes(*inputs))
    return Part(name, check, weight)


def _t64(x) -> torch.Tensor:
    return torch.as_tensor(x).double()


# ---------------------------------------------------------------- PSNR

def _cat_crop() -> np.ndarray:
    from skimage import data
    return data.chelsea()[60:108, 150:214].astype(np.float64) / 255.0  # 48 × 64 × 3


def _psnr_cases():
    g, rng = generator(2101), numpy_generator(2102)
    for shape in [(1, 3, 24, 32), (4, 1, 20, 20), (31, 17)]:
        for dtype in (F32, F64):
            a = torch.rand(shape, generator=g, dtype=dtype)
            sigma = torch.tensor([0.01, 0.03, 0.1, 0.3], dtype=dtype).view(4, 1, 1, 1) if shape[0] == 4 else 0.05
            b = (a + sigma * torch.randn(shape, generator=g, dtype=dtype)).clamp(0, 1)
            yield f"psnr_db on images of shape {shape} {dtype}, data_range=1.0", dtype, a, b, 1.0
    a = torch.randint(0, 256, (2, 3, 16, 16), generator=g).float()
    b = (a + 12 * torch.randn(a.shape, generator=g) * torch.tensor([0.5, 2.0]).view(2, 1, 1, 1)).round().clamp(0, 255)
    yield "psnr_db on 8-bit values as float32 (2, 3, 16, 16), data_range=255.0", F32, a, b, 255.0
    cat = _cat_crop()
    yield "psnr_db on a NumPy H×W×3 cat crop vs. the same with noise", F64, cat, \
        np.clip(cat + rng.normal(0, 0.06, cat.shape), 0, 1), 1.0
    yield "psnr_db on NumPy H×W×3 random images", F64, rng.random((20, 28, 3)), rng.random((20, 28, 3)), 1.0


def _psnr_identical_cases():
    cat = _cat_crop()
    yield "psnr_db on two identical images (MSE 0: the PSNR is inf)", F64, cat, cat.copy(), 1.0
    image = torch.rand((1, 3, 8, 8), generator=generator(2103), dtype=F32)
    yield "psnr_db on two identical float32 tensors (MSE 0: the PSNR is inf)", F32, image, image.clone(), 1.0


def _psnr_ref(a, b, data_range):
    from torchmetrics.functional.image import peak_signal_noise_ratio
    return _quiet(peak_signal_noise_ratio, _t64(a), _t64(b), data_range=data_range)


def _psnr_mistakes(a, b, data_range):
    x, y = _t64(a), _t64(b)
    mse, r2 = ((x - y) ** 2).mean(), data_range ** 2
    mistakes = {
        mistake("psnr.natural_log", "you use the natural log (log / np.log); PSNR uses log10"):
            10 * torch.log(r2 / mse),
        mistake("psnr.twenty_log10", "20·log10 goes with data_range / RMSE; with data_range² / MSE it is 10·log10"):
            20 * torch.log10(r2 / mse),
        mistake("psnr.range_not_squared", "data_range is not squared: PSNR = 10·log10(data_range² / MSE)"):
            10 * torch.log10(data_range / mse),
        mistake("psnr.rmse_not_mse", "you divide by the RMSE; 10·log10(data_range² / MSE) divides by the MSE (the "
                "mean of the squared differences, no square root)"): 10 * torch.log10(r2 / mse.sqrt()),
        mistake("psnr.ignores_data_range", "data_range is ignored (you assume 255): use the data_range argument"):
            10 * torch.log10(255.0 ** 2 / mse),
        mistake("psnr.ignores_data_range", "data_range is ignored (you assume 1.0): use the data_range argument"):
            10 * torch.log10(1 / mse),
    }
    if x.ndim == 4 and len(x) > 1:
        per_image = ((x - y) ** 2).flatten(1).mean(1)
        mistakes[mistake("psnr.per_image_mean", "you average one PSNR per image; psnr_db takes ONE mean squared error "
                         "over all elements of the batch")] = (10 * torch.log10(r2 / per_image)).mean()
    return mistakes


@recorded
def psnr_check(psnr_db, *, points: float) -> float:
    """`psnr_db(img1, img2, data_range)`: 10·log10(data_range² / MSE) with one global MSE."""
    run = lambda a, b, r: own_result(psnr_db, a, b, r, what="psnr_db")
    return score([_part("psnr_db on tensors, batches and NumPy images", run, _psnr_cases,
                        reference=_psnr_ref, mistakes=_psnr_mistakes, weight=3),
                  _part("psnr_db of identical images is inf", run, _psnr_identical_cases,
                        reference=_psnr_ref, mistakes=_psnr_mistakes, weight=1)], points=points)


# ---------------------------------------------------------------- box IoU

HAND_CHECKED_BOXES = [  # (label, box 1, box 2, IoU worked out by hand)
    ("a box nested in another (IoU = area ratio 20 / 100)", [0, 0, 10, 10], [2, 2, 6, 7], 0.2),
    ("identical boxes (IoU 1)", [1, 2, 4, 6], [1, 2, 4, 6], 1.0),
    # intersection [1, 4] × [1, 3]: 3·2 = 6; areas 4·3 = 12 and 5·4 = 20; union 12 + 20 − 6 = 26
    ("partially overlapping boxes (IoU 6 / 26)", [0, 0, 4, 3], [1, 1, 6, 5], 6 / 26),
]
DISJOINT_BOXES = [  # (label, box 1, box 2): no common point, IoU 0 (never negative)
    ("disjoint boxes, apart in x and in y (IoU 0)", [0, 0, 2, 2], [3, 3, 5, 5], 0.0),
    ("disjoint boxes, apart in x only (IoU 0, not negative)", [0, 0, 2, 2], [2.5, -1, 4, 3], 0.0),
    ("disjoint boxes, apart in y only, by 0.5 (IoU 0, not negative)", [1, 0, 3, 2], [0, 2.5, 4, 4], 0.0),
]
TOUCHING_BOXES = [  # (label, box 1, box 2): a common edge or corner, an overlap of area 0, IoU 0
    ("boxes touching along the edge x = 2 (IoU 0)", [0, 0, 2, 2], [2, 0, 4, 2], 0.0),
    ("boxes touching along part of the edge y = 3 (IoU 0)", [0, 1, 4, 3], [1, 3, 6, 5], 0.0),
    ("boxes touching at the corner (2, 2) (IoU 0)", [0, 0, 2, 2], [2, 2, 5, 4], 0.0),
]


def _random_boxes(n: int, g: torch.Generator, dtype: torch.dtype) -> torch.Tensor:
    corner = torch.rand(n, 2, generator=g, dtype=dtype) * 30
    return torch.cat([corner, corner + 1 + 19 * torch.rand(n, 2, generator=g, dtype=dtype)], dim=1)


def _iou_terms(boxes1, boxes2, plus: float = 0.0):
    """Areas (N, 1) and (1, M) and the intersection's sides (N, M, 2), unclamped; ``plus`` is added to sides."""
    a, b = boxes1.double(), boxes2.double()
    area = lambda box: (box[:, 2:] - box[:, :2] + plus).prod(1)
    sides = torch.minimum(a[:, None, 2:], b[None, :, 2:]) - torch.maximum(a[:, None, :2], b[None, :, :2]) + plus
    return area(a)[:, None], area(b)[None, :], sides


def _iou_ref(boxes1, boxes2):
    area1, area2, sides = _iou_terms(boxes1, boxes2)
    inter = sides.clamp(min=0).prod(-1)
    return inter / (area1 + area2 - inter)


def _iou_cases():
    g = generator(2201)
    for n, m in [(4, 4), (3, 5), (7, 2), (1, 1)]:
        for dtype in (F32, F64):
            b1, b2 = _random_boxes(n, g, dtype), _random_boxes(m, g, dtype)
            yield f"box_iou on boxes of shapes ({n}, 4) and ({m}, 4) {dtype}", dtype, b1, b2, _iou_ref(b1, b2)
    yield from _hand_cases(HAND_CHECKED_BOXES)


def _hand_cases(table):
    """(label, dtype, boxes1 (1, 4), boxes2 (1, 4), expected IoU) for each (label, box 1, box 2, IoU) row."""
    for index, (label, one, two, iou) in enumerate(table):
        dtype = (F64, F32)[index % 2]
        yield f"box_iou on {label} {dtype}", dtype, torch.tensor([one], dtype=dtype), \
            torch.tensor([two], dtype=dtype), torch.tensor([[iou]], dtype=F64)


def _no_overlap_cases(table, what: str):
    """The pairs of ``table`` one at a time, then all boxes at once (a k×k matrix with IoU 0 on its diagonal)."""
    yield from _hand_cases(table)
    boxes1, boxes2 = (torch.tensor([row[column] for row in table], dtype=F32) for column in (1, 2))
    yield f"box_iou on {what}: the {len(table)} pairs above at once as a {len(table)}×{len(table)} matrix " \
          "float32", F32, boxes1, boxes2, _iou_ref(boxes1, boxes2)


def _iou_mistakes(boxes1, boxes2):
    area1, area2, sides = _iou_terms(boxes1, boxes2)
    inter, raw = sides.clamp(min=0).prod(-1), sides.prod(-1)
    iou = inter / (area1 + area2 - inter)
    pixel1, pixel2, pixel_sides = _iou_terms(boxes1, boxes2, plus=1.0)
    pixel_inter = pixel_sides.clamp(min=0).prod(-1)
    return {
        mistake("iou.pixel_plus_one", "you add 1 to the widths and heights (the pixel convention); these are "
                "continuous coordinates: area = (x2 − x1)·(y2 − y1)"): pixel_inter / (pixel1 + pixel2 - pixel_inter),
        mistake("iou.unclamped_overlap", "the intersection's width and height are not clamped at 0: boxes that do "
                "not overlap must give IoU 0"): raw / (area1 + area2 - raw),
        mistake("iou.clamped_area", "you clamp the intersection's AREA at 0; clamp its width and its height "
                "separately (two negative sides give a positive product)"):
            raw.clamp(min=0) / (area1 + area2 - raw.clamp(min=0)),
        mistake("iou.union_is_sum", "the union is area1 + area2: subtract the intersection (it is "
                "counted twice)"): inter / (area1 + area2),
        mistake("iou.divides_by_smaller_area", "you divide by the smaller area; IoU divides by the union"):
            inter / torch.minimum(area1, area2),
        mistake("iou.transposed", "the matrix is transposed: row i, column j is IoU(boxes1[i], boxes2[j]), an N×M "
                "matrix"): iou.T,
        mistake("iou.pairs_by_index", "you compute the IoU of the pairs (boxes1[i], boxes2[i]) only; box_iou returns "
                "the N×M matrix of all pairs"): iou.diagonal(),
    }


def _iou_part(name: str, get_result, cases: Callable, weight: float = 1.0) -> Part:
    def check():
        for label, dtype, boxes1, boxes2, expected in cases():
            expect_close(get_result(boxes1, boxes2), expected, what=label, dtype=dtype,
                         mistakes=lambda: _iou_mistakes(boxes1, boxes2))
    return Part(name, check, weight)


@recorded
def box_iou_check(box_iou, *, points: float) -> float:
    """`box_iou(boxes1, boxes2)`: N×M IoUs of (x1, y1, x2, y2) boxes, continuous coordinates."""
    run = lambda a, b: own_result(box_iou, a, b, what="box_iou")
    return score([_iou_part("box_iou on random and hand-checked boxes", run, _iou_cases, weight=3),
                  _iou_part("box_iou of disjoint boxes is 0", run,
                            partial(_no_overlap_cases, DISJOINT_BOXES, "disjoint boxes")),
                  _iou_part("box_iou of boxes touching along an edge or at a corner is 0", run,
                            partial(_no_overlap_cases, TOUCHING_BOXES, "boxes touching"))], points=points)


# ---------------------------------------------------------------- F-beta

BETAS = (2.0, 0.5, 3.0, 1.0)


def _no_half(p: torch.Tensor) -> torch.Tensor:
    """No probability of exactly 0.5, whose class depends on > or ≥."""
    return torch.where(p == 0.5, torch.full_like(p, 0.75), p)


def _fbeta_cases():
    g = generator(2301)
    index = 0
    for n in (10, 37, 128, 500):
        for dtype in (F32, F64):
            target = (torch.rand(n, generator=g) < 0.4).long()
            target[:3] = torch.tensor([1, 0, 1])
            preds = torch.sigmoid(torch.randn(n, generator=g, dtype=dtype) * 1.5 + 1.8 * target - 0.4)
            preds[:3] = torch.tensor([0.9, 0.8, 0.2], dtype=dtype)  # a TP, an FP and an FN in every case
            beta = BETAS[index % len(BETAS)]
            index += 1
            yield f"fbeta on {n} predictions {dtype}, beta={beta:g}", dtype, _no_half(preds), target, beta
    target = (torch.rand(60, generator=g) < 0.5).long()
    target[0] = 1
    perfect = torch.where(target == 1, 0.55 + 0.45 * torch.rand(60, generator=g), 0.45 * torch.rand(60, generator=g))
    yield "fbeta on a perfect prediction (F = 1), beta=0.5", F32, _no_half(perfect), target, 0.5
    yield "fbeta with every target positive, beta=2", F64, \
        _no_half(torch.rand(50, generator=g, dtype=F64)), torch.ones(50, dtype=torch.long), 2.0


def _fbeta_no_true_positive_cases():
    """No sample is both predicted positive and truly positive: precision or recall is 0 / 0, F is 0."""
    g = generator(2302)
    target = (torch.rand(60, generator=g) < 0.5).long()
    target[0] = 1
    yield "fbeta with no true positive: no predicted positive (F = 0, not nan), beta=2", F64, \
        torch.rand(60, generator=g, dtype=F64) * 0.45, target, 2.0
    low, high = 0.45 * torch.rand(60, generator=g), 0.5 + 0.5 * torch.rand(60, generator=g)
    yield "fbeta with no true positive: every prediction wrong (F = 0, not nan), beta=0.5", F32, \
        _no_half(torch.where(target == 1, low, high)), target, 0.5
    yield "fbeta with no true positive: no positive target (F = 0, not nan), beta=1", F64, \
        _no_half(torch.rand(40, generator=g, dtype=F64)), torch.zeros(40, dtype=torch.long), 1.0


def _fbeta_threshold_cases():
    """Probabilities of exactly 0.5 among the others: they count as negative (p > 0.5 is positive)."""
    g = generator(2303)
    for n, dtype, beta in ((40, F32, 1.0), (90, F64, 2.0), (25, F64, 0.5)):
        target = (torch.rand(n, generator=g) < 0.5).long()
        target[:4] = torch.tensor([1, 0, 1, 1])
        preds = _no_half(torch.sigmoid(torch.randn(n, generator=g, dtype=dtype) + 1.5 * target - 0.75))
        preds[torch.rand(n, generator=g) < 0.2] = 0.5
        preds[:4] = torch.tensor([0.9, 0.5, 0.5, 0.5], dtype=dtype)  # a TP, then exactly 0.5 for a 0 and two 1s
        yield f"fbeta with probabilities of exactly 0.5 (negative: positive means p > 0.5), {n} predictions " \
              f"{dtype}, beta={beta:g}", dtype, preds, target, beta


def _fbeta_ref(preds, target, beta):
    from torchmetrics.functional.classification import binary_fbeta_score
    return _quiet(binary_fbeta_score, preds.double(), target, beta=beta)


def _f_from_counts(tp, fp, fn, weight):
    """(1 + w)·TP / ((1 + w)·TP + w·FN + FP), i.e. F_β with w = β²; 0 without a true positive."""
    return (1 + weight) * tp / ((1 + weight) * tp + weight * fn + fp) if tp > 0 else tp * 0


def _fbeta_mistakes(preds, target, beta):
    p, t = preds.double(), target.double()
    hard = (p > 0.5).double()
    counts = (hard * t).sum(), (hard * (1 - t)).sum(), ((1 - hard) * t).sum()
    soft = (p * t).sum(), (p * (1 - t)).sum(), ((1 - p) * t).sum()
    return {
        mistake("fbeta.beta_not_squared", "beta is not squared: F_β = (1 + β²)·P·R / (β²·P + R)"):
            _f_from_counts(*counts, beta),
        mistake("fbeta.precision_recall_swapped", "precision and recall are swapped (or β² weighs the wrong one): "
                "F_β = (1 + β²)·P·R / (β²·P + R), so β > 1 favours RECALL"): _f_from_counts(*counts, 1 / beta ** 2),
        mistake("fbeta.always_f1", "you always compute F1; use beta: F_β = (1 + β²)·P·R / (β²·P + R)"):
            _f_from_counts(*counts, 1.0),
        mistake("fbeta.no_threshold", "the threshold is not applied: you count with the probabilities (soft "
                "counts); a prediction is positive when p > 0.5"): _f_from_counts(*soft, beta ** 2),
    }


def _fbeta_threshold_mistakes(preds, target, beta):
    p, t = preds.double(), target.double()
    at_least = (p >= 0.5).double()
    counts = (at_least * t).sum(), (at_least * (1 - t)).sum(), ((1 - at_least) * t).sum()
    return {**_fbeta_mistakes(preds, target, beta),
            mistake("fbeta.half_is_positive", "a probability of exactly 0.5 counts as positive here; positive means "
                    "p > 0.5 (strictly), so 0.5 is negative"): _f_from_counts(*counts, beta ** 2)}


@recorded
def fbeta_check(fbeta, *, points: float) -> float:
    """`fbeta(preds, target, beta)`: binary F_β of probabilities thresholded at p > 0.5."""
    run = lambda p, t, beta: own_result(fbeta, p, t, beta, what="fbeta")
    return score([_part("fbeta on random predictions and edge cases", run, _fbeta_cases,
                        reference=_fbeta_ref, mistakes=_fbeta_mistakes, weight=3),
                  _part("fbeta with no true positive is 0", run, _fbeta_no_true_positive_cases,
                        reference=_fbeta_ref, mistakes=_fbeta_mistakes),
                  _part("fbeta counts a probability of exactly 0.5 as negative", run, _fbeta_threshold_cases,
                        reference=_fbeta_ref, mistakes=_fbeta_threshold_mistakes)], points=points)


# ---------------------------------------------------------------- FFT loss

def _fft(x: torch.Tensor, dim: int = 1, norm: str = "forward") -> torch.Tensor:
    return torch.fft.fft(x, dim=dim, norm=norm)


def _base(name: str) -> Callable:
    if name == "l1":
        return lambda x, y: (x - y).abs().mean()
    return lambda x, y: ((x - y) ** 2).mean()


def _fft_value(pred, target, base: str, transform: Callable = _fft, time: bool = True, magnitude: bool = False,
               modulus: bool = False):
    p, t = pred.double(), target.double()
    f, spectrum_p, spectrum_t = _base(base), transform(p), transform(t)
    if magnitude:
        spectral = f(spectrum_p.abs(), spectrum_t.abs())
    elif modulus:  # for l2 the same as the right value: |P − T|² = (real difference)² + (imaginary difference)²
        spectral = f((spectrum_p - spectrum_t).abs(), torch.zeros_like(p))
    else:
        spectral = f(spectrum_p.real, spectrum_t.real) + f(spectrum_p.imag, spectrum_t.imag)
    return spectral + (f(p, t) if time else 0)


def _fft_cases():
    g = generator(2401)
    index = 0
    for shape in [(2, 64, 1), (4, 50, 3), (1, 16, 2), (3, 33, 5)]:
        for dtype in (F32, F64):
            base = ("l1", "l2")[index % 2]
            index += 1
            pred = torch.randn(shape, generator=g, dtype=dtype)
            target = torch.sin(torch.linspace(0, 6, shape[1], dtype=dtype))[None, :, None] + \
                0.5 * torch.randn(shape, generator=g, dtype=dtype)
            yield f"fft_loss on {shape} {dtype}, base={base!r}", dtype, pred, target, base
    for shape, dtype in [((2, 40, 2), F32), ((3, 21, 4), F64)]:
        pred, target = torch.randn(shape, generator=g, dtype=dtype), torch.randn(shape, generator=g, dtype=dtype)
        yield f"fft_loss on {shape} {dtype} with base left at its default ('l1')", dtype, pred, target, None


def _fft_ref(pred, target, base):
    return _fft_value(pred, target, base or "l1")


# the most common mistake of the task: the visible check names it with this same text
FFT_MODULUS_OF_DIFFERENCE = mistake(
    "fft.modulus_of_difference", "you take the modulus |P − T| of the spectrum difference; with base='l1' "
    "compare the real parts and the imaginary parts separately")


def _fft_mistakes(pred, target, base):
    base = base or "l1"
    return {
        FFT_MODULUS_OF_DIFFERENCE: _fft_value(pred, target, base, modulus=True),
        mistake("fft.wrong_axis", "the FFT runs over the last axis (the features); the time axis is dim=1"):
            _fft_value(pred, target, base, partial(_fft, dim=-1)),
        mistake("fft.wrong_axis", "the FFT runs over dim 0 (the batch); the time axis is dim=1"):
            _fft_value(pred, target, base, partial(_fft, dim=0)),
        mistake("fft.wrong_norm", "the FFT uses norm='backward' (torch's default); use norm='forward' (divides by "
                "the length)"): _fft_value(pred, target, base, partial(_fft, norm="backward")),
        mistake("fft.wrong_norm", "the FFT uses norm='ortho'; use norm='forward' (divides by the length)"):
            _fft_value(pred, target, base, partial(_fft, norm="ortho")),
        mistake("fft.no_time_term", "the time-domain term base(pred, target) is missing"):
            _fft_value(pred, target, base, time=False),
        mistake("fft.compares_magnitudes", "you compare magnitudes |P| and |T|; compare the real parts and the "
                "imaginary parts separately"): _fft_value(pred, target, base, magnitude=True),
        mistake("fft.rfft_instead", "you use rfft (half the spectrum); use torch.fft.fft (the full spectrum)"):
            _fft_value(pred, target, base, lambda x: torch.fft.rfft(x, dim=1, norm="forward")),
        mistake("fft.wrong_base", f"base={base!r} is not applied: 'l1' is the mean absolute difference, 'l2' the "
                "mean squared difference"): _fft_value(pred, target, {"l1": "l2", "l2": "l1"}[base]),
    }


@recorded
def fft_loss_check(fft_loss, *, points: float) -> float:
    """`fft_loss(pred, target, base="l1")`: time-domain + real + imaginary spectral terms."""
    def run(pred, target, base):
        options = {} if base is None else {"base": base}
        return own_result(fft_loss, pred, target, what="fft_loss", **options)
    return score([_part("fft_loss on (batch, length, features) series", run, _fft_cases,
                        reference=_fft_ref, mistakes=_fft_mistakes)], points=points)


# ---------------------------------------------------------------- Chamfer distance

def _squared_distances(a, b) -> torch.Tensor:
    return ((a.double()[:, None, :] - b.double()[None, :, :]) ** 2).sum(-1)


def _chamfer_ref(a, b):
    d = _squared_distances(a, b)
    return d.min(1).values.mean() + d.min(0).values.mean()


def _chamfer_mistakes(a, b):
    d = _squared_distances(a, b)
    a_to_b, b_to_a = d.min(1).values, d.min(0).values
    return {
        mistake("chamfer.one_sided", "one-sided: only the a → b term (mean over a of the squared distance to the "
                "nearest b); Chamfer adds the b → a term"): a_to_b.mean(),
        mistake("chamfer.one_sided", "one-sided: only the b → a term (mean over b of the squared distance to the "
                "nearest a); Chamfer adds the a → b term"): b_to_a.mean(),
        mistake("chamfer.unsquared_distances", "unsquared distances: this Chamfer distance uses SQUARED Euclidean "
                "distances (as PyTorch3D)"): a_to_b.sqrt().mean() + b_to_a.sqrt().mean(),
        mistake("chamfer.halved", "you average the two directions (÷ 2); the Chamfer distance is their SUM"):
            (a_to_b.mean() + b_to_a.mean()) / 2,
        mistake("chamfer.sum_not_mean", "you sum over the points; each direction is a MEAN over its points"):
            a_to_b.sum() + b_to_a.sum(),
    }


def _chamfer_cases():
    g = generator(2501)
    cloud = lambda n, dtype: torch.randn(n, 3, generator=g, dtype=dtype)
    for n, m in [(100, 80), (1, 5), (40, 40), (7, 23)]:
        for dtype in (F32, F64):
            yield f"chamfer_distance on clouds of {n} and {m} points {dtype}", dtype, cloud(n, dtype), cloud(m, dtype)
    a = cloud(30, F64)
    yield "chamfer_distance on identical clouds (0)", F64, a, a.clone()
    yield "chamfer_distance on a cloud and itself shifted by (0.3, -0.2, 0.1)", F64, a, \
        a + torch.tensor([0.3, -0.2, 0.1], dtype=F64)
    b = cloud(20, F32)
    yield "chamfer_distance on a float32 cloud and itself permuted (0)", F32, b, b[torch.randperm(20, generator=g)]


@recorded
def chamfer_check(chamfer_distance, *, points: float) -> float:
    """`chamfer_distance(a, b)`: sum of the two directional means of squared nearest distances."""
    run = lambda a, b: own_result(chamfer_distance, a, b, what="chamfer_distance")
    return score([_part("chamfer_distance on point clouds", run, _chamfer_cases,
                        reference=_chamfer_ref, mistakes=_chamfer_mistakes)], points=points)


# ---------------------------------------------------------------- Earth mover's distance

def _assignment(cost: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows and columns of the one-to-one matching that minimises the sum of ``cost``."""
    from scipy.optimize import linear_sum_assignment
    rows, cols = linear_sum_assignment(cost.numpy())
    return torch.as_tensor(rows), torch.as_tensor(cols)


def _emd_ref(a, b):
    cost = _squared_distances(a, b).sqrt()
    return cost[_assignment(cost)].mean()


def _emd_mistakes(a, b):
    squared = _squared_distances(a, b)
    cost = squared.sqrt()
    on_squared = _assignment(squared)
    return {
        mistake("emd.nearest_neighbour", "nearest neighbours, not a one-to-one matching: several points of a may go "
                "to the same point of b; find the optimal assignment (e.g. scipy.optimize.linear_sum_assignment)"):
            cost.min(1).values.mean(),
        mistake("emd.nearest_neighbour", "nearest neighbours from b, not a one-to-one matching; find the optimal "
                "assignment (e.g. scipy.optimize.linear_sum_assignment)"): cost.min(0).values.mean(),
        mistake("emd.matched_by_index", "the points are matched by index (a[i] with b[i]); find the optimal "
                "one-to-one matching"): cost.diagonal().mean(),
        mistake("emd.squared_distances", "you match on SQUARED distances and return their mean; this EMD uses "
                "Euclidean (not squared) distances"): squared[on_squared].mean(),
        mistake("emd.matched_on_squared", "the matching minimises the squared distances; match on the Euclidean "
                "distances"): cost[on_squared].mean(),
        mistake("emd.sum_not_mean", "you sum the matched distances; this EMD is their MEAN over the points"):
            cost[_assignment(cost)].sum(),
    }


def _emd_cases():
    g = generator(2601)
    cloud = lambda n, dtype: torch.randn(n, 3, generator=g, dtype=dtype)
    for n in (30, 5, 64, 1):
        for dtype in (F32, F64):
            yield f"earth_movers_distance on two clouds of {n} points {dtype}", dtype, cloud(n, dtype), cloud(n, dtype)
    for n, dtype in ((30, F64), (8, F32)):
        a = cloud(n, dtype)
        yield f"earth_movers_distance on a cloud of {n} points and a permuted copy (0) {dtype}", dtype, \
            a, a[torch.randperm(n, generator=g)]


@recorded
def emd_check(earth_movers_distance, *, points: float) -> float:
    """`earth_movers_distance(a, b)`: mean Euclidean distance of the optimal one-to-one matching."""
    run = lambda a, b: own_result(earth_movers_distance, a, b, what="earth_movers_distance")
    return score([_part("earth_movers_distance on point clouds of equal size", run, _emd_cases,
                        reference=_emd_ref, mistakes=_emd_mistakes)], points=points)


# ---------------------------------------------------------------- Gaussian NLL

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _gaussian_nll_cases():
    g = generator(2701)
    for shape in [(10,), (4, 7), (3, 2, 5)]:
        for dtype in (F32, F64):
            mu = torch.randn(shape, generator=g, dtype=dtype)
            target = mu + 1.2 * torch.randn(shape, generator=g, dtype=dtype)
            var = 0.05 + 4.95 * torch.rand(shape, generator=g, dtype=dtype)
            yield f"gaussian_nll on {shape} {dtype}", dtype, mu, var, target
    mu = torch.randn(6, generator=g, dtype=F64)
    yield "gaussian_nll with target = mu (only the log-variance and the constant)", F64, mu, \
        0.05 + 4.95 * torch.rand(6, generator=g, dtype=F64), mu.clone()
    yield "gaussian_nll on a single element", F64, torch.tensor([0.5], dtype=F64), torch.tensor([0.2], dtype=F64), \
        torch.tensor([-1.0], dtype=F64)
    mu = torch.randn(8, generator=g, dtype=F64)
    yield "gaussian_nll with variances down to 1e-6 (torch's eps: clamping there changes nothing)", F64, mu, \
        torch.logspace(-6, 0, 8, dtype=F64).clamp(min=1e-6), mu + 1e-3 * torch.randn(8, generator=g, dtype=F64)


def _gaussian_nll_ref(mu, var, target):
    m, v, t = mu.double(), var.double(), target.double()
    return (0.5 * (v.log() + (t - m) ** 2 / v)).mean() + HALF_LOG_2PI


def _gaussian_nll_mistakes(mu, var, target):
    m, v, t = mu.double(), var.double(), target.double()
    log_v, squared = v.log(), (t - m) ** 2
    right = _gaussian_nll_ref(mu, var, target)
    return {
        mistake("gaussian_nll.no_log_variance", "NLL without the log-variance term: add 0.5·log var (without it the "
                "model can inflate var freely)"): (0.5 * squared / v).mean() + HALF_LOG_2PI,
        mistake("gaussian_nll.no_constant", "the constant 0.5·log(2π) is missing (full=False); this NLL is the full "
                "one"): right - HALF_LOG_2PI,
        mistake("gaussian_nll.no_log_variance", "NLL without the log-variance term (and without the constant "
                "0.5·log 2π)"): (0.5 * squared / v).mean(),
        mistake("gaussian_nll.var_as_std", "var is used as a standard deviation; var IS σ²: 0.5·(log var + "
                "(target − mu)²/var)"): (0.5 * (2 * log_v + squared / v ** 2)).mean() + HALF_LOG_2PI,
        mistake("gaussian_nll.no_half", "the factor 0.5 is missing: 0.5·(log var + (target − mu)²/var) + "
                "0.5·log(2π)"): (log_v + squared / v).mean() + HALF_LOG_2PI,
        mistake("gaussian_nll.no_half", "the factor 0.5 is missing (everything is doubled, the constant too)"):
            2 * right,
        mistake("gaussian_nll.sum_not_mean", "you sum over the elements; the loss is the mean"):
            (0.5 * (log_v + squared / v) + HALF_LOG_2PI).sum(),
    }


@recorded
def gaussian_nll_check(gaussian_nll, *, points: float) -> float:
    """`gaussian_nll(mu, var, target)` = GaussianNLLLoss(full=True)(mu, target, var), own implementation."""
    run = lambda mu, var, target: own_result(gaussian_nll, mu, var, target, what="gaussian_nll")
    return score([_part("gaussian_nll on random predictions", run, _gaussian_nll_cases,
                        reference=_gaussian_nll_ref, mistakes=_gaussian_nll_mistakes)], points=points)


# ---------------------------------------------------------------- eikonal loss

def _sphere(x: torch.Tensor, radius: float, scale: float = 1.0, keepdim: bool = False) -> torch.Tensor:
    return scale * (torch.linalg.vector_norm(x, dim=1, keepdim=keepdim) - radius)


def _mlp(seed: int, dtype: torch.dtype) -> torch.nn.Module:
    """Linear(3, 16)-Tanh-Linear(16, 1) with weights from its own generator (the global RNG is untouched)."""
    g = generator(seed)
    net = torch.nn.Sequential(torch.nn.utils.skip_init(torch.nn.Linear, 3, 16), torch.nn.Tanh(),
                              torch.nn.utils.skip_init(torch.nn.Linear, 16, 1))
    with torch.no_grad():
        for parameter, scale in zip(net.parameters(), (1.0, 0.5, 0.6, 0.1)):
            parameter.copy_(scale * torch.randn(parameter.shape, generator=g))
    return net.to(dtype)


def _as_float64(sdf):
    return copy.deepcopy(sdf).double() if isinstance(sdf, torch.nn.Module) else sdf


def _sdf_gradient(sdf, points) -> torch.Tensor:
    """∇_x sdf at the points in float64, differentiable with respect to sdf's parameters."""
    x = points.detach().double().requires_grad_()
    (gradient,) = torch.autograd.grad(sdf(x).sum(), x, create_graph=True)
    return gradient


def _eikonal_value(sdf, points):
    """mean (‖∇f‖ − 1)² at float64 points, differentiable with respect to sdf's parameters."""
    return ((_sdf_gradient(sdf, points).norm(dim=1) - 1) ** 2).mean()


def _eikonal_ref(sdf, points):
    """The loss in float64 (on a float64 copy of a module)."""
    return _eikonal_value(_as_float64(sdf), points)


def _eikonal_mistakes(sdf, points):
    gradient = _sdf_gradient(_as_float64(sdf), points).detach()
    norm = gradient.norm(dim=1)
    return {
        mistake("eikonal.squared_norm", "you square the norm, (‖∇f‖² − 1)²; the eikonal term is (‖∇f‖ − 1)²"):
            ((norm ** 2 - 1) ** 2).mean(),
        mistake("eikonal.absolute_not_squared", "you take |‖∇f‖ − 1|; the eikonal term squares it: (‖∇f‖ − 1)²"):
            (norm - 1).abs().mean(),
        mistake("eikonal.per_partial_derivative", "you penalise each partial derivative, (∂f/∂xᵢ − 1)²; the "
                "eikonal term is about the NORM of the gradient: (‖∇f‖ − 1)²"): ((gradient - 1) ** 2).mean(),
        mistake("eikonal.sum_not_mean", "you sum over the points; the loss is the mean"): ((norm - 1) ** 2).sum(),
    }


def _eikonal_cases():
    g = generator(2801)
    points = lambda n, dtype: 1.5 * torch.randn(n, 3, generator=g, dtype=dtype)
    for dtype in (F32, F64):
        yield f"eikonal_loss on the exact sphere SDF ‖x‖ − 0.8 (values of shape (N,)) {dtype}", dtype, \
            partial(_sphere, radius=0.8), points(120, dtype), 0.0
    for k, dtype in ((2.5, F32), (0.4, F64)):
        yield f"eikonal_loss on the scaled sphere {k:g}·(‖x‖ − 1) (values of shape (N, 1)) {dtype}", dtype, \
            partial(_sphere, radius=1.0, scale=k, keepdim=True), points(80, dtype), (k - 1) ** 2
    for n, dtype in ((200, F32), (50, F64)):
        yield f"eikonal_loss on a small MLP SDF (Linear-Tanh-Linear), {n} points {dtype}", dtype, \
            _mlp(2802, dtype), points(n, dtype), None


def _eikonal_values_part(eikonal_loss) -> Part:
    def check():
        for label, dtype, sdf, points, exact in _eikonal_cases():
            result = own_result(eikonal_loss, sdf, points, what="eikonal_loss")
            expected = _eikonal_ref(sdf, points).detach() if exact is None else torch.tensor(exact, dtype=F64)
            expect_close(result, expected, what=label, dtype=dtype, mistakes=lambda: _eikonal_mistakes(sdf, points))
    return Part("eikonal_loss values on sphere and MLP SDFs", check, 2)


def _flat_parameter_gradient(sdf: torch.nn.Module, loss: torch.Tensor) -> torch.Tensor:
    parameters = list(sdf.parameters())
    gradients = torch.autograd.grad(loss.reshape(()), parameters, allow_unused=True)
    return torch.cat([(torch.zeros_like(p) if d is None else d).reshape(-1) for p, d in zip(parameters, gradients)])


def _loss_and_parameter_gradient(eikonal_loss, sdf, points):
    """Runs in the student's call: the loss and d loss / d sdf's parameters (flat), or None without grad_fn."""
    loss = eikonal_loss(sdf, points)
    if not isinstance(loss, torch.Tensor) or loss.grad_fn is None or loss.numel() != 1:
        return loss, None
    return loss, _flat_parameter_gradient(sdf, loss)


# the loss does not reach sdf's parameters: two faces of one mistake, one id
EIKONAL_NO_GRAD_FN = mistake(
    "eikonal.detached_gradient", "without a grad_fn, so it cannot train the SDF's parameters. Compute ∇f with "
    "torch.autograd.grad(..., create_graph=True) and keep every later step in torch (no .detach(), .item(), .numpy())")
EIKONAL_ZERO_GRADIENT = mistake("eikonal.detached_gradient",
                                "the gradient is zero: is ∇f detached (create_graph=True missing)?")


def _eikonal_gradient_part(eikonal_loss) -> Part:
    def check():
        g = generator(2803)
        for n, dtype in ((64, F64), (150, F32)):
            label = f"eikonal_loss on an MLP SDF, {n} points {dtype}"
            sdf, points = _mlp(2804, dtype), 1.5 * torch.randn(n, 3, generator=g, dtype=dtype)
            run = lambda s, x: _loss_and_parameter_gradient(eikonal_loss, s, x)
            loss, gradient = own_result(run, sdf, points, what="eikonal_loss")
            reference_sdf = _as_float64(sdf)
            expected_loss = _eikonal_value(reference_sdf, points)
            expected = _flat_parameter_gradient(reference_sdf, expected_loss)
            expect_close(loss, expected_loss.detach(), what=label, dtype=dtype,
                         mistakes=lambda: _eikonal_mistakes(sdf, points))
            if gradient is None:
                raise findings.fail(EIKONAL_NO_GRAD_FN, f"{label}: eikonal_loss returned {describe(loss)} ")
            expect_close(gradient, expected, what=f"the gradient of {label} with respect to the MLP's parameters",
                    dtype=dtype, mistakes={EIKONAL_ZERO_GRADIENT: torch.zeros_like(expected)})
    return Part("eikonal_loss trains the SDF (gradient with respect to its parameters)", check, 1)


def _import_autograd_lazies() -> None:
    """torch.autograd.grad(..., grad_outputs=...) imports these (and sympy) at its first use: ~0.3 s, but
    ~1.4 s under the tracer's profile hook. Importing them here, outside the student's call, avoids that."""
    import torch.fx.experimental.symbolic_shapes  # noqa: F401
    import torch.nested._internal.nested_tensor  # noqa: F401


@recorded
def eikonal_check(eikonal_loss, *, points: float) -> float:
    """`eikonal_loss(sdf, points)`: mean (‖∇f‖ − 1)², differentiable with respect to sdf's parameters."""
    _import_autograd_lazies()
    with torch.enable_grad():  # the contract: the loss is never called under torch.no_grad()
        return score([_eikonal_values_part(eikonal_loss), _eikonal_gradient_part(eikonal_loss)], points=points)


# ---------------------------------------------------------------- sparsification curve and AUSE

def _ranks(values: torch.Tensor) -> torch.Tensor:
    """0 … N − 1 in the order of ``values``: distinct, so the removal order is unique in float32 too."""
    return torch.argsort(torch.argsort(values.double())).double()


DIVIDING = [(100, F64, 10, "random"), (1000, F32, 50, "good"), (1000, F64, 20, "random"),
            (100, F32, None, "perfect"), (1000, F64, 10, "perfect"), (100, F64, 50, "good")]
NOT_DIVIDING = [(257, F32, None, "good"), (257, F64, 50, "worst"), (257, F32, 10, "worst"), (101, F64, 7, "random"),
                (333, F32, 20, "perfect")]


def _sparsification_cases(specs=None):
    """(label, dtype, errors, uncertainty, steps or None for the default) for (N, dtype, steps, kind) specs."""
    g = generator(2901 if specs is None else 2902)
    for n, dtype, steps, kind in DIVIDING if specs is None else specs:
        errors = 2 * torch.rand(n, generator=g, dtype=dtype) ** 2
        if kind == "perfect":
            uncertainty, what = errors.clone(), "uncertainty = errors (a perfect ranking, curve 0)"
        elif kind == "good":
            noisy = errors.double() + 0.3 * torch.rand(n, generator=g, dtype=F64)
            uncertainty, what = (_ranks(noisy) / n).to(dtype), "uncertainty ranked like errors + noise"
        elif kind == "worst":
            uncertainty, what = ((n - _ranks(errors)) / n).to(dtype), "uncertainty ranked backwards (the worst)"
        else:
            uncertainty = (torch.randperm(n, generator=g).double() / n + 0.01).to(dtype)
            what = "random uncertainty"
        shown = "default steps (20)" if steps is None else f"steps={steps}"
        if n % (steps or 20):
            shown += f", steps does not divide N: k = ⌊i·{n}/{steps or 20}⌋ (rounded down)"
        yield f"{n} samples {dtype}, {what}, {shown}", dtype, errors, uncertainty, steps


_not_dividing_cases = partial(_sparsification_cases, NOT_DIVIDING)


def _fractions(steps: int) -> torch.Tensor:
    return torch.arange(steps, dtype=F64) / steps


def _accepted_ks(n: int, steps: int) -> list[torch.Tensor]:
    """k = ⌊i·N / steps⌋ in integers, as stated; also floor(f·N) from the float64 fractions f and from float32
    fractions (they can be one lower where i·N / steps is a whole number, e.g. 0.58·100 = 57.99…)."""
    exact = torch.arange(steps) * n // steps
    from_double = torch.floor(_fractions(steps) * n).long()
    from_single = torch.floor((torch.arange(steps, dtype=F32) / steps).double() * n).long()
    accepted = [exact]
    for ks in (from_double, from_single):
        if not any(torch.equal(ks, other) for other in accepted):
            accepted.append(ks)
    return accepted


def _left_mean(errors: torch.Tensor, order: torch.Tensor, ks: torch.Tensor) -> torch.Tensor:
    """The mean error of the samples left after removing the first k of ``order``, for each k."""
    tail = errors.double()[order].flip(0).cumsum(0).flip(0)  # tail[k] = sum of the sorted errors from k on
    return tail[ks] / (len(errors) - ks)


def _curves(errors, uncertainty, ks, *, descending: bool = True, oracle_descending: bool = True):
    """(uncertainty curve, oracle curve) with the given removal orders."""
    by_uncertainty = torch.argsort(uncertainty.double(), descending=descending)
    by_error = torch.argsort(errors.double(), descending=oracle_descending)
    return _left_mean(errors, by_uncertainty, ks), _left_mean(errors, by_error, ks)


def _accepted_curves(errors, uncertainty, steps):
    return [torch.subtract(*_curves(errors, uncertainty, ks)) for ks in _accepted_ks(len(errors), steps or 20)]


def _curve_mistakes(errors, uncertainty, steps) -> dict[Mistake, torch.Tensor]:
    ks = _accepted_ks(len(errors), steps or 20)[0]
    uncertain, oracle = _curves(errors, uncertainty, ks)
    return {
        mistake("sparsification.least_uncertain_first", "you remove the LEAST uncertain samples first; remove the "
                "most uncertain ones first"): torch.subtract(*_curves(errors, uncertainty, ks, descending=False)),
        mistake("sparsification.no_oracle", "you return the uncertainty curve; subtract the oracle curve (the same "
                "removal ordered by the true error)"): uncertain,
        mistake("sparsification.oracle_lowest_first", "the oracle removes the LOWEST errors first; it removes the "
                "highest errors first"): torch.subtract(*_curves(errors, uncertainty, ks, oracle_descending=False)),
        mistake("sparsification.sign_flipped", "the sign is flipped: the curve is uncertainty curve − oracle curve "
                "(≥ 0)"): oracle - uncertain,
        mistake("sparsification.k_rounded", "k is rounded to the nearest whole number; remove k = ⌊i·N / steps⌋ "
                "samples (rounded down)"):
            torch.subtract(*_curves(errors, uncertainty, torch.round(_fractions(steps or 20) * len(errors)).long())),
    }


def _fraction_mistakes(steps: int) -> dict:
    return {
        mistake("sparsification.fractions_linspace", "the fractions run from 0 to (steps − 1)/steps: "
                "torch.arange(steps) / steps (linspace(0, 1, steps) ends at 1.0 and has the wrong spacing)"):
            torch.linspace(0, 1, steps, dtype=F64),
        mistake("sparsification.fractions_include_one", "the fractions must not include 1.0 (removing every sample "
                "leaves no mean): torch.arange(steps) / steps has steps values"):
            torch.arange(steps + 1, dtype=F64) / steps,
        mistake("sparsification.fractions_reversed", "the fractions are reversed: they increase from 0"):
            _fractions(steps).flip(0),
    }


NOT_A_PAIR = mistake("sparsification.not_a_pair", "return a pair (fractions, curve)")


def _pair(result, what: str):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise findings.fail(NOT_A_PAIR, f"{what} returned {describe(result)}; ")
    return result


def _sparsification_part(get_result, index: int, weight: float, cases: Callable = _sparsification_cases,
                         name: str = "") -> Part:
    """Part 0 checks the fractions, part 1 the curve."""
    def check():
        for label, dtype, errors, uncertainty, steps in cases():
            result = _pair(get_result(errors, uncertainty, steps), "sparsification_error_curve")[index]
            if index == 0:
                expect_close(result, _fractions(steps or 20), what=f"the fractions on {label}", dtype=F64,
                        mistakes=lambda: _fraction_mistakes(steps or 20))
            else:
                expect_one_of(result, _accepted_curves(errors, uncertainty, steps), what=f"the curve on {label}",
                              dtype=dtype, mistakes=lambda: _curve_mistakes(errors, uncertainty, steps))
    return Part(name or f"sparsification_error_curve: the {('fractions', 'curve')[index]}", check, weight)


def _steps_call(function, what: str) -> Callable:
    def run(errors, uncertainty, steps):
        options = {} if steps is None else {"steps": steps}
        return own_result(function, errors, uncertainty, what=what, **options)
    return run


@recorded
def sparsification_check(sparsification_error_curve, *, points: float) -> float:
    """`sparsification_error_curve(errors, uncertainty, steps=20)` → (fractions, uncertainty − oracle curve)."""
    run = _steps_call(sparsification_error_curve, "sparsification_error_curve")
    return score([_sparsification_part(run, 0, 1), _sparsification_part(run, 1, 2),
                  _sparsification_part(run, 1, 1, _not_dividing_cases,
                                       "sparsification_error_curve: the curve when steps does not divide N")],
                 points=points)


def _accepted_ause(errors, uncertainty, steps) -> list[torch.Tensor]:
    fractions = _fractions(steps or 20)
    return [torch.trapezoid(curve, fractions) for curve in _accepted_curves(errors, uncertainty, steps)]


def _ause_mistakes(errors, uncertainty, steps) -> dict:
    fractions = _fractions(steps or 20)
    curve = _accepted_curves(errors, uncertainty, steps)[0]
    mistakes = {
        mistake("ause.mean_not_area", "you return the mean of the curve; AUSE is its area: torch.trapezoid(curve, "
                "fractions)"): curve.mean(),
        mistake("ause.unit_spacing", "you integrate with dx = 1; pass the fractions: torch.trapezoid(curve, "
                "fractions)"): torch.trapezoid(curve),
    }
    for explanation, wrong_curve in _curve_mistakes(errors, uncertainty, steps).items():
        # the curve's own mistake (the same id as in sparsification_check): AUSE integrates that curve
        wrong = mistake(explanation.id, f"the curve you integrate is wrong: {explanation}")
        mistakes[wrong] = torch.trapezoid(wrong_curve, fractions)
    return mistakes


@recorded
def ause_check(ause, *, points: float) -> float:
    """`ause(errors, uncertainty, steps=20)`: torch.trapezoid of the sparsification error curve."""
    def check(cases):
        for label, dtype, errors, uncertainty, steps in cases():
            result = _steps_call(ause, "ause")(errors, uncertainty, steps)
            expect_one_of(result, _accepted_ause(errors, uncertainty, steps), what=f"ause on {label}", dtype=dtype,
                          mistakes=lambda: _ause_mistakes(errors, uncertainty, steps))
    return score([Part("ause on good, random, perfect and worst uncertainties",
                       partial(check, _sparsification_cases), 2),
                  Part("ause when steps does not divide N", partial(check, _not_dividing_cases), 1)], points=points)
