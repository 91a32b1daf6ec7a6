"""Hidden tests of the `custom_losses` assignment: one function per graded cell.

Every check calls the student's code on fresh seeded inputs (several shapes, float32 and
float64, plus edge cases) and compares with references computed here in float64. Each returns
the cell's points as a plain float, or raises with the reason. A typical mistake's explanation
carries a stable id (``mistake(id, text)``, see mllab/grading/findings.py) so that the class report
can count it; the same misconception of the same concept has the same id in every assignment.

Conventions the checks hold the students to (the notebook must state the same ones; the stubs'
docstrings come from mllab/checks/contracts/custom_losses.py, and every input fed here keeps them):

* ``rmse`` and ``r2_score`` get 1-D tensors only, as the notebook says. ``r2_score`` is the docstring's
  formula, also near a perfect fit (torchmetrics' r2_score returns 1 when the residual sum is below 1e-4).
* ``weighted_bce_with_logits`` gets logits with 1 to 3 dimensions and a ``pos_weight`` that is 0-d
  or one weight per class along the last dimension (the notebook says so).
* Soft Dice loss (``DiceLoss``): global, over all elements of the batch flattened together,
  with smooth = 1 in numerator AND denominator: ``1 - (2·TP + 1) / (Σp + Σt + 1)`` where
  ``TP = Σ p·t``. (The source's code adds the smoothing to the denominator only: a mistake here.)
* ``batch_dice_loss(preds, targets, smooth=1e-6)``: one Dice per sample (sum over every dim
  but the batch dim, C×H×W or C×D×H×W), ``1 - Dice`` averaged over the batch.
* Tversky index ``TI = (TP + 1) / (TP + alpha·FN + beta·FP + 1)`` with ``FN = Σ (1-p)·t`` and
  ``FP = Σ p·(1-t)``: alpha weighs the false NEGATIVES, beta the false POSITIVES, in both
  ``TverskyLoss`` (``1 - TI``) and ``FocalTverskyLoss`` (the source swaps them in the latter).
* Focal Tversky loss ``(1 - TI) ** gamma`` (as the source's code; its formula's exponent
  ``1/gamma`` is recognised as a mistake).
* ``DiceBCELoss(bce_weight)``: ``bce_weight·BCE + (1 - bce_weight)·DiceLoss``, a convex
  combination (the source computes ``Dice + bce_weight·BCE`` with default weight 1, i.e. equal
  weights; the equivalent here is bce_weight = 0.5). The checks always pass bce_weight, so the
  notebook's default does not matter for grading. The BCE term may use torch's BCE (which
  clamps log at -100); nothing else from torch.nn / torchmetrics.
* ``from_logits=False`` (the default) means the loss modules receive probabilities; with
  ``from_logits=True`` they apply ``torch.sigmoid`` first. Their gradient (autograd) must equal
  the reference's; a loss without ``grad_fn`` fails.
* Categorical cross entropies: ``-mean_n Σ_c y·log p``. A probability of exactly 0 for a class
  that is not the true one must not give nan. Clipping p into ``[eps, 1 - eps]`` as Keras does
  is accepted for any eps ≤ 1e-7 (Keras' default).
* ``kl_divergence(p, q) = Σ p·log(p/q)`` (KL(p‖q), p the true distribution, 0·log 0 = 0): the
  full sum for one distribution (1-D), the mean over the rows for a batch (2-D), i.e.
  ``nn.KLDivLoss(reduction='batchmean')(q.log(), p)``.
* ``weighted_bce_with_logits`` equals ``nn.BCEWithLogitsLoss(pos_weight=...)``.

Which library calls are allowed: rmse, r2_score, the Dice / Tversky family, batch_dice_loss
and both categorical cross entropies are own implementations (torch math only). The BCE term of
DiceBCELoss, nll_from_probs, weighted_bce_with_logits and kl_divergence may be written either
way. classification_summary is a library task: it must call torchmetrics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from mllab.checks import common
from mllab.checks.common import cases_part, expect_one_of, generator, library_result, own_result, recorded
from mllab.checks.common import quiet as _quiet
from mllab.grading import findings
from mllab.grading.compare import expect_close
from mllab.grading.findings import mistake
from mllab.grading.scoring import Part, require_own, score
from mllab.grading.tracer import LibraryCalls
from mllab.grading.values import describe, to_array

F32, F64 = torch.float32, torch.float64
TORCHMETRICS = ("torchmetrics.",)
TORCH_BCE = ("torch.nn.BCELoss", "torch.nn.BCEWithLogitsLoss", "torch.nn.functional.binary_cross_entropy")
KERAS_EPSILON = 1e-7


def _own_except(allowed: tuple[str, ...], function: Callable, *args, what: str):
    """Like own_result, but library calls starting with one of ``allowed`` are fine."""
    result, calls = common.call_student(function, *args, what=what)
    others = [name for name in calls.names if not name.startswith(allowed)] if allowed else calls.names
    require_own(LibraryCalls(names=others, tampered=calls.tampered), what=what)
    return result


def _free_result(function: Callable, *args, what: str):
    """Call a function that may be written with or without library losses."""
    return common.call_student(function, *args, what=what)[0]


# ---------------------------------------------------------------- RMSE and R²

def _rmse_cases():
    g = generator(1101)
    for shape in [(100,), (13,), (120,)]:  # 1-D, as the notebook states
        for dtype in (F32, F64):
            yield f"{shape} {dtype} inputs", dtype, torch.randn(shape, generator=g, dtype=dtype), \
                torch.randn(shape, generator=g, dtype=dtype)
    x = torch.randn(9, generator=g)
    yield "identical inputs (RMSE 0)", F32, x, x.clone()
    yield "a single element", F64, torch.tensor([2.0], dtype=F64), torch.tensor([-1.5], dtype=F64)


def _rmse_ref(pred, target):
    from torchmetrics.functional import mean_squared_error
    return _quiet(mean_squared_error, pred.double(), target.double(), squared=False)


def _rmse_mistakes(pred, target):
    d = (pred - target).double()
    return {
        mistake("rmse.mse_instead", "you return the MSE: the RMSE is its square root"): (d ** 2).mean(),
        mistake("rmse.root_of_sum", "you take the root of the SUM of squares; RMSE = sqrt(MEAN of the squared "
                "errors)"): (d ** 2).sum().sqrt(),
        mistake("rmse.divided_outside_root", "you divide the root of the sum of squares by n; divide inside the "
                "root (sqrt of the mean)"): (d ** 2).sum().sqrt() / d.numel(),
        mistake("rmse.mae_instead", "this is the MAE (the mean of |error|), not the RMSE"): d.abs().mean(),
    }


@recorded
def rmse_own(rmse, *, points: float) -> float:
    """`rmse(pred, target)`: root mean squared error with torch math only."""
    run = lambda p, t: own_result(rmse, p, t, what="rmse")
    return score([cases_part("rmse on random inputs and edge cases", run, _rmse_cases,
                             reference=_rmse_ref, mistakes=_rmse_mistakes)], points=points)


def _r2_cases():
    g = generator(1102)
    for n, noise in [(100, 0.5), (30, 1.0), (7, 3.0)]:
        for dtype in (F32, F64):
            target = torch.randn(n, generator=g, dtype=dtype) * 2 + 1
            pred = 0.8 * target + 0.3 + noise * torch.randn(n, generator=g, dtype=dtype)  # biased, shrunk
            yield f"{n} samples, noise {noise:g}, {dtype}", dtype, pred, target
    target = torch.randn(20, generator=g, dtype=F64)
    yield "a perfect prediction (R² 1)", F64, target.clone(), target
    yield "predicting the target's mean (R² 0)", F64, torch.full_like(target, float(target.mean())), target
    yield "an unrelated prediction (R² < 0)", F64, torch.randn(20, generator=g, dtype=F64) * 3, target
    yield "two samples", F64, torch.tensor([1.0, 2.5], dtype=F64), torch.tensor([0.0, 2.0], dtype=F64)
    target = 1 + 0.01 * torch.randn(20, generator=g, dtype=F64)
    yield NEAR_PERFECT_FIT, F64, target + 1e-3 * torch.randn(20, generator=g, dtype=F64), target


NEAR_PERFECT_FIT = "a near-perfect fit (residual sum below 1e-4: R² is still the formula, not 1)"


def _r2_ref(pred, target):
    """The docstring's formula in float64. (torchmetrics' r2_score returns exactly 1 when the residual sum
    is below 1e-4 and 0 when the total sum is: not what the notebook states.)"""
    p, t = pred.double(), target.double()
    return 1 - ((t - p) ** 2).sum() / ((t - t.mean()) ** 2).sum()


def _r2_mistakes(pred, target):
    p, t = pred.double(), target.double()
    ss_res = ((t - p) ** 2).sum()
    ss_tot = ((t - t.mean()) ** 2).sum()
    pc, tc = p - p.mean(), t - t.mean()
    return {
        mistake("r2.one_minus_missing", "you return SS_res / SS_tot; R² is 1 − SS_res / SS_tot"): ss_res / ss_tot,
        mistake("r2.pred_target_swapped", "the total sum of squares is taken around the PREDICTIONS (are pred and "
                "target swapped?); R² compares with the spread of the TARGET around its mean"):
            1 - ss_res / (pc ** 2).sum(),
        mistake("r2.squared_correlation", "this is the squared Pearson correlation; R² = 1 − SS_res / SS_tot also "
                "penalises bias and scale"): (pc * tc).sum() ** 2 / ((pc ** 2).sum() * (tc ** 2).sum()),
    }


@recorded
def r2_score_own(r2_score, *, points: float) -> float:
    """`r2_score(pred, target)`: coefficient of determination with torch math only."""
    run = lambda p, t: own_result(r2_score, p, t, what="r2_score")
    return score([cases_part("r2_score on random inputs and edge cases", run, _r2_cases,
                             reference=_r2_ref, mistakes=_r2_mistakes)], points=points)


# ---------------------------------------------------------------- NLL and categorical CE on probabilities

def _prob_cases(seed: int):
    """(label, dtype, probabilities N×C, int targets), with zeros and perfect predictions among them."""
    g = generator(seed)
    for n, c in [(5, 10), (1, 3), (64, 7), (16, 2)]:
        for dtype in (F32, F64):
            probs = torch.softmax(torch.randn(n, c, generator=g, dtype=dtype) * 2, dim=1)
            target = torch.randint(c, (n,), generator=g)
            target[0] = c - 1
            yield f"probabilities of shape ({n}, {c}) {dtype}", dtype, probs, target
    target = torch.tensor([2, 0, 1, 1])
    probs = torch.tensor([[0.0, 0.3, 0.7], [0.6, 0.0, 0.4], [0.5, 0.5, 0.0], [0.0, 1.0, 0.0]], dtype=F64)
    yield "probabilities exactly 0 for classes that are not the true one", F64, probs, target
    yield "a perfect prediction (one-hot probabilities, loss 0)", F64, \
        torch.nn.functional.one_hot(target, 3).double(), target


def _picked(probs, target):
    return probs.double().gather(1, target[:, None]).squeeze(1)


def _nll_ref(probs, target):
    return -_picked(probs, target).log().mean()


def _likelihood_mistakes(probs, target, concept: str = "cross_entropy") -> dict:
    """The typical mistakes of -mean(log p[target]) on probabilities, their ids under ``concept``
    (nll for nll_from_probs, cross_entropy for the categorical cross entropies)."""
    p = probs.double()
    right = -_picked(p, target).log()
    return {
        mistake(f"{concept}.probs_not_log", "the result is -mean(p[target]): probabilities went straight into "
                "NLLLoss, which expects LOG-probabilities (hence a negative 'loss'); pass probs.log()"):
            -_picked(p, target).mean(),
        mistake(f"{concept}.sum_not_mean", "you sum over the samples; the loss is the MEAN over the N samples"):
            right.sum(),
        mistake(f"{concept}.wrong_sign", "the sign is wrong: the loss is the NEGATIVE log-likelihood"):
            -right.mean(),
        mistake(f"{concept}.mean_over_classes", "you average over all N×C entries; average over the N samples "
                "only"): right.sum() / p.numel(),
        mistake(f"{concept}.softmax_twice", "softmax is applied to values that are already probabilities "
                "(cross_entropy / log_softmax expect logits)"):
            -torch.log_softmax(p, dim=1).gather(1, target[:, None]).mean(),
    }


def _nll_mistakes(probs, target) -> dict:
    """The likelihood mistakes, named as nll_from_probs' (``nll.*``)."""
    return _likelihood_mistakes(probs, target, concept="nll")


