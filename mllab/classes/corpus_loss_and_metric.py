"""The mutation corpus of `loss_and_metric`: correct solutions written differently, and mistakes
(mllab/classes/corpus.py describes the protocol; `mllab check-tests` uses it)."""

from __future__ import annotations

from mllab.classes.corpus import Mutation, Patch, Rewrite, mistake


MSE_MEAN = "return ((input - target) ** 2).mean()"
MAE_MEAN = "return (input - target).abs().mean()"
CE_BODY = """log_norm = torch.logsumexp(input, dim=1)
    true_logit = input.gather(1, target.long()[:, None]).squeeze(1)
    return (log_norm - true_logit).mean()"""
COS_BODY = """dot = (preds * target).sum(dim=1)
    return dot / (preds.norm(dim=1) * target.norm(dim=1))"""
ROC_RETURN = "return fpr, tpr"
ROC_LIB_RETURN = "return fpr.flip(0)[back], tpr.flip(0)[back]"
DICE_BODY = """total = pet_pred.sum() + pet_gt.sum()
    return 2 * intersect / total"""
SSIM_NUMERATOR = "((2 * mu1 * mu2 + C1) * (2 * covar12 + C2))"

ALTERNATIVES_A = [
    Mutation("1 MSE/MAE", "NumPy, returning Python floats", Rewrite("mse_mae_own", """
import numpy as np

def mae_loss(input, target):
    return float(np.mean(np.abs(np.asarray(input) - np.asarray(target))))


def mse_loss(input, target):
    difference = np.asarray(input, dtype=np.float64) - np.asarray(target, dtype=np.float64)
    return float(np.mean(difference * difference))
""")),
    Mutation("1 MSE/MAE", "torch.nn.functional in the library version", Rewrite("mse_mae_lib", """
import torch.nn.functional as F

def mae_loss_lib(input, target):
    return F.l1_loss(input, target)


def mse_loss_lib(input, target):
    return F.mse_loss(input, target, reduction="mean")
""")),
    Mutation("2 CE", "manual max-shift, returning .item()", Rewrite("ce_own", """
def cross_entropy(input, target):
    shifted = input - input.max(dim=1, keepdim=True).values
    log_probs = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
    return -log_probs[torch.arange(input.shape[0]), target].mean().item()
""")),
    Mutation("2 CE", "functional library versions", Rewrite("ce_lib", """
from torch.nn import functional as F

def cross_entropy_lib(input, target):
    return F.cross_entropy(input, target)


def cross_entropy_logsoftmax_nll(input, target):
    return F.nll_loss(F.log_softmax(input, dim=1), target)
""")),
    Mutation("3 cosine", "normalise the rows first", Rewrite("cosine_own", """
def cosine_similarity(preds, target):
    unit_p = preds / torch.sqrt((preds ** 2).sum(dim=1, keepdim=True))
    unit_t = target / torch.sqrt((target ** 2).sum(dim=1, keepdim=True))
    return torch.einsum("nd,nd->n", unit_p, unit_t)
""")),
    Mutation("3 cosine", "torchmetrics.functional", Rewrite("cosine_lib", """
from torchmetrics.functional import cosine_similarity as tm_cosine

def cosine_similarity_lib(preds, target):
    return tm_cosine(preds, target, reduction="none")
""")),
    Mutation("4 accuracy", "a confusion matrix", Rewrite("accuracy_own", """
def accuracy(preds, target, num_classes, average="micro"):
    matrix = torch.zeros(num_classes, num_classes)
    for t, p in zip(target.tolist(), preds.tolist()):
        matrix[t, p] += 1
    per_class = matrix.diag() / matrix.sum(dim=1)
    if average == "micro":
        return matrix.diag().sum() / matrix.sum()
    return per_class.mean() if average == "macro" else per_class
""")),
    Mutation("4 accuracy", "torchmetrics.Accuracy with task='multiclass'", Rewrite("accuracy_lib", """
def accuracy_lib(preds, target, num_classes, average="micro"):
    metric = torchmetrics.Accuracy(task="multiclass", num_classes=num_classes, average=average)
    return metric(preds, target)
""")),
    Mutation("5 ROC", "a loop over thresholds returning lists", Rewrite("roc_own", """
def roc_curve_points(preds, target, thresholds):
    fpr, tpr = [], []
    positives, negatives = int((target == 1).sum()), int((target == 0).sum())
    for threshold in thresholds:
        flagged = preds >= threshold
        tpr.append(int((flagged & (target == 1)).sum()) / positives)
        fpr.append(int((flagged & (target == 0)).sum()) / negatives)
    return fpr, tpr
""")),
    Mutation("5 ROC", "BinaryROC on the given thresholds, flipped back", Rewrite("roc_lib", """
from torchmetrics.classification import BinaryROC

def roc_curve_lib(preds, target, thresholds):
    fpr, tpr, _ = BinaryROC(thresholds=thresholds)(preds, target)
    return torch.flip(fpr, [0]), torch.flip(tpr, [0])
""")),
    Mutation("6 Dice", "NumPy on label 1", Rewrite("dice_own", """
def dice_(pred, gt, ignore_index=2):
    pet_pred, pet_gt = np.asarray(pred) == 1, np.asarray(gt) == 1
    return 2.0 * np.logical_and(pet_pred, pet_gt).sum() / (pet_pred.sum() + pet_gt.sum())
""")),
    Mutation("6 Dice", "DiceScore on one-hot masks", Rewrite("dice_lib", """
from torchmetrics.segmentation import DiceScore

def dice_lib(pred, gt):
    as_one_hot = lambda m: torch.nn.functional.one_hot(torch.as_tensor(np.asarray(m)).long(), 3).permute(2, 0, 1)[None]
    metric = DiceScore(num_classes=3, include_background=True, average="none")
    return metric(as_one_hot(pred), as_one_hot(gt))[1]
""")),
    Mutation("7 SSIM", "scipy's gaussian_filter with mirrored borders", Rewrite("ssim_own", """
from scipy import ndimage


def SSIM_(img1, img2):
    x, y = np.asarray(img1, float), np.asarray(img2, float)
    sigma = (1.5, 1.5, 0) if x.ndim == 3 else 1.5
    blur = lambda z: ndimage.gaussian_filter(z, sigma=sigma, truncate=3.5)
    C1, C2 = 0.01 ** 2, 0.03 ** 2
    mx, my = blur(x), blur(y)
    sxx, syy, sxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    return np.mean((2 * mx * my + C1) * (2 * sxy + C2) / ((mx ** 2 + my ** 2 + C1) * (sxx + syy + C2)))
""")),
    Mutation("7 SSIM", "moveaxis and the functional SSIM", Rewrite("ssim_lib", """
from torchmetrics.functional.image import structural_similarity_index_measure


def np_whc_to_tensor_bcwh(img_np_whc):
    return torch.tensor(np.moveaxis(img_np_whc, -1, 0)[None], dtype=torch.float32)


def ssim_lib(img1, img2):
    return structural_similarity_index_measure(img1, img2, data_range=1.0)
""")),
]

