"""Do the hidden checks of `custom_losses` grade right, explain wrong, and match the source's numbers?

The checks are called directly (no notebook). The reference solutions and the source's example
inputs below are meant to become the notebook's visible checks.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchmetrics

from mllab.checks import custom_losses as checks

# ------------------------------------------------------------------ reference solutions


def rmse(pred, target):
    return torch.sqrt(torch.mean((pred - target) ** 2))


def r2_score(pred, target):
    return 1 - torch.sum((target - pred) ** 2) / torch.sum((target - target.mean()) ** 2)


def nll_from_probs(probs, target):
    return -torch.log(probs[torch.arange(len(target)), target]).mean()


def categorical_cross_entropy(y_true_onehot, y_pred_probs):
    return -torch.xlogy(y_true_onehot.to(y_pred_probs.dtype), y_pred_probs).sum(dim=1).mean()


def sparse_categorical_cross_entropy(y_true, y_pred_probs):
    return -torch.log(y_pred_probs[torch.arange(len(y_true)), y_true]).mean()


def weighted_bce_with_logits(logits, target, pos_weight):
    return -(pos_weight * target * F.logsigmoid(logits) + (1 - target) * F.logsigmoid(-logits)).mean()


def kl_divergence(p, q):
    terms = torch.xlogy(p, p) - p * torch.log(q)
    return terms.sum() / (len(p) if p.ndim == 2 else 1)


def batch_dice_loss(preds, targets, smooth=1e-6):
    p, t = preds.flatten(1), targets.flatten(1)
    dice = (2 * (p * t).sum(1) + smooth) / (p.sum(1) + t.sum(1) + smooth)
    return (1 - dice).mean()


class _BinaryLoss(torch.nn.Module):
    def __init__(self, from_logits=False):
        super().__init__()
        self.from_logits = from_logits

    def probabilities(self, pred):
        return torch.sigmoid(pred) if self.from_logits else pred


class DiceLoss(_BinaryLoss):
    def forward(self, pred, target):
        p = self.probabilities(pred)
        return 1 - (2 * (p * target).sum() + 1) / (p.sum() + target.sum() + 1)


def _tversky_index(p, t, alpha, beta):
    tp = (p * t).sum()
    return (tp + 1) / (tp + alpha * ((1 - p) * t).sum() + beta * (p * (1 - t)).sum() + 1)


class TverskyLoss(_BinaryLoss):
    def __init__(self, alpha, beta, from_logits=False):
        super().__init__(from_logits)
        self.alpha, self.beta = alpha, beta

    def forward(self, pred, target):
        return 1 - _tversky_index(self.probabilities(pred), target, self.alpha, self.beta)


class FocalTverskyLoss(TverskyLoss):
    def __init__(self, alpha, beta, gamma, from_logits=False):
        super().__init__(alpha, beta, from_logits)
        self.gamma = gamma

    def forward(self, pred, target):
        return super().forward(pred, target) ** self.gamma


class DiceBCELoss(_BinaryLoss):
    def __init__(self, bce_weight, from_logits=False):
        super().__init__(from_logits)
        self.bce_weight = bce_weight
        self.dice = DiceLoss()

    def forward(self, pred, target):
        p = self.probabilities(pred)
        return self.bce_weight * F.binary_cross_entropy(p, target) + (1 - self.bce_weight) * self.dice(p, target)


def classification_summary(probs, target, num_classes):
    tmc = torchmetrics.functional.classification
    functions = {"accuracy": tmc.multiclass_accuracy, "f1": tmc.multiclass_f1_score,
                 "precision": tmc.multiclass_precision, "recall": tmc.multiclass_recall}
    summary = {name: {avg: f(probs, target, num_classes=num_classes, average=avg) for avg in ("micro", "macro", "none")}
               for name, f in functions.items()}
    summary["confusion_matrix"] = tmc.multiclass_confusion_matrix(probs, target, num_classes=num_classes)
    return summary


# ------------------------------------------------------------------ correct alternatives, written differently

def _np(x):
    return np.asarray(x, dtype=np.float64)


def rmse_numpy(pred, target):
    return float(np.sqrt(np.mean((_np(pred) - _np(target)) ** 2)))


def r2_numpy_variance(pred, target):
    p, t = _np(pred), _np(target)
    return 1 - np.mean((t - p) ** 2) / np.var(t)


def nll_with_library(probs, target):
    return torch.nn.NLLLoss()(torch.log(probs), target)


def cce_numpy_keras_clipping(y_true_onehot, y_pred_probs):
    p = np.clip(_np(y_pred_probs), 1e-7, 1 - 1e-7)
    return -np.mean(np.sum(_np(y_true_onehot) * np.log(p), axis=-1))


def sparse_cce_loop(y_true, y_pred_probs):
    losses = [-np.log(row[label]) for row, label in zip(_np(y_pred_probs), np.asarray(y_true))]
    return sum(losses) / len(losses)


def weighted_bce_library(logits, target, pos_weight):
    return torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)(logits, target)


def weighted_bce_numpy(logits, target, pos_weight):
    x, t, w = _np(logits), _np(target), _np(pos_weight)
    return np.mean(w * t * np.logaddexp(0, -x) + (1 - t) * np.logaddexp(0, x))


def kl_library(p, q):
    batch = p if p.ndim == 2 else p[None]
    return torch.nn.KLDivLoss(reduction="batchmean")(torch.log(q if q.ndim == 2 else q[None]), batch)


def kl_numpy(p, q):
    p, q = _np(p), _np(q)
    terms = np.where(p > 0, p * np.log(np.where(p > 0, p, 1) / q), 0.0)
    return terms.sum() / (p.shape[0] if p.ndim == 2 else 1)


def batch_dice_loop(preds, targets, smooth=1e-6):
    losses = []
    for p, t in zip(preds, targets):
        intersection = float((p * t).sum())
        losses.append(1 - (2 * intersection + smooth) / (float(p.sum()) + float(t.sum()) + smooth))
    return np.mean(losses)


class DiceLossFromCounts(torch.nn.Module):
    """Dice via TP, FP, FN (2·TP + FP + FN = Σp + Σt) and a hand-written sigmoid."""

    def __init__(self, from_logits=False):
        super().__init__()
        self.from_logits = from_logits

    def forward(self, pred, target):
        p = 1 / (1 + torch.exp(-pred)) if self.from_logits else pred
        tp, fp, fn = (p * target).sum(), (p * (1 - target)).sum(), ((1 - p) * target).sum()
        return 1 - (2 * tp + 1) / (2 * tp + fp + fn + 1)


class TverskyFromTotals(torch.nn.Module):
    def __init__(self, alpha=0.5, beta=0.5, from_logits=False):
        super().__init__()
        self.alpha, self.beta, self.from_logits = alpha, beta, from_logits

    def forward(self, pred, target):
        p = pred.sigmoid() if self.from_logits else pred
        tp = torch.dot(p.reshape(-1), target.reshape(-1))
        fn, fp = target.sum() - tp, p.sum() - tp
        return (self.alpha * fn + self.beta * fp) / (tp + self.alpha * fn + self.beta * fp + 1)


class FocalTverskyPow(TverskyFromTotals):
    def __init__(self, alpha, beta, gamma, from_logits=False):
        super().__init__(alpha, beta, from_logits)
        self.gamma = gamma

    def forward(self, pred, target):
        return torch.pow(super().forward(pred, target), self.gamma)


class DiceBCEWithLogitsLibrary(torch.nn.Module):
    """BCE through BCEWithLogitsLoss when the input is logits (allowed), Dice by hand."""

    def __init__(self, bce_weight, from_logits=False):
        super().__init__()
        self.bce_weight, self.from_logits = bce_weight, from_logits

    def forward(self, pred, target):
        if self.from_logits:
            bce, p = torch.nn.BCEWithLogitsLoss()(pred, target), torch.sigmoid(pred)
        else:
            bce, p = torch.nn.BCELoss()(pred, target), pred
        dice = 1 - (2 * (p * target).sum() + 1) / (p.sum() + target.sum() + 1)
        return self.bce_weight * bce + (1 - self.bce_weight) * dice


def classification_summary_classes(probs, target, num_classes):
    from torchmetrics.classification import (MulticlassAccuracy, MulticlassConfusionMatrix, MulticlassF1Score,
                                             MulticlassPrecision, MulticlassRecall)
    classes = {"accuracy": MulticlassAccuracy, "f1": MulticlassF1Score, "precision": MulticlassPrecision,
               "recall": MulticlassRecall}
    preds = probs.argmax(dim=1)
    summary = {name: {avg: cls(num_classes=num_classes, average=avg)(preds, target) for avg in ("micro", "macro", "none")}
               for name, cls in classes.items()}
    summary["confusion_matrix"] = MulticlassConfusionMatrix(num_classes=num_classes)(preds, target)
    return summary


CORRECT = [
    (checks.rmse_own, rmse), (checks.rmse_own, rmse_numpy),
    (checks.r2_score_own, r2_score), (checks.r2_score_own, r2_numpy_variance),
    (checks.nll_from_probs_check, nll_from_probs), (checks.nll_from_probs_check, nll_with_library),
    (checks.categorical_cross_entropy_own, categorical_cross_entropy),
    (checks.categorical_cross_entropy_own, cce_numpy_keras_clipping),
    (checks.sparse_categorical_cross_entropy_own, sparse_categorical_cross_entropy),
    (checks.sparse_categorical_cross_entropy_own, sparse_cce_loop),
    (checks.weighted_bce_with_logits_check, weighted_bce_with_logits),
    (checks.weighted_bce_with_logits_check, weighted_bce_library),
    (checks.weighted_bce_with_logits_check, weighted_bce_numpy),
    (checks.kl_divergence_check, kl_divergence), (checks.kl_divergence_check, kl_library),
    (checks.kl_divergence_check, kl_numpy),
    (checks.batch_dice_loss_own, batch_dice_loss), (checks.batch_dice_loss_own, batch_dice_loop),
    (checks.dice_loss_module, DiceLoss), (checks.dice_loss_module, DiceLossFromCounts),
    (checks.tversky_loss_module, TverskyLoss), (checks.tversky_loss_module, TverskyFromTotals),
    (checks.focal_tversky_loss_module, FocalTverskyLoss), (checks.focal_tversky_loss_module, FocalTverskyPow),
    (checks.dice_bce_loss_module, DiceBCELoss), (checks.dice_bce_loss_module, DiceBCEWithLogitsLibrary),
    (checks.classification_summary_library, classification_summary),
    (checks.classification_summary_library, classification_summary_classes),
]


@pytest.mark.parametrize("check, solution", CORRECT, ids=[f"{c.__name__}-{s.__name__}" for c, s in CORRECT])
def test_a_correct_solution_and_one_written_differently_earn_full_marks(check, solution):
    assert check(solution, points=5) == 5.0


# ------------------------------------------------------------------ typical mistakes

def nll_probs_into_nllloss(probs, target):
    return torch.nn.NLLLoss()(probs, target)


def cce_naive_product(y_true_onehot, y_pred_probs):
    return -(y_true_onehot * torch.log(y_pred_probs)).sum(dim=1).mean()


def sparse_cce_on_logits_api(y_true, y_pred_probs):
    return -torch.log_softmax(y_pred_probs, dim=1)[torch.arange(len(y_true)), y_true].mean()


def weighted_bce_weight_keyword(logits, target, pos_weight):
    return torch.nn.BCEWithLogitsLoss(weight=pos_weight)(logits, target)


def weighted_bce_naive(logits, target, pos_weight):
    p = torch.sigmoid(logits)
    return -(pos_weight * target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()


def kl_swapped(p, q):
    return kl_divergence(q, p)


def kl_reduction_mean(p, q):
    return torch.nn.KLDivLoss(reduction="mean")(torch.log(q), p)


def kl_batchmean_on_1d(p, q):
    return torch.nn.KLDivLoss(reduction="batchmean")(torch.log(q), p)


def batch_dice_whole_batch(preds, targets, smooth=1e-6):
    return 1 - (2 * (preds * targets).sum() + smooth) / (preds.sum() + targets.sum() + smooth)


def batch_dice_per_sample(preds, targets, smooth=1e-6):
    p, t = preds.flatten(1), targets.flatten(1)
    return 1 - (2 * (p * t).sum(1) + smooth) / (p.sum(1) + t.sum(1) + smooth)


def batch_dice_summed(preds, targets, smooth=1e-6):
    return batch_dice_per_sample(preds, targets, smooth).sum()


def rmse_without_root(pred, target):
    return torch.mean((pred - target) ** 2)


def r2_squared_correlation(pred, target):
    pc, tc = pred - pred.mean(), target - target.mean()
    return (pc * tc).sum() ** 2 / ((pc ** 2).sum() * (tc ** 2).sum())


class DiceSmoothDenominatorOnly(DiceLoss):
    def forward(self, pred, target):
        p = self.probabilities(pred)
        return 1 - 2 * (p * target).sum() / (p.sum() + target.sum() + 1)


class TverskySwapped(TverskyLoss):
    def forward(self, pred, target):
        return 1 - _tversky_index(self.probabilities(pred), target, self.beta, self.alpha)


class FocalTverskyInverseGamma(FocalTverskyLoss):
    def forward(self, pred, target):
        return TverskyLoss.forward(self, pred, target) ** (1 / self.gamma)


class FocalTverskySwapped(FocalTverskyLoss):
    def forward(self, pred, target):
        return (1 - _tversky_index(self.probabilities(pred), target, self.beta, self.alpha)) ** self.gamma


class DiceBCESourceCombination(DiceBCELoss):
    def forward(self, pred, target):
        p = self.probabilities(pred)
        return self.dice(p, target) + self.bce_weight * F.binary_cross_entropy(p, target)


def summary_default_accuracy(probs, target, num_classes):
    summary = classification_summary(probs, target, num_classes)
    tmc = torchmetrics.functional.classification
    summary["accuracy"]["micro"] = tmc.multiclass_accuracy(probs, target, num_classes=num_classes)
    return summary


def summary_transposed_matrix(probs, target, num_classes):
    summary = classification_summary(probs, target, num_classes)
    summary["confusion_matrix"] = summary["confusion_matrix"].T
    return summary


def summary_without_f1(probs, target, num_classes):
    summary = classification_summary(probs, target, num_classes)
    del summary["f1"]
    return summary


MISTAKES = [
    (checks.nll_from_probs_check, nll_probs_into_nllloss, "LOG-probabilities"),
    (checks.sparse_categorical_cross_entropy_own, sparse_cce_on_logits_api, "already probabilities"),
    (checks.categorical_cross_entropy_own, cce_naive_product, "non-finite"),
    (checks.weighted_bce_with_logits_check, weighted_bce_weight_keyword, "passed as weight="),
    (checks.kl_divergence_check, kl_swapped, "swapped"),
    (checks.kl_divergence_check, kl_reduction_mean, "reduction='mean'"),
    (checks.kl_divergence_check, kl_batchmean_on_1d, "single distribution"),
    (checks.batch_dice_loss_own, batch_dice_whole_batch, "whole batch"),
    (checks.batch_dice_loss_own, batch_dice_per_sample, "one loss per sample"),
    (checks.batch_dice_loss_own, batch_dice_summed, "mean over the batch"),
    (checks.rmse_own, rmse_without_root, "square root"),
    (checks.r2_score_own, r2_squared_correlation, "Pearson"),
    (checks.dice_loss_module, DiceSmoothDenominatorOnly, "numerator"),
    (checks.tversky_loss_module, TverskySwapped, "swapped"),
    (checks.focal_tversky_loss_module, FocalTverskyInverseGamma, "1/gamma"),
    (checks.focal_tversky_loss_module, FocalTverskySwapped, "swapped"),
    (checks.dice_bce_loss_module, DiceBCESourceCombination, "source's combination"),
]


@pytest.mark.parametrize("check, mistake, message", MISTAKES, ids=[m.__name__ for _, m, _ in MISTAKES])
def test_a_typical_mistake_earns_nothing_and_is_named(check, mistake, message):
    with pytest.raises(AssertionError, match=message):
        check(mistake, points=5)


PARTIAL = [
    (checks.weighted_bce_with_logits_check, weighted_bce_naive, 3.75, "±100"),
    (checks.classification_summary_library, summary_default_accuracy, 4.0, "average='micro'"),
    (checks.classification_summary_library, summary_transposed_matrix, 4.0, "transposed"),
    (checks.classification_summary_library, summary_without_f1, 4.0, "'f1'"),
]


@pytest.mark.parametrize("check, mistake, points, message", PARTIAL, ids=[m.__name__ for _, m, _, _ in PARTIAL])
def test_a_mistake_in_one_part_keeps_the_other_parts_points_and_is_named(check, mistake, points, message, capsys):
    assert check(mistake, points=5) == points
    assert message in capsys.readouterr().out


# ------------------------------------------------------------------ library calls

def rmse_torchmetrics(pred, target):
    return torchmetrics.functional.mean_squared_error(pred, target, squared=False)


def r2_torchmetrics(pred, target):
    return torchmetrics.functional.r2_score(pred, target)


def cce_through_nll_loss(y_true_onehot, y_pred_probs):
    return F.nll_loss(torch.log(y_pred_probs), y_true_onehot.argmax(dim=1))


def sparse_cce_through_nllloss(y_true, y_pred_probs):
    return torch.nn.NLLLoss()(torch.log(y_pred_probs), y_true)


def batch_dice_torchmetrics(preds, targets, smooth=1e-6):
    from torchmetrics.functional.segmentation import dice_score

    dice = dice_score(preds.long(), targets.long(), num_classes=2, input_format="index")
    return 1 - dice.mean()


class DiceThroughL1(DiceLoss):
    """Right values (Σ|p − t| = FP + FN), but through a torch.nn.functional loss."""

    def forward(self, pred, target):
        p = self.probabilities(pred)
        tp = (p * target).sum()
        return 1 - (2 * tp + 1) / (2 * tp + F.l1_loss(p, target, reduction="sum") + 1)


class DiceBCEThroughMSE(DiceBCELoss):
    """The BCE term may come from torch; another torch loss may not."""

    def forward(self, pred, target):
        return super().forward(pred, target) + 0 * F.mse_loss(pred, target)


def summary_by_hand(probs, target, num_classes):
    preds = probs.argmax(dim=1)
    matrix = torch.zeros(num_classes, num_classes)
    for t, p in zip(target.tolist(), preds.tolist()):
        matrix[t, p] += 1
    return {"confusion_matrix": matrix}


FORBIDDEN = [
    (checks.rmse_own, rmse_torchmetrics, "torchmetrics"),
    (checks.r2_score_own, r2_torchmetrics, "torchmetrics"),
    (checks.categorical_cross_entropy_own, cce_through_nll_loss, "torch.nn.functional.nll_loss"),
    (checks.sparse_categorical_cross_entropy_own, sparse_cce_through_nllloss, "torch.nn.NLLLoss"),
    (checks.batch_dice_loss_own, batch_dice_torchmetrics, "torchmetrics"),
    (checks.dice_loss_module, DiceThroughL1, "torch.nn.functional.l1_loss"),
    (checks.dice_bce_loss_module, DiceBCEThroughMSE, "torch.nn.functional.mse_loss"),
]


@pytest.mark.parametrize("check, solution, library", FORBIDDEN, ids=[s.__name__ for _, s, _ in FORBIDDEN])
def test_an_own_implementation_that_calls_a_library_loss_fails_and_says_so(check, solution, library):
    with pytest.raises(AssertionError, match=f"calls {library}.*own implementation"):
        check(solution, points=5)


def test_the_library_task_fails_without_torchmetrics():
    with pytest.raises(AssertionError, match="should use torchmetrics"):
        checks.classification_summary_library(summary_by_hand, points=5)


# ------------------------------------------------------------------ gradients of the loss modules

class DetachedDice(DiceLoss):
    def forward(self, pred, target):
        return super().forward(pred.detach(), target)


class NumpyDice(DiceLoss):
    def forward(self, pred, target):
        p, t = self.probabilities(pred).detach().numpy(), target.numpy()
        return torch.tensor(1 - (2 * (p * t).sum() + 1) / (p.sum() + t.sum() + 1), requires_grad=True)


class HalfDetachedTversky(TverskyLoss):
    """Right values, wrong gradient: the denominator is cut from the graph."""

    def forward(self, pred, target):
        p = self.probabilities(pred)
        tp = (p * target).sum()
        denominator = tp + self.alpha * ((1 - p) * target).sum() + self.beta * (p * (1 - target)).sum() + 1
        return 1 - (tp + 1) / denominator.detach()


@pytest.mark.parametrize("check, module, message", [
    (checks.dice_loss_module, DetachedDice, "grad_fn"),
    (checks.dice_loss_module, NumpyDice, "grad_fn"),
    (checks.tversky_loss_module, HalfDetachedTversky, "the gradient of"),
], ids=["detached", "numpy", "half-detached"])
def test_a_loss_module_without_the_right_gradient_loses_the_gradient_part(check, module, message, capsys):
    assert check(module, points=4) == 3.0
    assert message in capsys.readouterr().out


def test_the_reference_gradient_is_what_autograd_gives_for_torch_losses():
    x = torch.rand(3, 7, dtype=torch.float64, requires_grad=True)
    t = (torch.rand(3, 7) < 0.5).double()
    ours = checks.DICE_BCE.reference(x, t, bce_weight=1.0)
    (ours_grad,) = torch.autograd.grad(ours, x)
    (torch_grad,) = torch.autograd.grad(torch.nn.BCELoss()(x, t), x)
    assert torch.allclose(ours_grad, torch_grad)


# ------------------------------------------------------------------ the source's examples and numbers

PRED_2D = torch.tensor([[[[0, 1, 0, 1], [1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0]]],
                        [[[0, 1, 1, 0], [1, 0, 0, 1], [0, 1, 1, 0], [1, 1, 0, 0]]]], dtype=torch.float32)
TARGET_2D = torch.tensor([[[[0, 1, 0, 1], [1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0]]],
                          [[[1, 1, 1, 0], [1, 0, 0, 1], [0, 1, 0, 0], [1, 1, 0, 0]]]], dtype=torch.float32)
PRED_3D = torch.tensor([[[[[0, 1, 1], [1, 0, 0], [0, 1, 0]],
                          [[1, 1, 0], [0, 1, 0], [1, 0, 1]]]]], dtype=torch.float32)
TARGET_3D = torch.tensor([[[[[0, 1, 1], [1, 0, 0], [0, 1, 0]],
                            [[1, 1, 0], [1, 1, 0], [1, 0, 1]]]]], dtype=torch.float32)

ONEHOT_TRUE = torch.tensor([[0, 1, 0], [0, 0, 1], [1, 0, 0]], dtype=torch.float64)
ONEHOT_PRED = torch.tensor([[0.8, 0.1, 0.1], [0.2, 0.3, 0.5], [0.1, 0.6, 0.3]], dtype=torch.float64)
SPARSE_TRUE = torch.tensor([1, 2, 0])
SPARSE_PRED = torch.tensor([[0.1, 0.8, 0.1], [0.3, 0.2, 0.5], [0.4, 0.3, 0.3]], dtype=torch.float64)
CE_LOGITS = torch.tensor([[0.8, 0.1, 0.1], [0.2, 0.3, 0.5], [0.1, 0.6, 0.3]])
KL_P = torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64)
KL_Q = torch.tensor([0.4, 0.3, 0.3], dtype=torch.float64)


def test_the_batch_dice_loss_gives_the_source_numbers_in_2d_and_3d():
    assert float(batch_dice_loss(PRED_2D, TARGET_2D)) == pytest.approx(0.0625, abs=5e-5)
    assert float(batch_dice_loss(PRED_3D, TARGET_3D)) == pytest.approx(0.0526, abs=5e-5)
    assert float(checks._batch_dice_ref(PRED_3D, TARGET_3D)) == pytest.approx(1 / 19, abs=1e-6)


def test_the_categorical_cross_entropies_give_the_source_numbers():
    assert float(categorical_cross_entropy(ONEHOT_TRUE, ONEHOT_PRED)) == pytest.approx(1.7661, abs=5e-5)
    assert float(sparse_categorical_cross_entropy(SPARSE_TRUE, SPARSE_PRED)) == pytest.approx(0.6109, abs=5e-5)


def test_torch_cross_entropy_on_the_source_logits_is_the_sparse_cross_entropy_of_their_softmax():
    assert float(torch.nn.CrossEntropyLoss()(CE_LOGITS, SPARSE_TRUE)) == pytest.approx(1.2276, abs=5e-5)
    probs = torch.softmax(CE_LOGITS.double(), dim=1)
    assert float(sparse_categorical_cross_entropy(SPARSE_TRUE, probs)) == pytest.approx(1.2276, abs=5e-5)


def test_the_source_slip_cross_entropy_on_probabilities_is_a_recognised_mistake():
    slip = F.cross_entropy(SPARSE_PRED, SPARSE_TRUE)  # the source's "sparse CE" in torch: 0.8875
    assert float(slip) == pytest.approx(0.8875, abs=5e-5)
    explained = checks._likelihood_mistakes(SPARSE_PRED, SPARSE_TRUE)
    assert any(float(value) == pytest.approx(float(slip)) and "already probabilities" in text
               for text, value in explained.items())


def test_kl_divergence_gives_the_source_number_and_matches_kldivloss_batchmean():
    assert float(kl_divergence(KL_P, KL_Q)) == pytest.approx(0.1168, abs=5e-5)
    library = torch.nn.KLDivLoss(reduction="batchmean")(KL_Q.log()[None], KL_P[None])
    assert float(library) == pytest.approx(float(kl_divergence(KL_P, KL_Q)))
    assert float(checks._kl_ref(KL_P, KL_Q)) == pytest.approx(0.1168, abs=5e-5)


def test_the_source_weighted_bce_slip_differs_from_pos_weight():
    logits = torch.tensor([[0.1], [0.9], [0.8], [-0.05]])
    target = torch.tensor([[0.0], [1.0], [1.0], [0.0]])
    weight = torch.tensor(3.0)
    assert float(torch.nn.BCEWithLogitsLoss(weight=weight)(logits, target)) == pytest.approx(1.5938, abs=5e-5)
    assert float(weighted_bce_with_logits(logits, target, weight)) == pytest.approx(
        float(torch.nn.BCEWithLogitsLoss(pos_weight=weight)(logits, target)))


# ------------------------------------------------------------------ quiet

def test_the_checks_print_nothing_to_stderr(capfd):
    checks.rmse_own(rmse, points=1)
    checks.r2_score_own(r2_score, points=1)
    checks.classification_summary_library(classification_summary, points=1)
    checks.dice_bce_loss_module(DiceBCELoss, points=1)
    checks.weighted_bce_with_logits_check(weighted_bce_naive, points=1)
    assert capfd.readouterr().err == ""


# ------------------------------------------------------------------ the contracts (mllab/checks/contracts/custom_losses.py)

def rmse_loop(pred, target):
    """Written for the stated inputs only: two 1-D tensors (a 2-D tensor's tolist() would break it)."""
    squares = [(p - t) ** 2 for p, t in zip(pred.tolist(), target.tolist())]
    return (sum(squares) / len(squares)) ** 0.5


def weighted_bce_loop(logits, target, pos_weight):
    """Written for the stated inputs only: pos_weight 0-d or one weight along the last dimension."""
    columns = logits.shape[-1]
    weights = pos_weight.expand(columns).tolist()
    log_sigmoid = lambda x: -np.log1p(np.exp(-abs(x))) + min(x, 0.0)
    total, count = 0.0, 0
    for row_x, row_t in zip(logits.reshape(-1, columns).tolist(), target.reshape(-1, columns).tolist()):
        for x, t, w in zip(row_x, row_t, weights):
            total -= w * t * log_sigmoid(x) + (1 - t) * log_sigmoid(-x)
            count += 1
    return total / count


@pytest.mark.parametrize("check, solution", [(checks.rmse_own, rmse_loop),
                                             (checks.weighted_bce_with_logits_check, weighted_bce_loop)],
                         ids=["rmse 1-D loop", "weighted BCE loop"])
def test_a_solution_for_exactly_the_stated_inputs_earns_full_marks(check, solution):
    assert check(solution, points=5) == 5.0


class DiceWithoutSmoothing(DiceLoss):
    def forward(self, pred, target):
        p = self.probabilities(pred)
        return 1 - 2 * (p * target).sum() / (p.sum() + target.sum())


class DiceOneForAnEmptyTarget(DiceLoss):
    """Right everywhere but on an empty target, where it decides the loss is 1."""

    def forward(self, pred, target):
        loss = super().forward(pred, target)
        return loss if target.sum() > 0 else loss * 0 + 1


def test_a_dice_loss_failing_earlier_is_still_told_about_the_empty_mask_predicted_empty():
    with pytest.raises(AssertionError) as failure:
        checks.dice_loss_module(DiceWithoutSmoothing, points=4)
    message = str(failure.value)
    assert "there is no smoothing" in message
    assert "also DiceLoss() on an empty mask predicted empty gave a non-finite value" in message


def test_a_dice_loss_wrong_only_on_an_empty_mask_predicted_empty_loses_its_part_and_is_named(capsys):
    assert checks.dice_loss_module(DiceOneForAnEmptyTarget, points=4) == 2.0
    output = capsys.readouterr().out
    assert "DiceLoss() on an empty mask predicted empty:" in output


def test_the_loss_modules_and_the_summary_are_called_as_the_students_own(monkeypatch):
    """tests/test_contracts.py sees a module's forward inputs only if an instance is called through
    call_student, and the summary's inputs only under the student function's name."""
    from mllab.grading import scoring

    seen = []
    monkeypatch.setattr(scoring, "OBSERVERS", [lambda function, args, kwargs: seen.append((function, args))])
    checks.tversky_loss_module(TverskyLoss, points=1)
    checks.classification_summary_library(classification_summary, points=1)
    forward = [args for function, args in seen if isinstance(function, TverskyLoss)]
    built = [function for function, _ in seen if function is TverskyLoss]
    assert len(forward) >= 15 and len(built) == len(forward)
    assert all(len(args) == 2 and all(isinstance(a, torch.Tensor) for a in args) for args in forward)
    summary = [args for function, args in seen if getattr(function, "__name__", "") == "classification_summary"]
    assert len(summary) == 5 * 6 and all(isinstance(args[2], int) for args in summary)  # 5 parts, 6 cases