@recorded
def nll_from_probs_check(nll_from_probs, *, points: float) -> float:
    """`nll_from_probs(probs, target)`: -mean(log p[target]); with or without torch.nn.NLLLoss."""
    run = lambda p, t: _free_result(nll_from_probs, p, t, what="nll_from_probs")
    return score([cases_part("nll_from_probs on probabilities and edge cases", run, lambda: _prob_cases(1201),
                             reference=_nll_ref, mistakes=_nll_mistakes)], points=points)


def _clipped(probs):
    return probs.double().clamp(KERAS_EPSILON, 1 - KERAS_EPSILON)


LOG_OF_ZERO = mistake(
    "cross_entropy.log_of_zero_nan",
    "y·log p is 0·log 0 = nan where a class that is not the true one has probability exactly 0; use "
    "torch.xlogy(y, p), which is 0 there, or take the log of the true class's probability only")


def _log_of_zero_nan(result, probs, *, what: str) -> bool:
    """Whether a single-number result is nan on probabilities with exact zeros (0·log 0)."""
    got = to_array(result, what=what)
    return got.size == 1 and bool(np.isnan(got).all()) and bool((probs == 0).any())


def _ce_part(name: str, get_result: Callable, cases: Callable, mistakes: Callable) -> Part:
    """Compare with the exact loss, accepting the Keras-style clipped one (eps = 1e-7) as well."""
    def check():
        for label, dtype, y, probs, target in cases():
            exact = _nll_ref(probs, target)
            clipped = -_picked(_clipped(probs), target).log().mean()
            result = get_result(y, probs)
            try:
                expect_one_of(result, [exact, clipped], what=label, dtype=dtype,
                              mistakes=lambda: mistakes(probs, target))
            except AssertionError:
                if _log_of_zero_nan(result, probs, what=label):
                    raise findings.fail(LOG_OF_ZERO, f"{label} gave a non-finite value (nan) where the answer "
                                                     f"is finite ({round(float(exact), 6)}): ") from None
                raise
    return Part(name, check)