ALTERNATIVES_B = [
    Mutation("1 MSE/MAE", "plain Python loops", Rewrite("mse_mae_own", """
def mae_loss(input, target):
    xs, ys = input.flatten().tolist(), target.flatten().tolist()
    return sum(abs(a - b) for a, b in zip(xs, ys)) / len(xs)


def mse_loss(input, target):
    xs, ys = input.flatten().tolist(), target.flatten().tolist()
    return sum((a - b) ** 2 for a, b in zip(xs, ys)) / len(xs)
""")),
    Mutation("2 CE", "one-hot targets and log_softmax, as a 0-d tensor", Rewrite("ce_own", """
def cross_entropy(input, target):
    one_hot = torch.nn.functional.one_hot(target, num_classes=input.shape[1]).to(input.dtype)
    return -(one_hot * torch.log_softmax(input, dim=1)).sum(dim=1).mean()
""")),
    Mutation("3 cosine", "NumPy row by row", Rewrite("cosine_own", """
def cosine_similarity(preds, target):
    rows = [np.dot(p, t) / (np.linalg.norm(p) * np.linalg.norm(t))
            for p, t in zip(np.asarray(preds, float), np.asarray(target, float))]
    return np.array(rows)
""")),
    Mutation("4 accuracy", "per-class loop with Python floats", Rewrite("accuracy_own", """
def accuracy(preds, target, num_classes, average="micro"):
    preds, target = preds.tolist(), target.tolist()
    if average == "micro":
        return sum(p == t for p, t in zip(preds, target)) / len(target)
    per_class = []
    for c in range(num_classes):
        members = [p for p, t in zip(preds, target) if t == c]
        per_class.append(sum(p == c for p in members) / len(members))
    return sum(per_class) / num_classes if average == "macro" else torch.tensor(per_class)
""")),
    Mutation("5 ROC", "sorting the scores once", Rewrite("roc_own", """
def roc_curve_points(preds, target, thresholds):
    order = torch.argsort(preds)
    ranked, labels = preds[order], target[order]
    # number of positives/negatives at or above each threshold, from the sorted scores
    first = torch.searchsorted(ranked, thresholds, right=False)
    tp_below = torch.cat([torch.zeros(1), torch.cumsum(labels.float(), 0)])
    fp_below = torch.cat([torch.zeros(1), torch.cumsum(1 - labels.float(), 0)])
    tp = tp_below[-1] - tp_below[first]
    fp = fp_below[-1] - fp_below[first]
    return fp / fp_below[-1], tp / tp_below[-1]
""")),
    Mutation("6 Dice", "torch with the ignore index, warning on every call", Rewrite("dice_own", """
import warnings

warnings.simplefilter("always")  # undoes the setup cell's silence: warnings now reach stderr


def dice_(pred, gt, ignore_index=2):
    warnings.warn("dice_ converts the masks to tensors", UserWarning)
    p = torch.as_tensor(np.asarray(pred)).long() != ignore_index
    g = torch.as_tensor(np.asarray(gt)).long() != ignore_index
    return (2 * (p * g).sum() / (p.sum() + g.sum())).item()
""")),
    Mutation("7 SSIM", "cropping the border (as scikit-image does)", Rewrite("ssim_own", """
import cv2


def SSIM_(img1, img2):
    g = cv2.getGaussianKernel(11, 1.5)
    window = g @ g.T
    blur = lambda z: cv2.filter2D(z, -1, window)[5:-5, 5:-5]
    x, y = np.asarray(img1, np.float64), np.asarray(img2, np.float64)
    mu_x, mu_y = blur(x), blur(y)
    var_x, var_y = blur(x ** 2) - mu_x ** 2, blur(y ** 2) - mu_y ** 2
    cov = blur(x * y) - mu_x * mu_y
    c1, c2 = (0.01 * 1) ** 2, (0.03 * 1) ** 2
    return torch.tensor(((2 * mu_x * mu_y + c1) * (2 * cov + c2) / ((mu_x ** 2 + mu_y ** 2 + c1) * (var_x + var_y + c2))).mean())
""")),
]

