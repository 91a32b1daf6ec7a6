"""Hidden tests of the `loss_and_metric` assignment: one function per grade cell.

Every check calls the student's function on fresh seeded inputs of several shapes and dtypes
plus the edge cases the lesson is about, and compares with torch / torchmetrics references
computed here. Each returns the cell's points as a plain float (or raises with the reason).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from mllab.checks import common
from mllab.checks.common import cases_part, generator, library_result, numpy_generator, own_result, recorded
from mllab.checks.common import quiet as _quiet
from mllab.checks.contracts.loss_and_metric import ANY_ORDER, LARGE_LOGITS, NEVER_PREDICTED, NO_PET, ON_THE_THRESHOLD
from mllab.checks.ssim_reference import ssim_references, ssim_mistakes
from mllab.grading import findings
from mllab.grading.compare import expect_close
from mllab.grading.findings import mistake
from mllab.grading.scoring import Part, StudentCodeError, score
from mllab.grading.tolerance import SSIM_TOLERANCE
from mllab.grading.values import to_array

F32, F64 = torch.float32, torch.float64
NN_LOSSES = ("torch.nn.", "torch.nn.functional.")
TORCHMETRICS = ("torchmetrics.",)


# ---------------------------------------------------------------- task 1: MAE and MSE

def _regression_cases():
    g = generator(101)
    for shape in [(100,), (7, 13), (4, 5, 6)]:
        for dtype in (F32, F64):
            x = torch.randn(shape, generator=g, dtype=dtype)
            y = torch.randn(shape, generator=g, dtype=dtype)
            yield f"{tuple(shape)} {dtype} inputs", dtype, x, y
    x = torch.randn(5, generator=g)
    yield "identical inputs (loss 0)", F32, x, x.clone()
    yield "a single element", F32, torch.tensor([2.0]), torch.tensor([-1.5])


def _mae_mistakes(x, y):
    d = (x - y).double()
    return {
        mistake("mae.sum_not_mean", "you sum the absolute differences; the mean divides by the number of elements"):
            d.abs().sum(),
        mistake("mae.no_abs", "the absolute value is missing: positive and negative errors cancel out"): d.mean(),
        mistake("mae.abs_of_mean", "you take the absolute value of the mean error; take it of each difference first"):
            d.mean().abs(),
        mistake("mae.mse_instead", "this is the MSE, not the MAE"): (d ** 2).mean(),
    }


def _mse_mistakes(x, y):
    d = (x - y).double()
    return {
        mistake("mse.sum_not_mean", "you sum the squared differences; the mean divides by the number of elements"):
            (d ** 2).sum(),
        mistake("mse.square_of_mean", "your MSE equals the square of the mean error: square each difference before "
                "averaging"): d.mean() ** 2,
        mistake("mse.rmse", "you return the RMSE (the square root of the MSE)"): (d ** 2).mean().sqrt(),
        mistake("mse.mae_instead", "this is the MAE, not the MSE"): d.abs().mean(),
    }


def _mae_ref(x, y):
    return torch.nn.L1Loss()(x.double(), y.double())


def _mse_ref(x, y):
    return torch.nn.MSELoss()(x.double(), y.double())


@recorded
def mae_loss_own(mae_loss, *, points: float) -> float:
    """`mae_loss(input, target)`: mean absolute error with torch math only."""
    run = lambda x, y: own_result(mae_loss, x, y, what="mae_loss")
    return score([cases_part("mae_loss on random inputs and edge cases", run, _regression_cases,
                             reference=_mae_ref, mistakes=_mae_mistakes)], points=points)


@recorded
def mse_loss_own(mse_loss, *, points: float) -> float:
    """`mse_loss(input, target)`: mean squared error with torch math only."""
    run = lambda x, y: own_result(mse_loss, x, y, what="mse_loss")
    return score([cases_part("mse_loss on random inputs and edge cases", run, _regression_cases,
                             reference=_mse_ref, mistakes=_mse_mistakes)], points=points)


@recorded
def mae_mse_library(mae_loss_lib, mse_loss_lib, *, points: float) -> float:
    """`mae_loss_lib` / `mse_loss_lib`: the same losses through torch.nn."""
    mae = lambda x, y: library_result(mae_loss_lib, x, y, what="mae_loss_lib", uses=NN_LOSSES,
                                      use="torch.nn.L1Loss()")
    mse = lambda x, y: library_result(mse_loss_lib, x, y, what="mse_loss_lib", uses=NN_LOSSES,
                                      use="torch.nn.MSELoss()")
    return score([
        cases_part("mae_loss_lib", mae, _regression_cases, reference=_mae_ref, mistakes=_mae_mistakes),
        cases_part("mse_loss_lib", mse, _regression_cases, reference=_mse_ref, mistakes=_mse_mistakes),
    ], points=points)


# ---------------------------------------------------------------- task 2: cross entropy

def _logit_cases(scale: float = 1.0, seed: int = 202):
    g = generator(seed)
    for n, c in [(5, 10), (1, 3), (64, 7), (16, 2)]:
        for dtype in (F32, F64):
            logits = torch.randn(n, c, generator=g, dtype=dtype) * scale
            target = torch.randint(c, (n,), generator=g)
            target[0] = c - 1  # the last class is a classic off-by-one
            yield f"logits of shape ({n}, {c}) {dtype}" + (f" × {scale:g}" if scale != 1 else ""), \
                dtype, logits, target


def _large_logit_cases():
    yield from _logit_cases(100.0, seed=203)
    yield from _logit_cases(1000.0, seed=204)


def _ce_ref(logits, target):
    return torch.nn.CrossEntropyLoss()(logits.double(), target)


def _ce_rounding(logits, target) -> float:
    """What rounding alone costs a correct cross entropy in the logits' own dtype: log-sum-exp and
    the picked logit are each as large as the largest logit, so their difference (the loss, which
    can be 1e-4 for logits × 1000) is only known to a few units of eps × max |logit|."""
    return 4 * torch.finfo(logits.dtype).eps * float(logits.abs().max())


def _ce_mistakes(logits, target):
    x = logits.double()
    picked = lambda logp: logp.gather(1, target[:, None]).squeeze(1)
    right = -picked(torch.log_softmax(x, dim=1))
    return {
        mistake("cross_entropy.sum_not_mean", "you sum over the samples; CrossEntropyLoss averages over the N "
                "samples"): right.sum(),
        mistake("cross_entropy.softmax_wrong_dim", "the softmax runs over the wrong dimension: normalise each row "
                "(dim=1, over the classes)"): -picked(torch.log_softmax(x, dim=0)).mean(),
        mistake("cross_entropy.wrong_sign", "the sign is wrong: the loss is the NEGATIVE log-likelihood"):
            -right.mean(),
        mistake("cross_entropy.mean_over_classes", "you average over all N×C entries of the one-hot product; "
                "average over the N samples only"): right.sum() / x.numel(),
        mistake("cross_entropy.softmax_twice", "you apply softmax twice (CrossEntropyLoss takes raw logits, not "
                "probabilities)"): -picked(torch.log_softmax(torch.softmax(x, dim=1), dim=1)).mean(),
        mistake("cross_entropy.probs_not_log", "NLLLoss expects LOG-probabilities: use LogSoftmax (not Softmax) before "
                "it"): -picked(torch.softmax(x, dim=1)).mean(),
    }


@recorded
def cross_entropy_own(cross_entropy, *, points: float) -> float:
    """`cross_entropy(input, target)` on ordinary logits."""
    run = lambda x, t: own_result(cross_entropy, x, t, what="cross_entropy")
    return score([cases_part("cross_entropy on ordinary logits", run, _logit_cases,
                             reference=_ce_ref, mistakes=_ce_mistakes, atol_floor=_ce_rounding)], points=points)


CE_OVERFLOWS = mistake(
    "cross_entropy.naive_softmax", "cross_entropy gives inf or nan for large logits: exp() overflows. Subtract each "
    "row's maximum before exp (the LogSumExp trick) or use torch.logsumexp")


@recorded
def cross_entropy_stable(cross_entropy, *, points: float) -> float:
    """`cross_entropy` stays finite and right for logits × 100 and × 1000 (the LogSumExp trick)."""
    def run(x, t):
        result = own_result(cross_entropy, x, t, what="cross_entropy")
        if not np.all(np.isfinite(to_array(result, what="cross_entropy"))):
            raise findings.fail(CE_OVERFLOWS)
        return result
    return score([cases_part(f"cross_entropy on {LARGE_LOGITS}", run, _large_logit_cases,
                             reference=_ce_ref, mistakes=_ce_mistakes, atol_floor=_ce_rounding)], points=points)


@recorded
def cross_entropy_library(cross_entropy_lib, *, points: float) -> float:
    """`cross_entropy_lib` uses torch.nn.CrossEntropyLoss."""
    run = lambda x, t: library_result(cross_entropy_lib, x, t, what="cross_entropy_lib",
                                      uses=("torch.nn.CrossEntropyLoss", "torch.nn.functional.cross_entropy"),
                                      use="torch.nn.CrossEntropyLoss()")
    return score([cases_part("cross_entropy_lib", run, lambda: [*_logit_cases(), *_large_logit_cases()],
                             reference=_ce_ref, mistakes=_ce_mistakes, atol_floor=_ce_rounding)], points=points)


def _logsoftmax_nll(function):
    return lambda x, t: library_result(function, x, t, what="cross_entropy_logsoftmax_nll",
                                       uses=("torch.nn.NLLLoss", "torch.nn.functional.nll_loss"),
                                       use="torch.nn.LogSoftmax followed by torch.nn.NLLLoss()")


@recorded
def cross_entropy_logsoftmax_nll(function, *, points: float) -> float:
    """`cross_entropy_logsoftmax_nll` composes LogSoftmax and NLLLoss (and agrees with CE), also for
    large logits (a log of a softmax gives inf there: the softmax underflows to 0)."""
    run = _logsoftmax_nll(function)
    return score([cases_part("LogSoftmax + NLLLoss on ordinary logits", run, _logit_cases,
                             reference=_ce_ref, mistakes=_ce_mistakes, atol_floor=_ce_rounding),
                  cases_part(f"LogSoftmax + NLLLoss on {LARGE_LOGITS}", run, _large_logit_cases,
                             reference=_ce_ref, mistakes=_ce_mistakes, atol_floor=_ce_rounding)], points=points)


def _bce_cases(logits: bool):
    g = generator(205)
    for shape, scale in [((3, 2), 1.0), ((50,), 3.0), ((4, 5, 6), 1.0)] + ([((20,), 100.0)] if logits else []):
        x = torch.randn(shape, generator=g, dtype=F64) * scale
        x = x if logits else torch.sigmoid(x).clamp(0.01, 0.99)
        label = f"{'logits' if logits else 'probabilities'} of shape {shape}" + (
            f" × {scale:g}" if scale == 100.0 else "")
        yield label, F64, x, torch.rand(shape, generator=g, dtype=F64)


def bce_optional(binary_cross_entropy, binary_cross_entropy_with_logits) -> None:
    """Optional: BCE on probabilities and on logits (the latter stable for large logits)."""
    bce = lambda p, y: own_result(binary_cross_entropy, p, y, what="binary_cross_entropy")
    bcel = lambda x, y: own_result(binary_cross_entropy_with_logits, x, y,
                                   what="binary_cross_entropy_with_logits")
    common.report_optional([
        cases_part("binary_cross_entropy agrees with nn.BCELoss", bce, lambda: _bce_cases(False),
                   reference=lambda p, y: torch.nn.BCELoss()(p, y)),
        cases_part("binary_cross_entropy_with_logits agrees with nn.BCEWithLogitsLoss", bcel,
                   lambda: _bce_cases(True), reference=lambda x, y: torch.nn.BCEWithLogitsLoss()(x, y)),
    ])


# ---------------------------------------------------------------- task 3: cosine similarity

def _cosine_cases():
    target = torch.tensor([[1, 2, 3, 4]] * 4, dtype=F32)
    preds = torch.tensor([[1, 2, 3, 4], [0.1, 0.2, 0.3, 0.4], [-1, -2, -3, -4], [-9, 1, 1, 1]], dtype=F32)
    yield "the 4×4 example", F32, preds, target
    g = generator(303)
    for n, d in [(10, 3), (1, 128), (32, 5), (6, 6)]:
        for dtype in (F32, F64):
            yield f"({n}, {d}) {dtype} rows", dtype, torch.randn(n, d, generator=g, dtype=dtype), \
                torch.randn(n, d, generator=g, dtype=dtype)
    a = torch.randn(5, 4, generator=g, dtype=F64)
    yield "rows scaled by positive factors (similarity 1)", F64, a * torch.rand(5, 1, generator=g, dtype=F64) * 10, a
    yield "opposite rows (similarity -1)", F64, -a, a
    yield "orthogonal rows (similarity 0)", F64, torch.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=F64), \
        torch.tensor([[0.0, 3.0], [5.0, 0.0]], dtype=F64)


def _cosine_ref(preds, target):
    from torchmetrics.regression import CosineSimilarity
    return _quiet(CosineSimilarity(reduction="none"), preds.double(), target.double())


def _cosine_mistakes(preds, target):
    p, t = preds.double(), target.double()
    dot = (p * t).sum(dim=1)
    mistakes = {
        mistake("cosine.squared_norms", "the norms are not square-rooted: divide by ||x||·||y||, not by their "
                "squares"): dot / ((p ** 2).sum(dim=1) * (t ** 2).sum(dim=1)),
        mistake("cosine.no_norms", "you return the dot product without dividing by the norms"): dot,
    }
    cosine = dot / (p.norm(dim=1) * t.norm(dim=1))
    for reduction, value in (("sum", cosine.sum()), ("mean", cosine.mean())):
        mistakes[mistake("cosine.reduced", f"you return one number for all rows, their {reduction} (torchmetrics' "
                         "CosineSimilarity sums them unless reduction='none'); return one similarity per row")] = value
    if p.shape[0] == p.shape[1]:
        mistakes[mistake("cosine.wrong_axis", "you normalise along the wrong axis: each ROW is a vector (dim=1)")] = \
            (p * t).sum(dim=0) / (p.norm(dim=0) * t.norm(dim=0))
    return mistakes


@recorded
def cosine_similarity_own(cosine_similarity, *, points: float) -> float:
    """`cosine_similarity(preds, target)`: one similarity per row, shape (N,)."""
    run = lambda p, t: own_result(cosine_similarity, p, t, what="cosine_similarity")
    return score([cases_part("cosine_similarity row by row", run, _cosine_cases,
                             reference=_cosine_ref, mistakes=_cosine_mistakes)], points=points)


@recorded
def cosine_similarity_library(cosine_similarity_lib, *, points: float) -> float:
    """`cosine_similarity_lib` uses torchmetrics.CosineSimilarity(reduction='none')."""
    run = lambda p, t: library_result(cosine_similarity_lib, p, t, what="cosine_similarity_lib",
                                      uses=TORCHMETRICS, use="torchmetrics.CosineSimilarity(reduction='none')")
    return score([cases_part("cosine_similarity_lib", run, _cosine_cases, reference=_cosine_ref,
                             mistakes=_cosine_mistakes)], points=points)


# ---------------------------------------------------------------- task 4: accuracy

def _accuracy_cases():
    target = torch.tensor([0] * 80 + [1] * 12 + [2] * 8)
    preds = torch.tensor([0] * 86 + [1] * 10 + [2] * 4)
    yield "the 100-sample example (80/12/8)", preds, target, 3
    g = generator(404)
    for n, c in [(50, 4), (200, 6), (12, 2)]:
        target = torch.cat([torch.arange(c), torch.randint(c, (n - c,), generator=g)])
        preds = torch.where(torch.rand(n, generator=g) < 0.6, target, torch.randint(c, (n,), generator=g))
        yield f"{n} samples, {c} classes", preds, target, c
    target = torch.tensor([0, 0, 1, 1, 2, 2, 2])
    yield "perfect predictions", target.clone(), target, 3
    yield NEVER_PREDICTED, torch.tensor([0, 0, 1, 1, 1, 1, 0]), target, 3


def _accuracy_ref(preds, target, num_classes, average):
    from torchmetrics.classification import MulticlassAccuracy
    return _quiet(MulticlassAccuracy(num_classes=num_classes, average=average), preds, target)


def _per_class(preds, target, num_classes, by):
    hits = torch.zeros(num_classes, dtype=F64)
    counts = torch.zeros(num_classes, dtype=F64)
    for c in range(num_classes):
        hits[c] = ((preds == c) & (target == c)).sum()
        counts[c] = ((by == c)).sum()
    return hits / counts.clamp(min=1)


def _accuracy_mistakes(preds, target, num_classes, average):
    precision = _per_class(preds, target, num_classes, by=preds)
    micro = (preds == target).double().mean()
    return {
        "macro": {
            mistake("accuracy.precision_instead", "you average the per-class PRECISION (hits / predictions of the "
                    "class); per-class accuracy divides by the number of TRUE samples of the class"): precision.mean(),
            mistake("accuracy.micro_as_macro", "macro returns the micro value: average the per-class accuracies, "
                    "each class weighing the same"): micro,
        },
        "none": {mistake("accuracy.precision_instead", "per-class values are precisions (divided by the "
                         "predictions of each class); divide by the number of true samples of each class"):
                 precision},
        "micro": {mistake("accuracy.macro_as_micro", "micro returns the mean of the per-class accuracies (that is "
                          "macro)"): _per_class(preds, target, num_classes, by=target).mean(),
                  mistake("accuracy.integer_division", "the result is rounded down: `//` or integer tensors drop "
                          "the decimals; convert to float before dividing"): micro.floor()},
    }[average]


def _labelled(label: str, get_result: Callable, *inputs):
    """``get_result(*inputs)``; a crash of the student's function names the case it crashed on."""
    try:
        return get_result(*inputs)
    except StudentCodeError as error:
        raise StudentCodeError(f"{label}: {error}") from None


