"""The mutation corpus of `custom_losses`: correct solutions written differently, and mistakes
(mllab/classes/corpus.py describes the protocol; `mllab check-tests` uses it)."""

from __future__ import annotations

from mllab.classes.corpus import Mutation, Patch, Rewrite, mistake

RMSE_RETURN = "return torch.sqrt(((pred - target) ** 2).mean())"
NLL_BODY = """picked = probs[torch.arange(len(target)), target]
    return -torch.log(picked).mean()"""
CCE_RETURN = "return -torch.xlogy(y, y_pred_probs).sum(dim=1).mean()"
SPARSE_BODY = """picked = y_pred_probs[torch.arange(len(y_true)), y_true]
    return -torch.log(picked).mean()"""
WBCE_BODY = """positive = pos_weight * target * torch.nn.functional.logsigmoid(logits)
    negative = (1 - target) * torch.nn.functional.logsigmoid(-logits)
    return -(positive + negative).mean()"""
KL_TOTAL = "return total / p.shape[0] if p.ndim == 2 else total"
DICE_RETURN = "return (1 - dice).mean()"
DICE_MODULE_RETURN = "return 1 - (2 * tp + 1) / (p.sum() + target.sum() + 1)"
SUMMARY_MATRIX = 'summary["confusion_matrix"] = tmc.multiclass_confusion_matrix(probs, target, num_classes=num_classes)'

ALTERNATIVES_A = [
    Mutation("1 RMSE/R²", "NumPy, returning Python floats; R² from the variance", Rewrite("regression_own", """
import numpy as np

def rmse(pred, target):
    difference = np.asarray(pred, dtype=np.float64) - np.asarray(target, dtype=np.float64)
    return float(np.sqrt(np.mean(difference ** 2)))


def r2_score(pred, target):
    p, t = np.asarray(pred, dtype=np.float64), np.asarray(target, dtype=np.float64)
    return float(1 - np.mean((t - p) ** 2) / np.var(t))
""")),
    Mutation("2 NLL", "NLLLoss on the log-probabilities", Rewrite("nll_own", """
def nll_from_probs(probs, target):
    return torch.nn.NLLLoss()(torch.log(probs), target)
""")),
    Mutation("3 CCE", "NumPy with Keras' clipping (eps 1e-7)", Rewrite("cce_own", """
import numpy as np

def categorical_cross_entropy(y_true_onehot, y_pred_probs):
    p = np.clip(np.asarray(y_pred_probs, dtype=np.float64), 1e-7, 1 - 1e-7)
    return float(-np.mean(np.sum(np.asarray(y_true_onehot) * np.log(p), axis=-1)))


def sparse_categorical_cross_entropy(y_true, y_pred_probs):
    probs = np.asarray(y_pred_probs, dtype=np.float64)
    return float(-np.mean(np.log(probs[np.arange(len(probs)), np.asarray(y_true)])))
""")),
    Mutation("4 weighted BCE", "BCEWithLogitsLoss(pos_weight=...)", Rewrite("weighted_bce", """
def weighted_bce_with_logits(logits, target, pos_weight):
    return torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)(logits, target)
""")),
    Mutation("5 KL", "KLDivLoss: 'sum' for one distribution, 'batchmean' for rows", Rewrite("kl_own", """
def kl_divergence(p, q):
    reduction = "batchmean" if p.ndim == 2 else "sum"
    return torch.nn.KLDivLoss(reduction=reduction)(torch.log(q), p)
""")),
    Mutation("6 batch Dice", "a loop over the samples", Rewrite("batch_dice_own", """
def batch_dice_loss(preds, targets, smooth=1e-6):
    losses = []
    for p, t in zip(preds, targets):
        overlap = (p * t).sum()
        losses.append(1 - (2 * overlap + smooth) / (p.sum() + t.sum() + smooth))
    return torch.stack(losses).mean()
""")),
    Mutation("7 loss modules", "Dice from TP, FP and FN with a hand-written sigmoid", Rewrite("dice_loss_own", """
class DiceLoss(torch.nn.Module):
    def __init__(self, from_logits=False):
        super().__init__()
        self.from_logits = from_logits

    def forward(self, pred, target):
        p = 1 / (1 + torch.exp(-pred)) if self.from_logits else pred
        tp, fp, fn = (p * target).sum(), (p * (1 - target)).sum(), ((1 - p) * target).sum()
        return 1 - (2 * tp + 1) / (2 * tp + fp + fn + 1)
""")),
    Mutation("7 loss modules", "focal Tversky on its own, with torch.pow", Rewrite("focal_tversky_own", """
class FocalTverskyLoss(torch.nn.Module):
    def __init__(self, alpha=0.5, beta=0.5, gamma=1.0, from_logits=False):
        super().__init__()
        self.alpha, self.beta, self.gamma, self.from_logits = alpha, beta, gamma, from_logits

    def forward(self, pred, target):
        p = pred.sigmoid() if self.from_logits else pred
        tp = (p * target).sum()
        index = (tp + 1) / (tp + self.alpha * (target - p * target).sum() + self.beta * (p - p * target).sum() + 1)
        return torch.pow(1 - index, self.gamma)
""")),
    Mutation("8 summary", "the metric classes on the predicted labels", Rewrite("summary_lib", """
from torchmetrics.classification import (MulticlassAccuracy, MulticlassConfusionMatrix, MulticlassF1Score,
                                         MulticlassPrecision, MulticlassRecall)

def classification_summary(probs, target, num_classes):
    preds = probs.argmax(dim=1)
    classes = {"accuracy": MulticlassAccuracy, "f1": MulticlassF1Score, "precision": MulticlassPrecision,
               "recall": MulticlassRecall}
    summary = {}
    for name, metric in classes.items():
        summary[name] = {average: metric(num_classes=num_classes, average=average)(preds, target)
                         for average in ("micro", "macro", "none")}
    summary["confusion_matrix"] = MulticlassConfusionMatrix(num_classes=num_classes)(preds, target)
    return summary
""")),
]