def _onehot_cases():
    for label, dtype, probs, target in _prob_cases(1202):
        yield label, dtype, torch.nn.functional.one_hot(target, probs.shape[1]).to(dtype), probs, target
    for label, dtype, probs, target in _prob_cases(1203):
        if probs.shape == (64, 7) and dtype == F32:
            yield label + " with int64 one-hot labels", dtype, torch.nn.functional.one_hot(target, 7), probs, target


def _sparse_cases():
    for label, dtype, probs, target in _prob_cases(1204):
        yield label, dtype, target, probs, target


@recorded
def categorical_cross_entropy_own(categorical_cross_entropy, *, points: float) -> float:
    """`categorical_cross_entropy(y_true_onehot, y_pred_probs)`: -mean_n Σ_c y log p."""
    run = lambda y, p: own_result(categorical_cross_entropy, y, p, what="categorical_cross_entropy")
    return score([_ce_part("categorical_cross_entropy on one-hot labels", run, _onehot_cases,
                           _likelihood_mistakes)], points=points)


@recorded
def sparse_categorical_cross_entropy_own(sparse_categorical_cross_entropy, *, points: float) -> float:
    """`sparse_categorical_cross_entropy(y_true, y_pred_probs)` with integer labels."""
    run = lambda y, p: own_result(sparse_categorical_cross_entropy, y, p, what="sparse_categorical_cross_entropy")
    return score([_ce_part("sparse_categorical_cross_entropy on integer labels", run, _sparse_cases,
                           _likelihood_mistakes)], points=points)


# ---------------------------------------------------------------- weighted BCE with logits

def _weighted_bce_cases(large: bool):
    g = generator(1302 if large else 1301)
    scale = 100.0 if large else 2.0
    layouts = [((40,), ()), ((12, 1), (1,)), ((16, 3), (3,)), ((2, 5, 4), (4,))]
    for shape, weight_shape in layouts:
        for dtype in ((F32,) if large else (F32, F64)):
            logits = torch.randn(shape, generator=g, dtype=dtype) * scale
            target = (torch.rand(shape, generator=g) < 0.3).to(dtype)
            pos_weight = (torch.rand(weight_shape, generator=g, dtype=dtype) * 4 + 0.5)
            label = f"logits {shape} {dtype}" + (" × 100" if large else "") + f", pos_weight of shape {weight_shape}"
            yield label, dtype, logits, target, pos_weight
    if large:
        target = torch.tensor([1.0, 0.0, 1.0, 0.0])
        yield "logits ±100, both right and wrong", F32, torch.tensor([100.0, -100.0, -100.0, 100.0]), \
            target, torch.tensor(2.0)


def _weighted_bce_ref(logits, target, pos_weight):
    return torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight.double())(logits.double(), target.double())


def _weighted_bce_mistakes(logits, target, pos_weight):
    x, t, w = logits.double(), target.double(), pos_weight.double()
    log_p, log_not_p = torch.nn.functional.logsigmoid(x), torch.nn.functional.logsigmoid(-x)
    return {
        mistake("weighted_bce.weight_for_pos_weight", "pos_weight was passed as weight=: weight multiplies the "
                "loss of EVERY element (a plain rescaling), pos_weight multiplies only the positive term "
                "y·log σ(x), which is what counters the class imbalance; use BCEWithLogitsLoss(pos_weight=...)"):
            torch.nn.BCEWithLogitsLoss(weight=w)(x, t),
        mistake("weighted_bce.pos_weight_ignored", "pos_weight is ignored: the result is the unweighted BCE"):
            torch.nn.BCEWithLogitsLoss()(x, t),
        mistake("weighted_bce.pos_weight_on_negative", "pos_weight multiplies the NEGATIVE term; it belongs to "
                "the positive term y·log σ(x)"): -(t * log_p + w * (1 - t) * log_not_p).mean(),
        mistake("weighted_bce.sum_not_mean", "you sum over the elements; the loss is the mean"):
            -(w * t * log_p + (1 - t) * log_not_p).sum(),
        mistake("weighted_bce.sigmoid_twice", "sigmoid is applied twice: BCEWithLogitsLoss applies it itself, "
                "pass the raw logits"): torch.nn.BCEWithLogitsLoss(pos_weight=w)(torch.sigmoid(x), t),
    }