def _accuracy_part(get_result, average: str, weight: float) -> Part:
    def check():
        for label, preds, target, c in _accuracy_cases():
            what = f"average={average!r} on {label}"
            expect_close(_labelled(what, get_result, preds, target, c, average),
                         _accuracy_ref(preds, target, c, average), what=what, dtype=F64,
                         mistakes=lambda: _accuracy_mistakes(preds, target, c, average))
    return Part(f"average={average!r}", check, weight)


@recorded
def accuracy_own(accuracy, *, points: float) -> float:
    """`accuracy(preds, target, num_classes, average)` for micro, macro and none."""
    run = lambda p, t, c, a: own_result(accuracy, p, t, c, average=a, what="accuracy")
    return score([_accuracy_part(run, "micro", 4), _accuracy_part(run, "macro", 3),
                  _accuracy_part(run, "none", 3)], points=points)


@recorded
def accuracy_library(accuracy_lib, *, points: float) -> float:
    """`accuracy_lib` uses torchmetrics' MulticlassAccuracy."""
    run = lambda p, t, c, a: library_result(accuracy_lib, p, t, c, average=a, what="accuracy_lib",
                                            uses=TORCHMETRICS, use="torchmetrics' MulticlassAccuracy")
    return score([_accuracy_part(run, a, 1) for a in ("micro", "macro", "none")], points=points)