ALTERNATIVES_B = [
    Mutation("1 RMSE/R²", "a vector norm; R² from the population variance", Rewrite("regression_own", """
def rmse(pred, target):
    return torch.linalg.vector_norm(pred - target) / (pred - target).numel() ** 0.5


def r2_score(pred, target):
    return 1 - ((target - pred) ** 2).mean() / target.var(unbiased=False)
""")),
    Mutation("2 NLL", "a loop in NumPy", Rewrite("nll_own", """
import numpy as np

def nll_from_probs(probs, target):
    rows = np.asarray(probs, dtype=np.float64)
    return float(-np.mean([np.log(row[label]) for row, label in zip(rows, np.asarray(target))]))
""")),
    Mutation("3 CCE", "the true class picked by argmax; a one-hot matrix built for the sparse one", Rewrite("cce_own", """
def categorical_cross_entropy(y_true_onehot, y_pred_probs):
    labels = y_true_onehot.argmax(dim=1)
    return -torch.log(y_pred_probs.gather(1, labels[:, None])).mean()


def sparse_categorical_cross_entropy(y_true, y_pred_probs):
    onehot = torch.zeros_like(y_pred_probs)
    onehot[torch.arange(len(y_true)), y_true] = 1
    return -(onehot * torch.log(y_pred_probs.clamp(min=1e-12))).sum(dim=1).mean()
""")),
    Mutation("4 weighted BCE", "NumPy with logaddexp", Rewrite("weighted_bce", """
import numpy as np

def weighted_bce_with_logits(logits, target, pos_weight):
    x, t = np.asarray(logits, dtype=np.float64), np.asarray(target, dtype=np.float64)
    w = np.asarray(pos_weight, dtype=np.float64)
    return float(np.mean(w * t * np.logaddexp(0, -x) + (1 - t) * np.logaddexp(0, x)))
""")),
    Mutation("5 KL", "NumPy with 0·log 0 = 0 by np.where", Rewrite("kl_own", """
import numpy as np

def kl_divergence(p, q):
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    terms = np.where(p > 0, p * np.log(np.where(p > 0, p, 1) / q), 0.0)
    return terms.sum() / (p.shape[0] if p.ndim == 2 else 1)
""")),
    Mutation("6 batch Dice", "reshape and einsum", Rewrite("batch_dice_own", """
def batch_dice_loss(preds, targets, smooth=1e-6):
    n = preds.shape[0]
    p, t = preds.reshape(n, -1), targets.reshape(n, -1)
    dice = (2 * torch.einsum("bi,bi->b", p, t) + smooth) / (p.sum(-1) + t.sum(-1) + smooth)
    return 1 - dice.mean()
""")),
    Mutation("7 loss modules", "Tversky from totals (FN = Σt − TP, FP = Σp − TP)", Rewrite("tversky_own", """
class TverskyLoss(torch.nn.Module):
    def __init__(self, alpha=0.5, beta=0.5, from_logits=False):
        super().__init__()
        self.alpha, self.beta, self.from_logits = alpha, beta, from_logits

    def forward(self, pred, target):
        p = pred.sigmoid() if self.from_logits else pred
        tp = torch.dot(p.reshape(-1), target.reshape(-1))
        fn, fp = target.sum() - tp, p.sum() - tp
        return (self.alpha * fn + self.beta * fp) / (tp + self.alpha * fn + self.beta * fp + 1)
""")),
    Mutation("7 loss modules", "BCE from the logits when from_logits=True", Rewrite("dice_bce_own", """
class DiceBCELoss(torch.nn.Module):
    def __init__(self, bce_weight=0.5, from_logits=False):
        super().__init__()
        self.bce_weight, self.from_logits = bce_weight, from_logits

    def forward(self, pred, target):
        if self.from_logits:
            bce, p = torch.nn.BCEWithLogitsLoss()(pred, target), torch.sigmoid(pred)
        else:
            bce, p = torch.nn.BCELoss()(pred, target), pred
        dice = 1 - (2 * (p * target).sum() + 1) / (p.sum() + target.sum() + 1)
        return self.bce_weight * bce + (1 - self.bce_weight) * dice
""")),
    Mutation("8 summary", "the task='multiclass' functions of torchmetrics.functional", Rewrite("summary_lib", """
import torchmetrics.functional as tmf

def classification_summary(probs, target, num_classes):
    functions = {"accuracy": tmf.accuracy, "f1": tmf.f1_score, "precision": tmf.precision, "recall": tmf.recall}
    options = dict(task="multiclass", num_classes=num_classes)
    summary = {name: {avg: f(probs, target, average=avg, **options) for avg in ("micro", "macro", "none")}
               for name, f in functions.items()}
    summary["confusion_matrix"] = tmf.confusion_matrix(probs, target, **options)
    return summary
""")),
]