OWN_MISTAKES = [
    # 1 MSE / MAE
    mistake("1 MSE/MAE", "MSE as the square of the mean error", Patch("mse_mae_own", MSE_MEAN, "return (input - target).mean() ** 2"),
             {"test_mse_own"}, "square of the mean error"),
    mistake("1 MSE/MAE", "MAE without the absolute value", Patch("mse_mae_own", MAE_MEAN, "return (input - target).mean()"),
             {"test_mae_own"}, "absolute value is missing"),
    mistake("1 MSE/MAE", "MAE summed instead of averaged", Patch("mse_mae_own", MAE_MEAN, "return (input - target).abs().sum()"),
             {"test_mae_own"}, "you sum the absolute differences"),
    # 2 cross entropy
    mistake("2 CE", "naive softmax that overflows", Patch("ce_own", CE_BODY, """probs = torch.exp(input) / torch.exp(input).sum(dim=1, keepdim=True)
    return -torch.log(probs[torch.arange(len(target)), target]).mean()"""),
             {"test_ce_stable"}, "LogSumExp"),
    mistake("2 CE", "softmax over the samples", Patch("ce_own", "torch.logsumexp(input, dim=1)", "torch.logsumexp(input, dim=0)[target]"),
             {"test_ce_own", "test_ce_stable"}, "wrong dimension"),
    mistake("2 CE", "summed over the samples", Patch("ce_own", "return (log_norm - true_logit).mean()", "return (log_norm - true_logit).sum()"),
             {"test_ce_own", "test_ce_stable"}, "you sum over the samples"),
    # 3 cosine similarity
    mistake("3 cosine", "normalising the columns", Patch("cosine_own", COS_BODY, """dot = (preds * target).sum(dim=0)
    return dot / (preds.norm(dim=0) * target.norm(dim=0))"""),
             {"test_cosine_own"}, "wrong axis"),
    mistake("3 cosine", "squared norms", Patch("cosine_own", "(preds.norm(dim=1) * target.norm(dim=1))",
                                               "((preds ** 2).sum(dim=1) * (target ** 2).sum(dim=1))"),
             {"test_cosine_own"}, "not square-rooted"),
    mistake("3 cosine", "reduced to one number", Patch("cosine_own", "return dot / (preds.norm(dim=1) * target.norm(dim=1))",
                                                        "return (dot / (preds.norm(dim=1) * target.norm(dim=1))).mean()"),
             {"test_cosine_own"}, "one similarity per row"),
    # 4 accuracy
    mistake("4 accuracy", "micro as the mean of the per-class accuracies", Patch("accuracy_own",
            "return (preds == target).float().mean()",
            "return torch.stack([(preds[target == c] == c).float().mean() for c in range(num_classes)]).mean()"),
             {"test_accuracy_own"}, "micro returns the mean of the per-class accuracies"),
    mistake("4 accuracy", "macro as precision", Patch("accuracy_own", "(preds[target == c] == c)", "(target[preds == c] == c)"),
             {"test_accuracy_own"}, "PRECISION"),
    mistake("4 accuracy", "macro equal to micro", Patch("accuracy_own", 'return per_class.mean() if average == "macro" else per_class',
                                                         'return (preds == target).float().mean() if average == "macro" else per_class'),
             {"test_accuracy_own"}, "macro returns the micro value"),
    mistake("4 accuracy", "integer division", Patch("accuracy_own", "return (preds == target).float().mean()",
                                                     "return (preds == target).sum() // len(target)"),
             {"test_accuracy_own"}, "rounded down"),
    # 5 ROC
    mistake("5 ROC", "(tpr, fpr) swapped", Patch("roc_own", ROC_RETURN, "return tpr, fpr"),
             {"test_roc_own"}, "you return (tpr, fpr)"),
    mistake("5 ROC", "ties counted as negative", Patch("roc_own", "preds[None, :] >= thresholds[:, None]", "preds[None, :] > thresholds[:, None]"),
             {"test_roc_own"}, "use >=, not >"),
    mistake("5 ROC", "FPR over all samples", Patch("roc_own", "fpr = (positive & ~actual).sum(dim=1) / (~actual).sum()",
                                                    "fpr = (positive & ~actual).sum(dim=1) / len(target)"),
             {"test_roc_own"}, "number of negatives"),
    # 6 Dice
    mistake("6 Dice", "IoU returned as Dice", Patch("dice_own", DICE_BODY, """union = (pet_pred | pet_gt).sum()
    return intersect / union"""),
             {"test_dice_own"}, "you return the IoU"),
    mistake("6 Dice", "factor 2 missing", Patch("dice_own", "return 2 * intersect / total", "return intersect / total"),
             {"test_dice_own"}, "factor 2 is missing"),
    mistake("6 Dice", "background pixels dropped", Patch("dice_own", "pet_pred, pet_gt = pred != ignore_index, gt != ignore_index",
                                                          "keep = gt != ignore_index\n    pet_pred, pet_gt = (pred != ignore_index) & keep, gt != ignore_index"),
             {"test_dice_own"}, "hides the false positives"),
    # 7 SSIM
    mistake("7 SSIM", "numerator factors added (the seed's typo)", Patch("ssim_own", SSIM_NUMERATOR, "((2 * mu1 * mu2 + C1) + (2 * covar12 + C2))"),
             {"test_ssim_own"}, "numerator factors are added"),
    mistake("7 SSIM", "C1 and C2 with L = 255", Patch("ssim_own", "C1, C2 = (0.01 * 1.0) ** 2, (0.03 * 1.0) ** 2",
                                                      "C1, C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2"),
             {"test_ssim_own"}, "L = 255"),
    mistake("7 SSIM", "variance without subtracting the mean", Patch("ssim_own", "var1 = blur(x * x) - mu1 ** 2\n    var2 = blur(y * y) - mu2 ** 2\n    covar12 = blur(x * y) - mu1 * mu2",
                                                                     "var1 = blur(x * x)\n    var2 = blur(y * y)\n    covar12 = blur(x * y)"),
             {"test_ssim_own"}, "forget to subtract the means"),
]