# ---------------------------------------------------------------- task 5: ROC

ZIGZAG = torch.tensor([3, 0, 6, 1, 5, 2, 4])  # puts 7 sorted values in neither ascending nor descending order


def _roc_cases(ties: bool):
    """Thresholds in no particular order first (every order mistake fails there), then high to low, low to high."""
    g = generator(505 if ties else 506)
    grids = [torch.rand(7, generator=g).sort().values[ZIGZAG], torch.linspace(1, 0, 11), torch.linspace(0, 1, 6)]
    orders = [ANY_ORDER, "thresholds from high to low", "thresholds from low to high"]
    for n, order, grid in zip([250, 100, 40], orders, grids):
        if ties:  # every score is exactly one of the thresholds
            preds = grid[torch.randint(len(grid), (n,), generator=g)]
        else:
            preds = torch.rand(n, generator=g)
        target = torch.randint(2, (n,), generator=g)
        target[:2] = torch.tensor([0, 1])  # both classes present
        yield f"{n} scores, {order} {np.round(grid.double().numpy(), 2).tolist()}", preds, target, grid


def _roc_ref(preds, target, thresholds):
    from torchmetrics.classification import BinaryROC
    ascending, order = thresholds.sort()
    fpr, tpr, _ = _quiet(BinaryROC(thresholds=ascending), preds, target)
    # BinaryROC lists the rates from the highest threshold down; put them back in the given order
    return torch.stack([fpr.flip(0)[order.argsort()], tpr.flip(0)[order.argsort()]]).double()