OWN_MISTAKES = [
    # 1 RMSE / R²
    mistake("1 RMSE/R²", "RMSE without the root", Patch("regression_own", RMSE_RETURN, "return ((pred - target) ** 2).mean()"),
            {"test_rmse_own"}, "you return the MSE"),
    mistake("1 RMSE/R²", "R² as the squared correlation", Patch("regression_own", """residual = ((target - pred) ** 2).sum()
    total = ((target - target.mean()) ** 2).sum()
    return 1 - residual / total""", """pc, tc = pred - pred.mean(), target - target.mean()
    return (pc * tc).sum() ** 2 / ((pc ** 2).sum() * (tc ** 2).sum())"""),
            {"test_r2_own"}, "squared Pearson correlation"),
    mistake("1 RMSE/R²", "the root of the sum of squares", Patch("regression_own", RMSE_RETURN, "return torch.sqrt(((pred - target) ** 2).sum())"),
            {"test_rmse_own"}, "root of the SUM of squares"),
    # 2 NLL
    mistake("2 NLL", "probabilities straight into NLLLoss", Patch("nll_own", NLL_BODY, "return torch.nn.NLLLoss()(probs, target)"),
            {"test_nll_from_probs"}, "LOG-probabilities"),
    mistake("2 NLL", "summed over the samples", Patch("nll_own", "return -torch.log(picked).mean()", "return -torch.log(picked).sum()"),
            {"test_nll_from_probs"}, "you sum over the samples"),
    mistake("2 NLL", "the log-likelihood without the minus", Patch("nll_own", "return -torch.log(picked).mean()", "return torch.log(picked).mean()"),
            {"test_nll_from_probs"}, "the sign is wrong"),
    # 3 categorical cross entropy
    mistake("3 CCE", "the mean over all N×C entries", Patch("cce_own", CCE_RETURN, "return -torch.xlogy(y, y_pred_probs).mean()"),
            {"test_cce_own"}, "average over the N samples only"),
    mistake("3 CCE", "y · log p, which is nan where p is 0", Patch("cce_own", CCE_RETURN, "return -(y * torch.log(y_pred_probs)).sum(dim=1).mean()"),
            {"test_cce_own"}, "non-finite"),
    mistake("3 CCE", "log_softmax of the probabilities (the sparse one)", Patch("cce_own", SPARSE_BODY,
            "return -torch.log_softmax(y_pred_probs, dim=1)[torch.arange(len(y_true)), y_true].mean()"),
            {"test_sparse_cce_own"}, "already probabilities"),
    # 4 weighted BCE
    mistake("4 weighted BCE", "weight= instead of pos_weight=", Patch("weighted_bce", WBCE_BODY,
            "return torch.nn.BCEWithLogitsLoss(weight=pos_weight)(logits, target)"),
            {"test_weighted_bce"}, "passed as weight="),
    mistake("4 weighted BCE", "log of the sigmoid, which overflows", Patch("weighted_bce", WBCE_BODY, """p = torch.sigmoid(logits)
    return -(pos_weight * target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()"""),
            {"test_weighted_bce"}, "±100"),
    mistake("4 weighted BCE", "pos_weight on the negative term", Patch("weighted_bce", WBCE_BODY, """positive = target * torch.nn.functional.logsigmoid(logits)
    negative = pos_weight * (1 - target) * torch.nn.functional.logsigmoid(-logits)
    return -(positive + negative).mean()"""),
            {"test_weighted_bce"}, "multiplies the NEGATIVE term"),
    # 5 KL divergence
    mistake("5 KL", "KL(q || p)", Patch("kl_own", "terms = torch.xlogy(p, p) - p * torch.log(q)", "terms = torch.xlogy(q, q) - q * torch.log(p)"),
            {"test_kl"}, "swapped"),
    mistake("5 KL", "divided by the number of elements", Patch("kl_own", KL_TOTAL, "return terms.mean()"),
            {"test_kl"}, "reduction='mean'"),
    mistake("5 KL", "batchmean for a single distribution too", Patch("kl_own", KL_TOTAL, "return total / p.shape[0]"),
            {"test_kl"}, "single distribution"),
    # 6 batch Dice
    mistake("6 batch Dice", "one Dice for the whole batch", Patch("batch_dice_own", "p, t = preds.flatten(1), targets.flatten(1)",
            "p, t = preds.reshape(1, -1), targets.reshape(1, -1)"),
            {"test_batch_dice_own"}, "whole batch"),
    mistake("6 batch Dice", "one loss per sample returned", Patch("batch_dice_own", DICE_RETURN, "return 1 - dice"),
            {"test_batch_dice_own"}, "one loss per sample"),
    mistake("6 batch Dice", "the losses summed over the batch", Patch("batch_dice_own", DICE_RETURN, "return (1 - dice).sum()"),
            {"test_batch_dice_own"}, "take the mean over the batch"),
    # 7 the loss modules
    mistake("7 loss modules", "Dice smoothing in the denominator only", Patch("dice_loss_own", DICE_MODULE_RETURN,
            "return 1 - 2 * tp / (p.sum() + target.sum() + 1)"),
            {"test_dice_loss"}, "smooth is missing from the numerator"),
    mistake("7 loss modules", "Tversky's alpha on the false positives", Patch("tversky_own", "self.alpha * fn + self.beta * fp",
            "self.alpha * fp + self.beta * fn"),
            {"test_tversky_loss", "test_focal_tversky_loss"}, "swapped"),
    mistake("7 loss modules", "focal exponent 1/gamma", Patch("focal_tversky_own", "tversky(pred, target) ** self.gamma",
            "tversky(pred, target) ** (1 / self.gamma)"),
            {"test_focal_tversky_loss"}, "1/gamma"),
    mistake("7 loss modules", "Dice + bce_weight · BCE", Patch("dice_bce_own", "return self.bce_weight * bce + (1 - self.bce_weight) * dice",
            "return dice + self.bce_weight * bce"),
            {"test_dice_bce_loss"}, "source's combination"),
    mistake("7 loss modules", "Dice on detached probabilities", Patch("dice_loss_own", "tp = (p * target).sum()",
            "p = p.detach()\n        tp = (p * target).sum()"),
            {"test_dice_loss"}, "without a grad_fn"),
    # 8 classification summary
    mistake("8 summary", "torchmetrics' default accuracy as the overall one", Patch("summary_lib", SUMMARY_MATRIX,
            'summary["accuracy"]["micro"] = tmc.multiclass_accuracy(probs, target, num_classes=num_classes)\n    ' + SUMMARY_MATRIX),
            {"test_classification_summary"}, "average='micro'"),
    mistake("8 summary", "the confusion matrix transposed", Patch("summary_lib", SUMMARY_MATRIX, SUMMARY_MATRIX + ".T"),
            {"test_classification_summary"}, "transposed"),
    mistake("8 summary", "precision and recall swapped", Patch("summary_lib", '"precision": tmc.multiclass_precision, "recall": tmc.multiclass_recall',
            '"precision": tmc.multiclass_recall, "recall": tmc.multiclass_precision'),
            {"test_classification_summary"}, "this is the recall"),
]