LOG_SIGMOID_UNDERFLOW = mistake(
    "weighted_bce.log_sigmoid_underflow",
    "log(sigmoid(x)) underflows to log(0). Write log σ(x) = -softplus(-x) (or use logsigmoid, or the "
    "max(x, 0) trick)")


def _finite(result, *, what: str):
    if not np.all(np.isfinite(to_array(result, what=what))):
        raise findings.fail(LOG_SIGMOID_UNDERFLOW, f"{what} gives inf or nan for logits of ±100: ")
    return result


@recorded
def weighted_bce_with_logits_check(weighted_bce_with_logits, *, points: float) -> float:
    """`weighted_bce_with_logits(logits, target, pos_weight)` = BCEWithLogitsLoss(pos_weight=...)."""
    what = "weighted_bce_with_logits"
    ordinary = lambda x, t, w: _free_result(weighted_bce_with_logits, x, t, w, what=what)
    stable = lambda x, t, w: _finite(ordinary(x, t, w), what=what)
    return score([
        cases_part("weighted_bce_with_logits on ordinary logits", ordinary, lambda: _weighted_bce_cases(False),
                   reference=_weighted_bce_ref, mistakes=_weighted_bce_mistakes, weight=3),
        cases_part("weighted_bce_with_logits on logits of ±100", stable, lambda: _weighted_bce_cases(True),
                   reference=_weighted_bce_ref, mistakes=_weighted_bce_mistakes, weight=1),
    ], points=points)


# ---------------------------------------------------------------- KL divergence

def _kl_cases():
    g = generator(1401)
    softmax = lambda shape, dtype: torch.softmax(torch.randn(shape, generator=g, dtype=dtype) * 1.5, dim=-1)
    for shape in [(4, 5), (16, 10), (1, 3), (3,), (10,)]:
        for dtype in (F32, F64):
            yield f"distributions of shape {shape} {dtype}", dtype, softmax(shape, dtype), softmax(shape, dtype)
    q = softmax((3, 4), F64)
    yield "identical distributions (KL 0)", F64, q.clone(), q
    p = torch.tensor([[0.0, 0.3, 0.7, 0.0], [0.25, 0.25, 0.25, 0.25], [1.0, 0.0, 0.0, 0.0]], dtype=F64)
    yield "p with zero entries (0·log 0 counts as 0)", F64, p, q


def _kl_terms(p, q):
    p, q = p.double(), q.double()
    return torch.xlogy(p, p) - p * q.log()


def _per_batch(values, p):
    return values.sum() / (p.shape[0] if p.ndim == 2 else 1)


def _kl_ref(p, q):
    return _per_batch(_kl_terms(p, q), p)


def _kl_mistakes(p, q):
    terms = _kl_terms(p, q)
    pd, qd = p.double(), q.double()
    mistakes = {}
    if p.ndim == 1:
        mistakes[mistake("kl.batchmean_on_single", "for a single distribution (1-D) reduction='batchmean' (like "
                         "'mean') divides by its length; KL is the full sum here (reduction='sum', or add a batch "
                         "dimension)")] = terms.sum() / terms.numel()
    mistakes.update({
        mistake("kl.direction_swapped", "the arguments are swapped: this is KL(q‖p); kl_divergence(p, q) is "
                "Σ p·log(p/q) (with KLDivLoss: input q.log(), target p)"): _per_batch(_kl_terms(q, p), p),
        mistake("kl.mean_over_elements", "you divide by the number of ELEMENTS (reduction='mean'); average over "
                "the distributions (reduction='batchmean')"): terms.sum() / terms.numel(),
        mistake("kl.probs_not_log", "KLDivLoss expects LOG-probabilities as its input: pass q.log(), not q"):
            _per_batch(torch.xlogy(pd, pd) - pd * qd, p),
        mistake("kl.wrong_sign", "the sign is wrong: KL(p‖q) = Σ p·log(p/q) ≥ 0"): -_per_batch(terms, p),
    })
    if p.ndim == 2:
        mistakes[mistake("kl.sum_not_batchmean", "you sum over the whole batch; divide by the number of "
                         "distributions (batchmean)")] = terms.sum()
    return mistakes


@recorded
def kl_divergence_check(kl_divergence, *, points: float) -> float:
    """`kl_divergence(p, q)`: KL(p‖q), summed for one distribution, batch mean for rows."""
    run = lambda p, q: _free_result(kl_divergence, p, q, what="kl_divergence")
    return score([cases_part("kl_divergence on distributions and edge cases", run, _kl_cases,
                             reference=_kl_ref, mistakes=_kl_mistakes)], points=points)


# ---------------------------------------------------------------- batch Dice loss

def _batch_dice_cases():
    g = generator(1501)
    for shape, soft in [((4, 1, 8, 8), False), ((2, 3, 5, 7), True), ((3, 1, 4, 6, 6), False),
                        ((2, 2, 3, 4, 5), True), ((1, 1, 6, 6), True)]:
        for dtype in (F32, F64):
            targets = (torch.rand(shape, generator=g) < 0.4).to(dtype)
            noisy = torch.where(torch.rand(shape, generator=g) < 0.2, 1 - targets, targets)
            preds = torch.sigmoid(torch.randn(shape, generator=g, dtype=dtype) + 3 * (2 * targets - 1)) if soft else noisy
            yield f"{'probabilities' if soft else 'masks'} of shape {shape} {dtype}", dtype, preds, targets, {}
    targets = (torch.rand(3, 1, 5, 5, generator=g) < 0.5).double()
    targets[1] = 0
    preds = targets.clone()
    yield "a perfect prediction with an empty sample (loss 0)", F64, preds, targets, {}
    wrong = preds.clone()
    wrong[1, 0, 2, 2] = 1.0
    yield "a sample with an empty target but a predicted pixel", F64, wrong, targets, {}
    soft = torch.sigmoid(torch.randn(3, 2, 4, 4, generator=g, dtype=F64))
    yield "probabilities with smooth=1.0", F64, soft, (soft > 0.6).double(), {"smooth": 1.0}


def _per_sample_dice(preds, targets, smooth):
    p, t = preds.double().flatten(1), targets.double().flatten(1)
    return (2 * (p * t).sum(1) + smooth) / (p.sum(1) + t.sum(1) + smooth)