def _roc_mistakes(preds, target, thresholds):
    negatives, positives = (target == 0), (target == 1)
    at_or_above = preds[None, :] >= thresholds[:, None]
    above = preds[None, :] > thresholds[:, None]
    tp, fp = (at_or_above & positives).sum(1).double(), (at_or_above & negatives).sum(1).double()
    strict = torch.stack([(above & negatives).sum(1) / negatives.sum(), (above & positives).sum(1) / positives.sum()])
    right = _roc_ref(preds, target, thresholds)
    high_to_low = thresholds.argsort(descending=True)
    in_given_order = "return one value per threshold in the order the thresholds are given"
    return {
        mistake("roc.fpr_over_all_samples", "the FPR divides by all samples; divide by the number of negatives "
                "(FP + TN)"): torch.stack([fp / len(target), right[1]]),
        mistake("roc.tpr_is_precision", "the TPR you compute is TP / (TP + FP), the precision; divide by the "
                "positives (TP + FN)"): torch.stack([right[0], tp / (tp + fp).clamp(min=1)]),
        mistake("roc.swapped_rates", "you return (tpr, fpr); the function returns (fpr, tpr)"): right.flip(0),
        mistake("roc.strict_threshold", "a score equal to the threshold must count as positive (use >=, not >)"):
            strict,
        mistake("roc.order_reversed", "the rates come in the reverse order of `thresholds` (BinaryROC lists them "
                "reversed): " + in_given_order): right.flip(1),
        mistake("roc.order_high_to_low", "the rates come sorted from the highest threshold down (as BinaryROC lists "
                "them), not in the order of `thresholds`: " + in_given_order): right[:, high_to_low],
        mistake("roc.order_low_to_high", "the rates come sorted from the lowest threshold up, not in the order of "
                "`thresholds`: " + in_given_order): right[:, high_to_low.flip(0)],
    }