LIBRARY_MISTAKES = [
    mistake("1 MSE/MAE", "library MSE with reduction='sum'", Patch("mse_mae_lib", "torch.nn.MSELoss()", 'torch.nn.MSELoss(reduction="sum")'),
             {"test_mse_mae_lib"}, "you sum the squared differences"),
    mistake("2 CE", "Softmax instead of LogSoftmax before NLLLoss", Patch("ce_lib", "torch.nn.LogSoftmax(dim=1)", "torch.nn.Softmax(dim=1)"),
             {"test_ce_logsoftmax_nll"}, "LOG-probabilities"),
    mistake("5 ROC", "BinaryROC's order returned as is", Patch("roc_lib", ROC_LIB_RETURN, "return fpr, tpr"),
             {"test_roc_lib"}, "in the order the thresholds are given"),
    mistake("7 SSIM", "reshape instead of permute", Patch("ssim_lib", ".permute(2, 0, 1).unsqueeze(0)",
                                                           ".reshape(1, img_np_whc.shape[2], img_np_whc.shape[0], img_np_whc.shape[1])"),
             {"test_to_tensor"}, "scrambled"),
    mistake("7 SSIM", "torchmetrics SSIM without data_range", Patch("ssim_lib", "StructuralSimilarityIndexMeasure(data_range=1.0)", "StructuralSimilarityIndexMeasure()"),
             {"test_ssim_lib"}, "data_range=1.0"),
]