def _batch_dice_ref(preds, targets, smooth=1e-6):
    return (1 - _per_sample_dice(preds, targets, smooth)).mean()


DICE_COEFFICIENT_TEXT = "you return the Dice coefficient; the loss is 1 − Dice"
NOT_AVERAGED = mistake("batch_dice.not_averaged", "batch_dice_loss returns one loss per sample; "
                                                  "average them over the batch (a single number)")


def _batch_dice_mistakes(preds, targets, smooth=1e-6):
    p, t = preds.double(), targets.double()
    per_sample = 1 - _per_sample_dice(p, t, smooth)
    pc, tc = p.flatten(2), t.flatten(2)
    per_channel = 1 - (2 * (pc * tc).sum(2) + smooth) / (pc.sum(2) + tc.sum(2) + smooth)
    return {
        mistake("batch_dice.global_dice", "you compute one Dice over the whole batch at once; compute one per "
                "sample (sum over all dims but the batch dim), then average"):
            1 - (2 * (p * t).sum() + smooth) / (p.sum() + t.sum() + smooth),
        mistake("batch_dice.sum_not_mean", "you sum the per-sample losses; take the mean over the batch"):
            per_sample.sum(),
        mistake("batch_dice.coefficient_not_loss", DICE_COEFFICIENT_TEXT): (1 - per_sample).mean(),
        mistake("batch_dice.smooth_denominator_only", "smooth is missing from the numerator: (2·|X∩Y| + smooth) "
                "/ (|X| + |Y| + smooth)"):
            (1 - 2 * (p * t).flatten(1).sum(1) / (p.flatten(1).sum(1) + t.flatten(1).sum(1) + smooth)).mean(),
        mistake("batch_dice.per_channel", "you compute one Dice per channel; a sample's Dice sums over C and all "
                "spatial dims together"): per_channel.mean(),
    }


def _batch_dice_part(get_result) -> Part:
    def check():
        for label, dtype, preds, targets, options in _batch_dice_cases():
            result = get_result(preds, targets, options)
            per_sample = 1 - _per_sample_dice(preds, targets, options.get("smooth", 1e-6))
            got = to_array(result, what="batch_dice_loss")
            if len(preds) > 1 and got.size == len(preds) and np.allclose(got.reshape(-1), per_sample.numpy(),
                                                                        rtol=1e-4, atol=1e-5):
                raise findings.fail(NOT_AVERAGED, f"{label}: ")
            expect_close(result, _batch_dice_ref(preds, targets, **options), what=label, dtype=dtype,
                         mistakes=lambda: _batch_dice_mistakes(preds, targets, **options))
    return Part("batch_dice_loss on 2-D and 3-D batches and edge cases", check)


@recorded
def batch_dice_loss_own(batch_dice_loss, *, points: float) -> float:
    """`batch_dice_loss(preds, targets, smooth=1e-6)`: per-sample Dice loss, batch mean."""
    run = lambda p, t, options: own_result(batch_dice_loss, p, t, what="batch_dice_loss", **options)
    return score([_batch_dice_part(run)], points=points)


# ---------------------------------------------------------------- the loss modules

def _counts(p, t):
    """Soft TP, FP, FN of probabilities p against a 0/1 mask t (all elements together)."""
    return (p * t).sum(), (p * (1 - t)).sum(), ((1 - p) * t).sum()


def _dice_loss(p, t):
    return 1 - (2 * (p * t).sum() + 1) / (p.sum() + t.sum() + 1)


def _tversky_index(p, t, alpha, beta):
    tp, fp, fn = _counts(p, t)
    return (tp + 1) / (tp + alpha * fn + beta * fp + 1)


def _bce(p, t):
    """BCE on probabilities as torch's BCELoss computes it (log clamped at -100)."""
    return -(t * p.log().clamp(min=-100) + (1 - t) * (1 - p).log().clamp(min=-100)).mean()


def _dice_mistakes(p, t):
    mistakes = {
        mistake("dice.smooth_denominator_only", "smooth is missing from the numerator: (2·TP + 1) / (Σp + Σt + 1)"):
            1 - 2 * (p * t).sum() / (p.sum() + t.sum() + 1),
        mistake("dice.no_smoothing", "there is no smoothing: add 1 to numerator and denominator"):
            1 - 2 * (p * t).sum() / (p.sum() + t.sum()),
        mistake("dice.coefficient_not_loss", DICE_COEFFICIENT_TEXT): 1 - _dice_loss(p, t),
        mistake("dice.squared_denominator", "the denominator sums SQUARED predictions; this Dice uses Σp + Σt"):
            1 - (2 * (p * t).sum() + 1) / ((p ** 2).sum() + (t ** 2).sum() + 1),
    }
    if p.ndim > 1 and len(p) > 1:
        mistakes[mistake("dice.per_sample_mean", "you average one Dice per sample; this loss is global (flatten "
                         "the whole batch)")] = torch.stack([_dice_loss(a, b) for a, b in zip(p, t)]).mean()
    return mistakes


def _tversky_mistakes(p, t, alpha, beta):
    tp, fp, fn = _counts(p, t)
    return {
        mistake("tversky.alpha_beta_swapped", "alpha and beta are swapped: alpha weighs the false NEGATIVES, "
                "beta the false POSITIVES"): 1 - _tversky_index(p, t, beta, alpha),
        mistake("tversky.index_not_loss", "you return the Tversky index; the loss is 1 − TI"):
            _tversky_index(p, t, alpha, beta),
        mistake("tversky.smooth_denominator_only", "smooth is missing from the numerator: (TP + 1) / "
                "(TP + α·FN + β·FP + 1)"): 1 - tp / (tp + alpha * fn + beta * fp + 1),
        mistake("tversky.alpha_beta_ignored", "alpha and beta are ignored (this is the Dice loss)"):
            _dice_loss(p, t),
    }