ROC_NOT_A_PAIR = mistake("roc.not_a_pair", "return the pair (fpr, tpr), one value per threshold in each")


def _roc_part(get_result, ties: bool, weight: float) -> Part:
    def check():
        for label, preds, target, thresholds in _roc_cases(ties):
            result = get_result(preds, target, thresholds)
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                raise findings.fail(ROC_NOT_A_PAIR)
            expect_close(list(result), _roc_ref(preds, target, thresholds), what=label, dtype=F64,
                         mistakes=lambda: _roc_mistakes(preds, target, thresholds))
    name = f"scores {ON_THE_THRESHOLD}" if ties else "random scores"
    return Part(name, check, weight)


@recorded
def roc_own(roc_curve_points, *, points: float) -> float:
    """`roc_curve_points(preds, target, thresholds) -> (fpr, tpr)` aligned with thresholds."""
    run = lambda p, t, th: own_result(roc_curve_points, p, t, th, what="roc_curve_points")
    return score([_roc_part(run, ties=False, weight=7), _roc_part(run, ties=True, weight=3)], points=points)


@recorded
def roc_library(roc_curve_lib, *, points: float) -> float:
    """`roc_curve_lib` uses torchmetrics' BinaryROC at the same thresholds."""
    run = lambda p, t, th: library_result(roc_curve_lib, p, t, th, what="roc_curve_lib",
                                          uses=TORCHMETRICS, use="torchmetrics' BinaryROC(thresholds=...)")
    return score([_roc_part(run, ties=False, weight=1), _roc_part(run, ties=True, weight=1)], points=points)