LIBRARY_MISTAKES = [
    mistake("1 RMSE/R²", "torchmetrics' RMSE in the own implementation", Patch("regression_own", RMSE_RETURN,
            "return torchmetrics.functional.mean_squared_error(pred, target, squared=False)"),
            {"test_rmse_own"}, "calls torchmetrics"),
    mistake("3 CCE", "NLLLoss in the own sparse cross entropy", Patch("cce_own", SPARSE_BODY,
            "return torch.nn.NLLLoss()(torch.log(y_pred_probs), y_true)"),
            {"test_sparse_cce_own"}, "calls torch.nn.NLLLoss"),
    mistake("6 batch Dice", "torchmetrics' dice_score for the batch", Patch("batch_dice_own", DICE_RETURN,
            "from torchmetrics.functional.segmentation import dice_score\n"
            "    return 1 - dice_score(preds.long(), targets.long(), num_classes=2, input_format='index').mean()"),
            {"test_batch_dice_own"}, "calls torchmetrics"),
    mistake("7 loss modules", "an L1 loss inside the Dice loss", Patch("dice_loss_own", DICE_MODULE_RETURN,
            "return 1 - (2 * tp + 1) / (2 * tp + torch.nn.functional.l1_loss(p, target, reduction='sum') + 1)"),
            {"test_dice_loss"}, "calls torch.nn.functional.l1_loss"),
    mistake("8 summary", "a confusion matrix by hand instead of torchmetrics", Rewrite("summary_lib", """
def classification_summary(probs, target, num_classes):
    matrix = torch.zeros(num_classes, num_classes, dtype=torch.long)
    for t, p in zip(target.tolist(), probs.argmax(dim=1).tolist()):
        matrix[t, p] += 1
    right = matrix.diag().double()
    recall, precision = right / matrix.sum(1).clamp(min=1), right / matrix.sum(0).clamp(min=1)
    f1 = 2 * precision * recall / (precision + recall).clamp(min=1e-12)
    overall = right.sum() / matrix.sum()
    summary = {name: {"micro": overall, "macro": values.mean(), "none": values}
               for name, values in (("accuracy", recall), ("f1", f1), ("precision", precision), ("recall", recall))}
    summary["confusion_matrix"] = matrix
    return summary
"""), {"test_classification_summary"}, "should use torchmetrics"),
]