def _focal_mistakes(p, t, alpha, beta, gamma):
    ti = _tversky_index(p, t, alpha, beta)
    swapped = _tversky_index(p, t, beta, alpha)
    return {
        mistake("focal_tversky.inverse_gamma", "the exponent is 1/gamma; this course's focal Tversky loss is "
                "(1 − TI) ** gamma"): (1 - ti) ** (1 / gamma),
        mistake("focal_tversky.alpha_beta_swapped", "alpha and beta are swapped (as in the source's focal "
                "Tversky): alpha weighs the false NEGATIVES, beta the false POSITIVES"): (1 - swapped) ** gamma,
        mistake("focal_tversky.alpha_beta_swapped_inverse_gamma", "alpha and beta are swapped and the exponent "
                "is 1/gamma"): (1 - swapped) ** (1 / gamma),
        mistake("focal_tversky.gamma_ignored", "gamma is ignored: raise (1 − TI) to the power gamma"): 1 - ti,
        mistake("focal_tversky.gamma_on_index", "you compute 1 − TI ** gamma; raise (1 − TI) to the power gamma"):
            1 - ti ** gamma,
    }


def _dice_bce_mistakes(p, t, bce_weight):
    bce, dice = _bce(p, t), _dice_loss(p, t)
    return {
        mistake("dice_bce.dice_plus_weighted_bce", "you add Dice + bce_weight·BCE (the source's combination); "
                "this course weighs them bce_weight·BCE + (1 − bce_weight)·Dice"): dice + bce_weight * bce,
        mistake("dice_bce.weights_swapped", "the weights are swapped: bce_weight multiplies the BCE, "
                "(1 − bce_weight) the Dice loss"): bce_weight * dice + (1 - bce_weight) * bce,
        mistake("dice_bce.dice_smooth_denominator_only", "the Dice part has no smoothing in the numerator: "
                "(2·TP + 1) / (Σp + Σt + 1)"):
            bce_weight * bce + (1 - bce_weight) * (1 - 2 * (p * t).sum() / (p.sum() + t.sum() + 1)),
        mistake("dice_bce.unweighted_sum", "you add the BCE and the Dice loss unweighted"): bce + dice,
    }


@dataclass(frozen=True)
class LossSpec:
    """One loss module: its constructor options per case, reference and known mistakes."""

    name: str
    options: tuple[dict, ...]
    reference: Callable
    mistakes: Callable
    allowed: tuple[str, ...] = ()  # library calls that are fine inside it
    hard_inputs: bool = True  # False: probabilities of exactly 0 or 1 are not used (a log is taken)
    stated_cases: tuple[str, ...] = ()  # labels of edge cases the contract states: a failure there is always named

    def option(self, index: int) -> dict:
        return self.options[index % len(self.options)]


DICE = LossSpec("DiceLoss", ({},), lambda p, t: _dice_loss(p, t), _dice_mistakes,
                stated_cases=("an empty mask predicted empty",))
TVERSKY = LossSpec("TverskyLoss", ({"alpha": 0.7, "beta": 0.3}, {"alpha": 0.2, "beta": 0.8}, {"alpha": 1.0, "beta": 0.5}),
                   lambda p, t, alpha, beta: 1 - _tversky_index(p, t, alpha, beta), _tversky_mistakes)
FOCAL_TVERSKY = LossSpec(
    "FocalTverskyLoss",
    ({"alpha": 0.7, "beta": 0.3, "gamma": 0.75}, {"alpha": 0.2, "beta": 0.8, "gamma": 2.0},
     {"alpha": 1.0, "beta": 0.5, "gamma": 1.5}),
    lambda p, t, alpha, beta, gamma: (1 - _tversky_index(p, t, alpha, beta)) ** gamma, _focal_mistakes)
DICE_BCE = LossSpec("DiceBCELoss", ({"bce_weight": 0.3}, {"bce_weight": 0.8}, {"bce_weight": 0.5}),
                    lambda p, t, bce_weight: bce_weight * _bce(p, t) + (1 - bce_weight) * _dice_loss(p, t),
                    _dice_bce_mistakes, allowed=TORCH_BCE, hard_inputs=False)


def _probability_cases(spec: LossSpec):
    g = generator(1601)
    for shape in [(64,), (2, 1, 8, 8), (3, 10, 12), (2, 1, 3, 5, 5)]:
        for dtype in (F32, F64):
            target = (torch.rand(shape, generator=g) < 0.35).to(dtype)
            target.view(-1)[0] = 1
            probs = torch.sigmoid(torch.randn(shape, generator=g, dtype=dtype) * 1.5 + 2 * target - 1)
            yield f"probabilities of shape {shape} {dtype}", dtype, probs, target
    target = (torch.rand(2, 1, 6, 6, generator=g) < 0.4).double()
    edge = lambda p: p if spec.hard_inputs else p.clamp(1e-3, 1 - 1e-3)
    yield "a perfect prediction", F64, edge(target.clone()), target
    yield "an empty positive mask", F64, torch.rand(2, 1, 6, 6, generator=g, dtype=F64), torch.zeros_like(target)
    yield "an empty mask predicted empty", F32, edge(torch.zeros(2, 1, 6, 6)), torch.zeros(2, 1, 6, 6)
    yield "a single pixel", F64, torch.tensor([0.7], dtype=F64), torch.tensor([1.0], dtype=F64)


def _logit_cases(spec: LossSpec):
    g = generator(1602)
    for shape in [(50,), (2, 1, 6, 6), (4, 3, 5)]:
        for dtype in (F32, F64):
            target = (torch.rand(shape, generator=g) < 0.4).to(dtype)
            logits = torch.randn(shape, generator=g, dtype=dtype) * 3 + 2 * target - 1
            yield f"logits of shape {shape} {dtype}", dtype, logits, target
    if spec.hard_inputs:
        target = (torch.rand(2, 1, 5, 5, generator=g) < 0.4).float()
        flipped = torch.where(torch.rand(2, 1, 5, 5, generator=g) < 0.2, 1 - target, target)
        yield "logits of ±100 (sigmoid saturates)", F32, (2 * flipped - 1) * 100, target
        yield "a perfect prediction with logits of ±100", F32, (2 * target - 1) * 100, target


def _gradient_cases():
    g = generator(1603)
    for index, (shape, dtype, from_logits) in enumerate([((2, 1, 5, 5), F64, False), ((40,), F32, False),
                                                          ((3, 4, 4), F64, True), ((2, 1, 2, 4, 4), F32, True)]):
        target = (torch.rand(shape, generator=g) < 0.4).to(dtype)
        x = torch.randn(shape, generator=g, dtype=dtype) * 2 + 2 * target - 1
        x = x if from_logits else torch.sigmoid(x)
        kind = "logits" if from_logits else "probabilities"
        yield f"{kind} of shape {shape} {dtype}", dtype, x, target, from_logits