# ---------------------------------------------------------------- task 6: Dice (and IoU)

def _blob_mask(g, shape):
    """A random smooth blob labelled 1 (pet) on 2 (background)."""
    h, w = shape
    yy, xx = torch.meshgrid(torch.arange(h, dtype=F64), torch.arange(w, dtype=F64), indexing="ij")
    cy, cx = torch.rand(2, generator=g, dtype=F64) * torch.tensor([h / 2, w / 2], dtype=F64) + torch.tensor([h / 4, w / 4], dtype=F64)
    ry, rx = (torch.rand(2, generator=g, dtype=F64) * 0.2 + 0.15) * torch.tensor([h, w], dtype=F64)
    inside = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
    return torch.where(inside, 1, 2)


def _mask_cases():
    g = generator(606)
    for shape, kind in [((64, 64), "numpy uint8"), ((30, 50), "torch int64"), ((41, 37), "torch uint8")]:
        gt = _blob_mask(g, shape)
        pred = torch.where(torch.rand(shape, generator=g) < 0.1, 3 - gt, gt)  # flip 10 % of the pixels
        yield f"{shape} masks as {kind}", _as_kind(pred, kind), _as_kind(gt, kind)
    gt = _blob_mask(g, (20, 20))
    yield "identical masks", gt.numpy().astype(np.uint8), gt.numpy().astype(np.uint8)
    yield NO_PET, np.full((20, 20), 2, np.uint8), gt.numpy().astype(np.uint8)
    yield f"{NO_PET} (torch int64)", torch.full((20, 20), 2), gt.long()


def _as_kind(mask: torch.Tensor, kind: str):
    if kind == "numpy uint8":
        return mask.numpy().astype(np.uint8)
    return mask.to(torch.uint8 if kind.endswith("uint8") else torch.int64)


def _region_sizes(pred, gt):
    p, t = torch.as_tensor(np.asarray(pred)) == 1, torch.as_tensor(np.asarray(gt)) == 1
    return (p & t).sum().double(), p.sum().double(), t.sum().double()


def _dice_ref(pred, gt):
    from torchmetrics.segmentation import DiceScore
    metric = DiceScore(num_classes=3, include_background=False, average="none", input_format="index")
    as_batch = lambda m: torch.as_tensor(np.asarray(m)).long()[None]
    return _quiet(metric, as_batch(pred), as_batch(gt))[0].double()


def _iou_ref(pred, gt):
    from torchmetrics.classification import MulticlassJaccardIndex
    metric = MulticlassJaccardIndex(num_classes=3, average="none")
    as_flat = lambda m: torch.as_tensor(np.asarray(m)).long().reshape(-1)
    return _quiet(metric, as_flat(pred), as_flat(gt))[1].double()


def _dice_mistakes(pred, gt):
    inter, p, t = _region_sizes(pred, gt)
    bg_inter, bg_p, bg_t = _region_sizes(3 - np.asarray(pred, dtype=np.int64), 3 - np.asarray(gt, dtype=np.int64))
    size = float(np.asarray(gt).size)
    return {
        mistake("dice.iou_instead", "you return the IoU (intersection over union); Dice is 2|X∩Y| / (|X| + |Y|)"):
            inter / (p + t - inter),
        mistake("dice.no_factor_2", "the factor 2 is missing: Dice is 2|X∩Y| / (|X| + |Y|)"): inter / (p + t),
        mistake("dice.background_class", "this is the Dice of the background (label 2); ignore_index=2 asks for the "
                "pet region (label 1)"): 2 * bg_inter / (bg_p + bg_t),
        mistake("dice.background_included", "the background (label 2) is counted too: ignore_index=2 means only "
                "the pet region (label 1) counts"): (inter + bg_inter) * 2 / (p + t + bg_p + bg_t),
        mistake("dice.pixel_accuracy", "this is the pixel accuracy; Dice compares the pet regions only"):
            (inter + bg_inter) / size,
        mistake("dice.background_averaged", "this is the mean of the pet's and the background's Dice (DiceScore "
                "includes the background and averages the classes by default); take the pet class (label 1) alone"):
            (2 * inter / (p + t) + 2 * bg_inter / (bg_p + bg_t)) / 2,
        mistake("dice.background_pixels_dropped", "you drop the pixels whose ground truth is background, which "
                "hides the false positives: ignore_index=2 leaves the background CLASS out of the score, its "
                "pixels still count"): 2 * inter / (inter + t),
    }