# Written from the contracts alone (mllab/checks/contracts/loss_and_metric.py): exactly the stated
# inputs, nothing more general (Python floats, element loops, no guard for what the contract rules
# out). Each must earn full marks.
CONTRACT_ONLY = [
    Mutation("1 MSE/MAE", "element loops over the flattened tensors' Python floats", Rewrite("mse_mae_own", """
def mae_loss(input, target):
    total = 0.0
    for a, b in zip(input.reshape(-1).tolist(), target.reshape(-1).tolist()):
        total += abs(a - b)
    return total / input.numel()


def mse_loss(input, target):
    total = 0.0
    for a, b in zip(input.reshape(-1).tolist(), target.reshape(-1).tolist()):
        total += (a - b) * (a - b)
    return total / input.numel()
""")),
    Mutation("2 CE", "row by row in Python floats with math.log and the row maximum", Rewrite("ce_own", """
import math

def cross_entropy(input, target):
    losses = []
    for row, label in zip(input.tolist(), target.tolist()):
        top = max(row)
        log_norm = top + math.log(sum(math.exp(value - top) for value in row))
        losses.append(log_norm - row[label])
    return sum(losses) / len(losses)
""")),
    Mutation("3 cosine", "row by row in Python floats", Rewrite("cosine_own", """
import math

def cosine_similarity(preds, target):
    values = []
    for p, t in zip(preds.tolist(), target.tolist()):
        dot = sum(a * b for a, b in zip(p, t))
        values.append(dot / (math.sqrt(sum(a * a for a in p)) * math.sqrt(sum(b * b for b in t))))
    return torch.tensor(values, dtype=torch.float64)
""")),
    Mutation("4 accuracy", "counting pairs, no guard against a class missing from target", Rewrite("accuracy_own", """
def accuracy(preds, target, num_classes, average="micro"):
    pairs = list(zip(preds.tolist(), target.tolist()))
    if average == "micro":
        return sum(p == t for p, t in pairs) / len(pairs)
    per_class = [sum(p == t == c for p, t in pairs) / sum(t == c for _, t in pairs) for c in range(num_classes)]
    return sum(per_class) / num_classes if average == "macro" else per_class
""")),
    Mutation("5 ROC", "a loop over the thresholds' and scores' Python floats", Rewrite("roc_own", """
def roc_curve_points(preds, target, thresholds):
    scores, labels = preds.tolist(), target.tolist()
    positives = sum(labels)
    negatives = len(labels) - positives
    fpr, tpr = [], []
    for threshold in thresholds.tolist():
        tp = sum(1 for s, y in zip(scores, labels) if s >= threshold and y == 1)
        fp = sum(1 for s, y in zip(scores, labels) if s >= threshold and y == 0)
        tpr.append(tp / positives)
        fpr.append(fp / negatives)
    return fpr, tpr
""")),
    Mutation("6 Dice", "two loops over the rows and pixels of 2-D masks", Rewrite("dice_own", """
def dice_(pred, gt, ignore_index=2):
    both = predicted = actual = 0
    for row_p, row_g in zip(np.asarray(pred).tolist(), np.asarray(gt).tolist()):
        for p, g in zip(row_p, row_g):
            predicted += p == 1
            actual += g == 1
            both += p == 1 and g == 1
    return 2 * both / (predicted + actual)
""")),
    Mutation("7 SSIM", "cv2.GaussianBlur channel by channel", Rewrite("ssim_own", """
import cv2


def SSIM_(img1, img2):
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    blur = lambda z: cv2.GaussianBlur(z, (11, 11), 1.5)
    x, y = np.atleast_3d(img1), np.atleast_3d(img2)
    means = []
    for k in range(x.shape[2]):
        a, b = np.ascontiguousarray(x[:, :, k]), np.ascontiguousarray(y[:, :, k])
        ma, mb = blur(a), blur(b)
        va, vb, cab = blur(a * a) - ma * ma, blur(b * b) - mb * mb, blur(a * b) - ma * mb
        ssim_map = (2 * ma * mb + c1) * (2 * cab + c2) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
        means.append(ssim_map.mean())
    return sum(means) / len(means)
""")),
]