def _module(cls, options: dict, what: str):
    """The student's module, built through call_student (so each call of the instance is observed)."""
    return common.call_student(cls, what=what, **options)[0]


def _module_call(spec: LossSpec, cls, options: dict, what: str) -> Callable:
    return lambda x, t: _own_except(spec.allowed, _module(cls, options, what), x, t, what=what)


def _named_failures(failures: list[tuple[str, str]], stated: tuple[str, ...]) -> str:
    """The first failure, and every failure of a stated edge case after it (so each is named)."""
    first = failures[0][1]
    also = [message for label, message in failures[1:]
            if any(case in label for case in stated) and message != first]
    return "\n".join([first, *(f"also {message}" for message in also)])


def _options_text(spec: LossSpec, options: dict) -> str:
    return f"{spec.name}({', '.join(f'{k}={v!r}' for k, v in options.items())})"


def _expected(spec: LossSpec, x, t, options: dict, from_logits: bool):
    p = x.double()  # keeps the graph when x is a leaf that requires grad
    return spec.reference(torch.sigmoid(p) if from_logits else p, t.double(), **options)


SIGMOID_MISSING = mistake("from_logits.sigmoid_missing",
                          "from_logits=True: the input is logits, apply torch.sigmoid first")
SIGMOID_ON_PROBABILITIES = mistake("from_logits.sigmoid_on_probabilities",
                                   "by default (from_logits=False) the input is already probabilities: no sigmoid")


def _value_mistakes(spec: LossSpec, x, t, options: dict, from_logits: bool) -> dict:
    """The spec's mistakes, and applying sigmoid where it does not belong (or not where it does)."""
    raw, t64 = x.detach().double(), t.double()
    p = torch.sigmoid(raw) if from_logits else raw
    wrong_mode = spec.reference(raw if from_logits else torch.sigmoid(raw), t64, **options)
    mode_mistake = SIGMOID_MISSING if from_logits else SIGMOID_ON_PROBABILITIES
    return {**spec.mistakes(p, t64, **options), mode_mistake: wrong_mode}


def _values_part(spec: LossSpec, cls, from_logits: bool, weight: float) -> Part:
    def check():
        cases = _logit_cases(spec) if from_logits else _probability_cases(spec)
        failures = []
        for index, (label, dtype, x, t) in enumerate(cases):
            if failures and not any(case in label for case in spec.stated_cases):
                continue  # after a failure, only the stated edge cases are still run (to name them)
            options = spec.option(index)
            kwargs = {**options, "from_logits": True} if from_logits else options
            what = _options_text(spec, kwargs)
            try:
                result = _module_call(spec, cls, kwargs, what)(x, t)
                expect_close(result, _expected(spec, x, t, options, from_logits), what=f"{what} on {label}",
                             dtype=dtype, mistakes=lambda: _value_mistakes(spec, x, t, options, from_logits))
            except AssertionError as failure:
                failures.append((label, str(failure)))
        if failures:
            raise AssertionError(_named_failures(failures, spec.stated_cases))
    name = "logits with from_logits=True" if from_logits else "probabilities (from_logits=False by default)"
    return Part(f"{spec.name}: {name}", check, weight)


def _loss_and_gradient(module, x: torch.Tensor, t: torch.Tensor):
    """Runs in the student's call: the loss and d loss / d x, or None if the loss has no grad_fn."""
    loss = module(x, t)
    if not isinstance(loss, torch.Tensor) or loss.grad_fn is None or loss.numel() != 1:
        return loss, None
    (gradient,) = torch.autograd.grad(loss.reshape(()), x, allow_unused=True)
    return loss, gradient


NO_GRAD_FN = mistake(
    "gradient.detached",
    "without a grad_fn although the prediction requires grad: the loss is not differentiable and cannot "
    "train a network. Keep every step in torch on the input tensor (no .detach(), .item(), .numpy(), "
    "float() or torch.tensor(...) of an intermediate)")
ZERO_GRADIENT = mistake(
    "gradient.zero_from_threshold",
    "the gradient is zero everywhere: a threshold (p > 0.5) or rounding has no useful gradient")


def _not_differentiable(what: str, loss) -> AssertionError:
    return findings.fail(NO_GRAD_FN, f"{what} returned {describe(loss)} ")


def _gradient_part(spec: LossSpec, cls, weight: float) -> Part:
    def check():
        for index, (label, dtype, x, t, from_logits) in enumerate(_gradient_cases()):
            options = spec.option(index)
            kwargs = {**options, "from_logits": True} if from_logits else options
            what = _options_text(spec, kwargs)
            module = _module(cls, kwargs, what)
            _own_except(spec.allowed, module, x.clone().requires_grad_(), t, what=what)  # forward, observed
            run = lambda a, b: _loss_and_gradient(module, a, b)
            loss, gradient = _own_except(spec.allowed, run, x.clone().requires_grad_(), t, what=what)
            leaf = x.detach().double().requires_grad_()
            (expected,) = torch.autograd.grad(_expected(spec, leaf, t, options, from_logits), leaf)
            expect_close(loss, _expected(spec, x, t, options, from_logits), what=f"{what} on {label}",
                         dtype=dtype, mistakes=lambda: _value_mistakes(spec, x, t, options, from_logits))
            if gradient is None:
                raise _not_differentiable(what, loss)
            expect_close(gradient, expected, what=f"the gradient of {what} on {label}", dtype=dtype,
                         mistakes={ZERO_GRADIENT: torch.zeros_like(expected)})
    return Part(f"{spec.name}: gradients (loss.backward())", check, weight)


def _module_parts(spec: LossSpec, cls) -> list[Part]:
    return [_values_part(spec, cls, from_logits=False, weight=2), _values_part(spec, cls, from_logits=True, weight=1),
            _gradient_part(spec, cls, weight=1)]


@recorded
def dice_loss_module(DiceLoss, *, points: float) -> float:
    """`DiceLoss(from_logits=False)`: global soft Dice loss with smooth 1; values and gradients."""
    return score(_module_parts(DICE, DiceLoss), points=points)