def _iou_mistakes(pred, gt):
    inter, p, t = _region_sizes(pred, gt)
    return {mistake("iou.dice_instead", "you return the Dice score; IoU is |X∩Y| / |X∪Y|"): 2 * inter / (p + t)}


def _mask_part(name, get_result, reference, mistakes, *, keep: Callable[[str], bool] = lambda label: True,
               weight: float = 1.0) -> Part:
    def check():
        for label, pred, gt in _mask_cases():
            if keep(label):
                expect_close(_labelled(label, get_result, pred, gt), reference(pred, gt), what=label, dtype=F64,
                             mistakes=lambda: mistakes(pred, gt))
    return Part(name, check, weight)


@recorded
def dice_own(dice_, *, points: float) -> float:
    """`dice_(pred, gt, ignore_index=2)`: Dice of the pet region; 0 (not nan) for a prediction without pet."""
    run = lambda p, t: own_result(dice_, p, t, ignore_index=2, what="dice_")
    no_pet = lambda label: label.startswith(NO_PET)
    return score([_mask_part("dice_ on random and identical masks", run, _dice_ref, _dice_mistakes,
                             keep=lambda label: not no_pet(label), weight=3),
                  _mask_part(f"dice_ on {NO_PET} (Dice 0)", run, _dice_ref, _dice_mistakes, keep=no_pet)],
                 points=points)


@recorded
def dice_library(dice_lib, *, points: float) -> float:
    """`dice_lib(pred, gt)` uses torchmetrics.segmentation.DiceScore."""
    run = lambda p, t: library_result(dice_lib, p, t, what="dice_lib", uses=TORCHMETRICS,
                                      use="torchmetrics.segmentation.DiceScore")
    return score([_mask_part("dice_lib", run, _dice_ref, _dice_mistakes)], points=points)


def iou_optional(iou_) -> None:
    """Optional: `iou_(pred, gt, ignore_index=2)`, the Jaccard index of the pet region."""
    run = lambda p, t: own_result(iou_, p, t, ignore_index=2, what="iou_")
    common.report_optional([_mask_part("iou_ agrees with torchmetrics' JaccardIndex", run, _iou_ref,
                                       _iou_mistakes)])


# ---------------------------------------------------------------- task 7: SSIM (and PSNR)

def _cat_crop(rows: slice, cols: slice) -> np.ndarray:
    from skimage import data
    return data.chelsea()[rows, cols].astype(np.float64) / 255.0


def _image_pairs():
    """Pairs of H×W×C or H×W float images in [0, 1]: the seed's kinds of distortion, small."""
    g = numpy_generator(707)
    cat = _cat_crop(slice(60, 108), slice(150, 214))          # 48 × 64 × 3
    gray = _cat_crop(slice(120, 160), slice(200, 240)).mean(axis=2)  # 40 × 40
    noisy = np.clip(cat + g.normal(0, 0.08, cat.shape), 0, 1)
    yield "a cat crop vs. the same with noise", cat, noisy
    yield "a cat crop vs. itself (SSIM 1)", cat, cat.copy()
    yield "a cat crop vs. half its intensity", cat, cat / 2
    yield "a cat crop vs. its mirror image", cat, cat[:, ::-1].copy()
    yield "a gray (H×W) crop vs. a blurred copy", gray, (gray + np.roll(gray, 1, 0) + np.roll(gray, 1, 1)) / 3
    yield "random texture vs. other random texture (32×57×3)", g.random((32, 57, 3)), g.random((32, 57, 3))


SSIM_MAP = mistake("ssim.map_not_mean", "return the mean SSIM (a single number), not the SSIM map")


def _check_ssim_value(value: np.ndarray, label: str, a, b) -> None:
    if value.size != 1:
        raise findings.fail(SSIM_MAP, f"SSIM_ returned {value.size} values for {label}; ")
    value = float(value.reshape(()))
    accepted = ssim_references(a, b)
    if any(abs(value - ref) <= SSIM_TOLERANCE for ref in accepted.values()):
        return
    for explanation, wrong in ssim_mistakes(a, b).items():
        if any(abs(value - w) <= SSIM_TOLERANCE for w in wrong):
            raise findings.fail(explanation, f"{label}: ")
    choices = ", ".join(f"{ref:.4f} ({name})" for name, ref in accepted.items())
    raise AssertionError(f"{label}: SSIM_ gave {value:.4f}; expected one of {choices}")


def _ssim_part(get_result) -> Part:
    def check():
        for label, a, b in _image_pairs():
            _check_ssim_value(to_array(get_result(a, b), what="SSIM_"), label, a, b)
    return Part("SSIM_ on image pairs", check)