# Each breaks one edge-case convention a contract states; its message names the convention's case.
EDGE_MISTAKES = [
    mistake("2 CE", "the log of a softmax: -inf where the softmax underflows",
            Patch("ce_own", CE_BODY, "return -torch.log(torch.softmax(input, dim=1))[torch.arange(len(target)), target].mean()"),
            {"test_ce_stable"}, "logits × 100 and × 1000"),
    mistake("2 CE", "the log of nn.Softmax before NLLLoss", Patch("ce_lib", "torch.nn.LogSoftmax(dim=1)(input)",
            "torch.log(torch.nn.Softmax(dim=1)(input))"),
            {"test_ce_logsoftmax_nll"}, "LogSoftmax + NLLLoss on logits × 100 and × 1000"),
    mistake("4 accuracy", "bincount of the hits without minlength", Patch(
            "accuracy_own", "per_class = torch.stack([(preds[target == c] == c).float().mean() for c in range(num_classes)])",
            "per_class = torch.bincount(target[preds == target]) / torch.bincount(target, minlength=num_classes)"),
            {"test_accuracy_own"}, "a class that is never predicted"),
    mistake("5 ROC", "sorted scores searched with right=True: ties count as negative", Rewrite("roc_own", """
def roc_curve_points(preds, target, thresholds):
    order = torch.argsort(preds)
    ranked, labels = preds[order], target[order].double()
    above = torch.searchsorted(ranked, thresholds, right=True)  # where the scores above each threshold start
    tp_below = torch.cat([torch.zeros(1, dtype=torch.float64), labels.cumsum(0)])
    fp_below = torch.cat([torch.zeros(1, dtype=torch.float64), (1 - labels).cumsum(0)])
    return (fp_below[-1] - fp_below[above]) / fp_below[-1], (tp_below[-1] - tp_below[above]) / tp_below[-1]
"""), {"test_roc_own"}, "scores exactly equal to a threshold"),
    mistake("5 ROC", "the thresholds swept from high to low whatever their order",
            Patch("roc_own", "positive = preds[None, :] >= thresholds[:, None]",
                  "positive = preds[None, :] >= thresholds.sort(descending=True).values[:, None]"),
            {"test_roc_own"}, "thresholds in no particular order"),
    mistake("5 ROC", "BinaryROC's rates flipped but left sorted", Patch("roc_lib", ROC_LIB_RETURN, "return fpr.flip(0), tpr.flip(0)"),
            {"test_roc_lib"}, "thresholds in no particular order"),
    mistake("6 Dice", "Dice as the F1 of precision and recall: nan without a predicted pet", Patch("dice_own", DICE_BODY,
            """precision, recall = intersect / pet_pred.sum(), intersect / pet_gt.sum()
    return 2 * precision * recall / (precision + recall)"""),
            {"test_dice_own"}, "a prediction with no pet at all"),
]



# The protocol's two lists (in each task the first mistake is its most common one).
ALTERNATIVES = ALTERNATIVES_A + ALTERNATIVES_B + CONTRACT_ONLY
MISTAKES = OWN_MISTAKES + EDGE_MISTAKES + LIBRARY_MISTAKES