@recorded
def tversky_loss_module(TverskyLoss, *, points: float) -> float:
    """`TverskyLoss(alpha, beta, from_logits=False)`: 1 − TI; alpha weighs FN, beta FP."""
    return score(_module_parts(TVERSKY, TverskyLoss), points=points)


@recorded
def focal_tversky_loss_module(FocalTverskyLoss, *, points: float) -> float:
    """`FocalTverskyLoss(alpha, beta, gamma, from_logits=False)`: (1 − TI) ** gamma."""
    return score(_module_parts(FOCAL_TVERSKY, FocalTverskyLoss), points=points)


@recorded
def dice_bce_loss_module(DiceBCELoss, *, points: float) -> float:
    """`DiceBCELoss(bce_weight, from_logits=False)`: bce_weight·BCE + (1 − bce_weight)·Dice."""
    return score(_module_parts(DICE_BCE, DiceBCELoss), points=points)


# ---------------------------------------------------------------- classification summary (torchmetrics)

METRICS = ("accuracy", "f1", "precision", "recall")
AVERAGES = ("micro", "macro", "none")


def _summary_entries(summary) -> tuple:
    """The summary's 13 values in a fixed order (None where a key is missing): recordable data."""
    def get(*path):
        value = summary
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return value
    return tuple(get(metric, average) for metric in METRICS for average in AVERAGES) + (get("confusion_matrix"),)


def _summary_cases():
    g = generator(1701)
    for n, c, dtype in [(50, 4, F32), (200, 6, F32), (12, 3, F64)]:
        target = torch.cat([torch.arange(c), torch.randint(c, (n - c,), generator=g)])
        logits = torch.randn(n, c, generator=g, dtype=dtype)
        right = torch.rand(n, generator=g) < 0.6
        logits[right, target[right]] += 4
        yield f"{n} samples, {c} classes", torch.softmax(logits, dim=1), target, c
    target = torch.tensor([0, 0, 1, 1, 2, 2, 2])
    yield "perfect predictions", torch.nn.functional.one_hot(target, 3).float(), target, 3
    probs = torch.tensor([[0.7, 0.2, 0.1], [0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.1, 0.8, 0.1],
                          [0.3, 0.6, 0.1], [0.5, 0.4, 0.1], [0.4, 0.5, 0.1]])
    yield "a class that is never predicted", probs, target, 3
    yield "a class absent from the target (4 classes)", torch.cat([probs, torch.zeros(7, 1)], 1), target, 4


def _metric_ref(metric: str, probs, target, num_classes: int, average: str):
    from torchmetrics.functional import classification as tmc
    function = {"accuracy": tmc.multiclass_accuracy, "f1": tmc.multiclass_f1_score,
                "precision": tmc.multiclass_precision, "recall": tmc.multiclass_recall}[metric]
    return _quiet(function, probs, target, num_classes=num_classes, average=average)


def _confusion_ref(probs, target, num_classes: int):
    from torchmetrics.functional.classification import multiclass_confusion_matrix
    return _quiet(multiclass_confusion_matrix, probs, target, num_classes=num_classes)


DEFAULT_MACRO_ACCURACY = mistake(
    "accuracy.macro_as_micro", "MulticlassAccuracy / multiclass_accuracy average per class ('macro') by default: "
    "pass average='micro' for the overall accuracy")


def _metric_mistakes(metric: str, probs, target, num_classes: int, average: str):
    mistakes = {mistake(f"{metric}.{other}_as_{average}", f"under '{average}' you return the '{other}' value"):
                _metric_ref(metric, probs, target, num_classes, other)
                for other in AVERAGES if other != average and (other == "none") == (average == "none")}
    if metric == "accuracy" and average == "micro":
        mistakes = {DEFAULT_MACRO_ACCURACY: _metric_ref(metric, probs, target, num_classes, "macro")}
    swapped = {"precision": "recall", "recall": "precision"}.get(metric)
    if swapped:
        mistakes[mistake(f"{metric}.pred_target_swapped", f"this is the {swapped} (preds and target swapped?)")] = \
            _metric_ref(swapped, probs, target, num_classes, average)
    return mistakes


def _confusion_mistakes(probs, target, num_classes: int):
    matrix = _confusion_ref(probs, target, num_classes).double()
    return {mistake("confusion_matrix.transposed", "the matrix is transposed: rows are the TRUE classes, columns "
                    "the predictions"): matrix.T,
            mistake("confusion_matrix.normalized", "return counts, not a normalised matrix (normalize=None)"):
                matrix / matrix.sum(1, keepdim=True).clamp(min=1)}


def _summary_part(get_entries, metric: str) -> Part:
    def check():
        for label, probs, target, c in _summary_cases():
            entries = get_entries(probs, target, c)
            averages = AVERAGES if metric != "confusion_matrix" else (None,)
            for average in averages:
                index = len(METRICS) * len(AVERAGES) if average is None else \
                    METRICS.index(metric) * len(AVERAGES) + AVERAGES.index(average)
                key = f"['{metric}']" + (f"['{average}']" if average else "")
                if entries[index] is None:
                    raise AssertionError(f"classification_summary(...){key} is missing: return a dict with keys "
                                         "'accuracy', 'f1', 'precision', 'recall' (each a dict with 'micro', "
                                         "'macro' and 'none') and 'confusion_matrix'")
                expected = _confusion_ref(probs, target, c) if average is None else \
                    _metric_ref(metric, probs, target, c, average)
                mistakes = _confusion_mistakes(probs, target, c) if average is None else \
                    _metric_mistakes(metric, probs, target, c, average)
                expect_close(entries[index], expected, what=f"{key} on {label}", dtype=F32, mistakes=mistakes)
    return Part(metric, check)


@recorded
def classification_summary_library(classification_summary, *, points: float) -> float:
    """`classification_summary(probs, target, num_classes)`: torchmetrics' multiclass metrics in a dict."""
    def entries(*args):
        return _summary_entries(classification_summary(*args))

    entries.__name__ = "classification_summary"  # its inputs are the student function's (tests/test_contracts.py)
    run = lambda p, t, c: library_result(entries, p, t, c,
                                         what="classification_summary", uses=TORCHMETRICS,
                                         use="torchmetrics' multiclass accuracy, F1, precision, recall and "
                                             "confusion matrix")
    return score([_summary_part(run, metric) for metric in (*METRICS, "confusion_matrix")], points=points)