# Written from the contracts alone (mllab/checks/contracts/custom_losses.py): exactly the stated
# inputs, nothing more general (element loops over Python floats where no gradient is needed).
# Each must earn full marks.
CONTRACT_ONLY = [
    Mutation("1 RMSE/R²", "element loops over two 1-D tensors, Python floats", Rewrite("regression_own", """
import math

def rmse(pred, target):
    squares = [(p - t) ** 2 for p, t in zip(pred.tolist(), target.tolist())]
    return math.sqrt(sum(squares) / len(squares))


def r2_score(pred, target):
    p, t = pred.tolist(), target.tolist()
    mean = sum(t) / len(t)
    residual = sum((b - a) ** 2 for a, b in zip(p, t))
    total = sum((b - mean) ** 2 for b in t)
    return 1 - residual / total
""")),
    Mutation("2 NLL", "a loop over the rows picking the true class, math.log", Rewrite("nll_own", """
import math

def nll_from_probs(probs, target):
    rows, labels = probs.tolist(), target.tolist()
    return -sum(math.log(row[label]) for row, label in zip(rows, labels)) / len(rows)
""")),
    Mutation("3 CCE", "loops over rows and classes, skipping the zero labels", Rewrite("cce_own", """
import math

def categorical_cross_entropy(y_true_onehot, y_pred_probs):
    total = 0.0
    for labels, probs in zip(y_true_onehot.tolist(), y_pred_probs.tolist()):
        total -= sum(y * math.log(p) for y, p in zip(labels, probs) if y != 0)
    return total / len(y_pred_probs)


def sparse_categorical_cross_entropy(y_true, y_pred_probs):
    rows = y_pred_probs.tolist()
    return -sum(math.log(rows[n][label]) for n, label in enumerate(y_true.tolist())) / len(rows)
""")),
    Mutation("4 weighted BCE", "element loop over rows of the last dimension, a stable log σ by hand", Rewrite("weighted_bce", """
import math

def _log_sigmoid(x):
    return -math.log1p(math.exp(-abs(x))) + min(x, 0.0)


def weighted_bce_with_logits(logits, target, pos_weight):
    columns = logits.shape[-1]
    weights = pos_weight.expand(columns).tolist()  # a 0-d tensor or one weight per class (or a single one)
    total, count = 0.0, 0
    for row_x, row_t in zip(logits.reshape(-1, columns).tolist(), target.reshape(-1, columns).tolist()):
        for x, t, w in zip(row_x, row_t, weights):
            total -= w * t * _log_sigmoid(x) + (1 - t) * _log_sigmoid(-x)
            count += 1
    return total / count
""")),
    Mutation("5 KL", "a loop over the distributions, terms with p = 0 skipped", Rewrite("kl_own", """
import math

def kl_divergence(p, q):
    rows_p, rows_q = (p.tolist(), q.tolist()) if p.ndim == 2 else ([p.tolist()], [q.tolist()])
    total = 0.0
    for row_p, row_q in zip(rows_p, rows_q):
        total += sum(a * math.log(a / b) for a, b in zip(row_p, row_q) if a > 0)
    return total / len(rows_p)
""")),
    Mutation("6 batch Dice", "a loop over the samples in Python floats", Rewrite("batch_dice_own", """
def batch_dice_loss(preds, targets, smooth=1e-6):
    losses = []
    for b in range(preds.shape[0]):
        p, t = preds[b].reshape(-1).tolist(), targets[b].reshape(-1).tolist()
        overlap = sum(x * y for x, y in zip(p, t))
        losses.append(1 - (2 * overlap + smooth) / (sum(p) + sum(t) + smooth))
    return sum(losses) / len(losses)
""")),
    Mutation("7 loss modules", "Dice with TP as a dot product of the flattened tensors", Rewrite("dice_loss_own", """
class DiceLoss(torch.nn.Module):
    def __init__(self, from_logits=False):
        super().__init__()
        self.from_logits = from_logits

    def forward(self, pred, target):
        p = torch.sigmoid(pred) if self.from_logits else pred
        p, t = p.reshape(-1), target.reshape(-1)
        return 1 - (2 * (p @ t) + 1) / (p.sum() + t.sum() + 1)
""")),
    Mutation("8 summary", "the metric classes with probabilities of shape (N, C), one per entry", Rewrite("summary_lib", """
from torchmetrics import classification as tmc

def classification_summary(probs, target, num_classes):
    summary = {}
    for name, metric in (("accuracy", tmc.MulticlassAccuracy), ("f1", tmc.MulticlassF1Score),
                         ("precision", tmc.MulticlassPrecision), ("recall", tmc.MulticlassRecall)):
        summary[name] = {}
        for average in ("micro", "macro", "none"):
            summary[name][average] = metric(num_classes=num_classes, average=average)(probs, target)
    summary["confusion_matrix"] = tmc.MulticlassConfusionMatrix(num_classes=num_classes)(probs, target)
    return summary
""")),
]