@recorded
def ssim_own(SSIM_, *, points: float) -> float:
    """`SSIM_(img1, img2)`: mean SSIM with an 11×11 Gaussian window (σ = 1.5), L = 1."""
    run = lambda a, b: own_result(SSIM_, a, b, what="SSIM_")
    return score([_ssim_part(run)], points=points)


def _to_tensor_reference(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None]


def _to_tensor_mistakes(image: np.ndarray):
    h, w, c = image.shape
    flat = torch.from_numpy(np.ascontiguousarray(image)).reshape(1, c, h, w)
    return {mistake("tensor_layout.reshape_not_permute", "the values are scrambled: a reshape keeps the memory "
                    "order; move the channel axis with permute (or transpose) instead"): flat}


def _check_to_tensor(function) -> None:
    g = numpy_generator(708)
    images = [g.random((5, 7, 3)), g.random((4, 4, 1)), g.random((2, 9, 4)),
              g.random((6, 5, 3)).astype(np.float32), _cat_crop(slice(0, 300), slice(0, 451))]
    for image in images:
        label = f"a {image.shape} image"
        result = own_result(function, image, what="np_whc_to_tensor_bcwh")
        if not isinstance(result, torch.Tensor):
            raise AssertionError(f"np_whc_to_tensor_bcwh should return a torch tensor, not {type(result).__name__}")
        if not torch.is_floating_point(result):
            raise AssertionError(f"np_whc_to_tensor_bcwh returned dtype {result.dtype}; use a float dtype")
        expect_close(result, _to_tensor_reference(image), what=label, dtype=F64,
                     mistakes=lambda: _to_tensor_mistakes(image))


@recorded
def to_tensor_own(np_whc_to_tensor_bcwh, *, points: float) -> float:
    """`np_whc_to_tensor_bcwh(img)`: H×W×C numpy → 1×C×H×W float tensor (a permutation)."""
    return score([Part("np_whc_to_tensor_bcwh", lambda: _check_to_tensor(np_whc_to_tensor_bcwh))],
                 points=points)


def _ssim_lib_cases():
    for label, a, b in _image_pairs():
        if a.ndim == 3:
            a, b = 0.2 + 0.5 * a, 0.2 + 0.5 * b  # a range well inside [0, 1]: data_range matters
            yield label, F64, _to_tensor_reference(a).clone(), _to_tensor_reference(b).clone()
            yield label + " (float32)", F32, _to_tensor_reference(a).float(), _to_tensor_reference(b).float()


def _ssim_lib_ref(a, b):
    from torchmetrics.image import StructuralSimilarityIndexMeasure
    return _quiet(StructuralSimilarityIndexMeasure(data_range=1.0), a.double(), b.double())


def _ssim_lib_mistakes(a, b):
    from torchmetrics.image import StructuralSimilarityIndexMeasure
    ssim = lambda **options: _quiet(StructuralSimilarityIndexMeasure(**options), a.double(), b.double())
    return {mistake("ssim.data_range_missing", "without data_range=1.0 torchmetrics estimates the range from the "
                    "images; set data_range=1.0"): ssim(),
            mistake("ssim.data_range_255", "data_range=255 is for 8-bit images; these are floats in [0, 1] "
                    "(data_range=1.0)"): ssim(data_range=255.0)}


@recorded
def ssim_library(ssim_lib, *, points: float) -> float:
    """`ssim_lib(img1, img2)` on 1×C×H×W tensors uses torchmetrics' SSIM with data_range=1.0."""
    run = lambda a, b: library_result(ssim_lib, a, b, what="ssim_lib", uses=TORCHMETRICS,
                                      use="torchmetrics' StructuralSimilarityIndexMeasure(data_range=1.0)")
    return score([cases_part("ssim_lib", run, _ssim_lib_cases, reference=_ssim_lib_ref,
                             mistakes=_ssim_lib_mistakes)], points=points)


def _psnr_cases():
    for label, a, b in _image_pairs():
        if not np.array_equal(a, b):
            yield label, F64, a, b
            yield label + " as tensors", F64, torch.from_numpy(a), torch.from_numpy(b)


def _psnr_ref(a, b):
    from torchmetrics.image import PeakSignalNoiseRatio
    as_t = lambda x: torch.as_tensor(np.asarray(x)).double()
    return _quiet(PeakSignalNoiseRatio(data_range=1.0), as_t(a), as_t(b))


def psnr_optional(psnr_) -> None:
    """Optional: `psnr_(img1, img2, data_range=1.0)` in dB."""
    run = lambda a, b: own_result(psnr_, a, b, data_range=1.0, what="psnr_")
    common.report_optional([cases_part("psnr_ agrees with torchmetrics' PeakSignalNoiseRatio", run,
                                       _psnr_cases, reference=_psnr_ref)])