# Each breaks one edge-case convention a contract states; its message names the convention's case.
EDGE_MISTAKES = [
    mistake("2 NLL", "one-hot labels times log p: nan where a wrong class has probability 0",
            Patch("nll_own", NLL_BODY, """onehot = torch.nn.functional.one_hot(target, probs.shape[1]).to(probs.dtype)
    return -(onehot * torch.log(probs)).sum(dim=1).mean()"""),
            {"test_nll_from_probs"}, "exactly 0 for classes that are not the true one"),
    mistake("3 CCE", "y · log p summed over everything, divided by N: nan where p is 0", Patch("cce_own", CCE_RETURN,
            "return -(y_true_onehot * torch.log(y_pred_probs)).sum() / len(y_pred_probs)"),
            {"test_cce_own"}, "exactly 0 for classes that are not the true one"),
    mistake("3 CCE", "the sparse one through a one-hot matrix times log p: nan where p is 0", Patch("cce_own", SPARSE_BODY,
            """onehot = torch.nn.functional.one_hot(y_true, y_pred_probs.shape[1])
    return -(onehot * torch.log(y_pred_probs)).sum(dim=1).mean()"""),
            {"test_sparse_cce_own"}, "exactly 0 for classes that are not the true one"),
    mistake("4 weighted BCE", "log(1 + exp(-x)) written out: overflows for logits of ±100", Patch("weighted_bce", WBCE_BODY,
            """positive = pos_weight * target * torch.log1p(torch.exp(-logits))
    negative = (1 - target) * torch.log1p(torch.exp(logits))
    return (positive + negative).mean()"""),
            {"test_weighted_bce"}, "logits of ±100"),
    mistake("5 KL", "p · log(p / q): nan where p is 0", Patch("kl_own", "terms = torch.xlogy(p, p) - p * torch.log(q)",
            "terms = p * torch.log(p / q)"),
            {"test_kl"}, "p with zero entries"),
    mistake("6 batch Dice", "smooth in the denominator only: an empty sample predicted empty gets loss 1",
            Patch("batch_dice_own", "dice = (2 * (p * t).sum(dim=1) + smooth)", "dice = (2 * (p * t).sum(dim=1))"),
            {"test_batch_dice_own"}, "a perfect prediction with an empty sample"),
    mistake("7 loss modules", "Dice without smoothing: nan for an empty mask predicted empty",
            Patch("dice_loss_own", DICE_MODULE_RETURN, "return 1 - 2 * tp / (p.sum() + target.sum())"),
            {"test_dice_loss"}, "an empty mask predicted empty"),
]



# The protocol's two lists (in each task the first mistake is its most common one).
ALTERNATIVES = ALTERNATIVES_A + ALTERNATIVES_B + CONTRACT_ONLY
MISTAKES = OWN_MISTAKES + EDGE_MISTAKES + LIBRARY_MISTAKES
