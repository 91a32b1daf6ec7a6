"""The mutation corpus of `beyond_basics`: correct solutions written differently, and mistakes
(mllab/classes/corpus.py describes the protocol; `mllab check-tests` uses it)."""

from __future__ import annotations

from mllab.classes.corpus import Mutation, Patch, Rewrite, mistake
from mllab.classes.demo import FFT_ON_TIME

PSNR_RETURN = "return 10 * torch.log10(data_range ** 2 / mse)"
IOU_CLAMP = "size = (bottom_right - top_left).clamp(min=0)"
IOU_RETURN = "return intersection / (area1[:, None] + area2[None, :] - intersection)"
FBETA_RETURN = "return (1 + beta ** 2) * precision * recall / (beta ** 2 * precision + recall)"
CHAMFER_RETURN = "return squared.min(dim=1).values.mean() + squared.min(dim=0).values.mean()"
EMD_BODY = """rows, columns = linear_sum_assignment(cost.numpy())
    return cost[rows, columns].mean()"""
NLL_RETURN = "return (0.5 * (torch.log(var) + (target - mu) ** 2 / var)).mean() + 0.5 * math.log(2 * math.pi)"
EIKONAL_RETURN = "return ((gradient.norm(dim=-1) - 1) ** 2).mean()"
SORTED_BY_UNCERTAINTY = "torch.argsort(torch.as_tensor(uncertainty), descending=True)"
BOTH_SPARSIFICATION_CELLS = {"test_sparsification_own", "test_ause_own"}  # ause is built on the curve

ALTERNATIVES_A = [
    Mutation("1 PSNR", "NumPy, 20·log10(L) − 10·log10(MSE)", Rewrite("psnr_own", """
import numpy as np

def psnr_db(img1, img2, data_range):
    difference = np.asarray(img1, dtype=np.float64) - np.asarray(img2, dtype=np.float64)
    return float(20 * np.log10(data_range) - 10 * np.log10(np.mean(difference ** 2)))
""")),
    Mutation("2 box IoU", "two loops over Python lists", Rewrite("box_iou_own", """
def box_iou(boxes1, boxes2):
    result = torch.zeros(len(boxes1), len(boxes2), dtype=torch.float64)
    for i, a in enumerate(boxes1.tolist()):
        for j, b in enumerate(boxes2.tolist()):
            width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
            height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
            overlap = width * height
            result[i, j] = overlap / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - overlap)
    return result
""")),
    Mutation("3 F-beta", "NumPy counts, F from TP, FP and FN", Rewrite("fbeta_own", """
import numpy as np

def fbeta(preds, target, beta):
    p, t = np.asarray(preds) > 0.5, np.asarray(target) == 1
    tp, fp, fn = np.sum(p & t), np.sum(p & ~t), np.sum(~p & t)
    b2 = beta * beta
    return 0.0 if tp == 0 else (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp)
""")),
    Mutation("4 FFT loss", "one FFT of the difference, real and imaginary parts as a last axis", Rewrite("fft_loss_own", """
def fft_loss(pred, target, base="l1"):
    power = 1 if base == "l1" else 2
    spectrum = torch.view_as_real(torch.fft.fft(pred - target, dim=1)) / pred.shape[1]
    return ((pred - target).abs() ** power).mean() + 2 * (spectrum.abs() ** power).mean()
""")),
    Mutation("5 Chamfer", "SciPy's cKDTree", Rewrite("chamfer_own", """
import numpy as np
from scipy.spatial import cKDTree

def chamfer_distance(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    a_to_b, _ = cKDTree(b).query(a)
    b_to_a, _ = cKDTree(a).query(b)
    return float((a_to_b ** 2).mean() + (b_to_a ** 2).mean())
""")),
    Mutation("6 EMD", "SciPy's cdist and a sum divided by N", Rewrite("emd_own", """
import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

def earth_movers_distance(a, b):
    cost = cdist(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    rows, columns = linear_sum_assignment(cost)
    return cost[rows, columns].sum() / len(rows)
""")),
    Mutation("7 Gaussian NLL", "torch.distributions.Normal", Rewrite("gaussian_nll_own", """
def gaussian_nll(mu, var, target):
    return -torch.distributions.Normal(mu, var.sqrt()).log_prob(target).mean()
""")),
    Mutation("8 Eikonal", "grad_outputs of ones and a hand-written norm", Rewrite("eikonal_own", """
def eikonal_loss(sdf, points):
    x = points.clone().requires_grad_()
    values = sdf(x).reshape(-1)
    gradient = torch.autograd.grad(values, x, grad_outputs=torch.ones_like(values), create_graph=True)[0]
    return (torch.sqrt((gradient ** 2).sum(dim=1)) - 1).pow(2).mean()
""")),
    Mutation("9 sparsification", "NumPy with stable argsort and np.trapezoid", Rewrite("sparsification_own", """
import numpy as np

def sparsification_error_curve(errors, uncertainty, steps=20):
    e = np.asarray(errors, dtype=np.float64)
    by_uncertainty = e[np.argsort(-np.asarray(uncertainty, dtype=np.float64), kind="stable")]
    by_error = e[np.argsort(-e, kind="stable")]
    n = len(e)
    curve = [by_uncertainty[i * n // steps:].mean() - by_error[i * n // steps:].mean() for i in range(steps)]
    return np.arange(steps) / steps, np.array(curve)


def ause(errors, uncertainty, steps=20):
    fractions, curve = sparsification_error_curve(errors, uncertainty, steps)
    return float(np.trapezoid(curve, fractions))
""")),
]

ALTERNATIVES_B = [
    Mutation("1 PSNR", "log10 of the range and of the MSE apart, in torch", Rewrite("psnr_own", """
def psnr_db(img1, img2, data_range):
    mse = torch.mean(torch.square(torch.as_tensor(img1).double() - torch.as_tensor(img2).double()))
    return 20 * torch.log10(torch.tensor(float(data_range), dtype=torch.float64)) - 10 * torch.log10(mse)
""")),
    Mutation("2 box IoU", "coordinates unbound into columns", Rewrite("box_iou_own", """
def box_iou(boxes1, boxes2):
    x1, y1, x2, y2 = (c[:, None] for c in boxes1.unbind(dim=1))
    u1, v1, u2, v2 = (c[None, :] for c in boxes2.unbind(dim=1))
    width = (torch.min(x2, u2) - torch.max(x1, u1)).clamp(min=0)
    height = (torch.min(y2, v2) - torch.max(y1, v1)).clamp(min=0)
    overlap = width * height
    return overlap / ((x2 - x1) * (y2 - y1) + (u2 - u1) * (v2 - v1) - overlap)
""")),
    Mutation("3 F-beta", "the harmonic form (1 + β²) / (1/P + β²/R)", Rewrite("fbeta_own", """
def fbeta(preds, target, beta):
    predicted = (preds > 0.5).float()
    tp = (predicted * target).sum()
    if tp == 0:
        return 0.0
    precision, recall = tp / predicted.sum(), tp / target.sum()
    return float((1 + beta ** 2) / (1 / precision + beta ** 2 / recall))
""")),
    Mutation("4 FFT loss", "the default FFT divided by the length", Rewrite("fft_loss_own", """
def fft_loss(pred, target, base="l1"):
    def d(a, b):
        return (a - b).abs().mean() if base == "l1" else (a - b).pow(2).mean()
    n = pred.shape[1]
    fp, ft = torch.fft.fft(pred, dim=1) / n, torch.fft.fft(target, dim=1) / n
    return d(pred, target) + d(fp.real, ft.real) + d(fp.imag, ft.imag)
""")),
    Mutation("5 Chamfer", "broadcasting instead of cdist", Rewrite("chamfer_own", """
def chamfer_distance(a, b):
    squared = ((a[:, None, :] - b[None, :, :]) ** 2).sum(dim=-1)
    return squared.min(1).values.mean() + squared.min(0).values.mean()
""")),
    Mutation("6 EMD", "the matched points' distances recomputed", Rewrite("emd_own", """
from scipy.optimize import linear_sum_assignment

def earth_movers_distance(a, b):
    a, b = a.double(), b.double()
    _, matched = linear_sum_assignment(torch.cdist(a, b).numpy())
    return torch.linalg.norm(a - b[torch.as_tensor(matched)], dim=1).mean()
""")),
    Mutation("7 Gaussian NLL", "log(2π·var) in one", Rewrite("gaussian_nll_own", """
def gaussian_nll(mu, var, target):
    return 0.5 * (torch.log(2 * torch.pi * var) + (target - mu) ** 2 / var).mean()
""")),
    Mutation("8 Eikonal", "a detached clone as the leaf, vector_norm", Rewrite("eikonal_own", """
def eikonal_loss(sdf, points):
    x = points.clone().detach()
    x.requires_grad = True
    gradient = torch.autograd.grad(sdf(x).sum(), [x], create_graph=True)[0]
    return torch.mean((torch.linalg.vector_norm(gradient, dim=1) - 1.0) ** 2)
""")),
    Mutation("9 sparsification", "tail sums, linspace fractions and a hand-written trapezoid", Rewrite("sparsification_own", """
def sparsification_error_curve(errors, uncertainty, steps=20):
    errors = torch.as_tensor(errors).double()
    n = len(errors)

    def remaining_means(order):
        tails = errors[order].flip(0).cumsum(0).flip(0)  # tails[k]: the sum of all but the first k
        return torch.stack([tails[i * n // steps] / (n - i * n // steps) for i in range(steps)])

    curve = remaining_means(torch.argsort(uncertainty, descending=True)) - remaining_means(torch.argsort(errors, descending=True))
    return torch.linspace(0, 1, steps + 1, dtype=torch.float64)[:-1], curve


def ause(errors, uncertainty, steps=20):
    fractions, curve = sparsification_error_curve(errors, uncertainty, steps)
    return float(((curve[1:] + curve[:-1]) / 2 * (fractions[1:] - fractions[:-1])).sum())
""")),
]

OWN_MISTAKES = [
    # 1 PSNR
    mistake("1 PSNR", "the natural logarithm", Patch("psnr_own", PSNR_RETURN, "return 10 * torch.log(data_range ** 2 / mse)"),
            {"test_psnr_own"}, "natural log"),
    mistake("1 PSNR", "the range not squared", Patch("psnr_own", PSNR_RETURN, "return 10 * torch.log10(data_range / mse)"),
            {"test_psnr_own"}, "data_range is not squared"),
    mistake("1 PSNR", "the range taken as 255 always", Patch("psnr_own", PSNR_RETURN, "return 10 * torch.log10(255 ** 2 / mse)"),
            {"test_psnr_own"}, "you assume 255"),
    # 2 box IoU
    mistake("2 box IoU", "off-by-one (+1) widths and heights", Rewrite("box_iou_own", """
def box_iou(boxes1, boxes2):
    area1 = (boxes1[:, 2] - boxes1[:, 0] + 1) * (boxes1[:, 3] - boxes1[:, 1] + 1)
    area2 = (boxes2[:, 2] - boxes2[:, 0] + 1) * (boxes2[:, 3] - boxes2[:, 1] + 1)
    top_left = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    bottom_right = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    size = (bottom_right - top_left + 1).clamp(min=0)
    intersection = size[..., 0] * size[..., 1]
    return intersection / (area1[:, None] + area2[None, :] - intersection)
"""), {"test_box_iou_own"}, "you add 1 to the widths and heights"),
    mistake("2 box IoU", "overlaps not clamped at 0", Patch("box_iou_own", IOU_CLAMP, "size = bottom_right - top_left"),
            {"test_box_iou_own"}, "not clamped at 0"),
    mistake("2 box IoU", "the union without subtracting the intersection", Patch("box_iou_own", IOU_RETURN,
            "return intersection / (area1[:, None] + area2[None, :])"),
            {"test_box_iou_own"}, "subtract the intersection"),
    # 3 F-beta
    mistake("3 F-beta", "beta not squared", Patch("fbeta_own", FBETA_RETURN, "return (1 + beta) * precision * recall / (beta * precision + recall)"),
            {"test_fbeta_own"}, "beta is not squared"),
    mistake("3 F-beta", "beta weighing precision", Patch("fbeta_own", FBETA_RETURN,
            "return (1 + beta ** 2) * precision * recall / (precision + beta ** 2 * recall)"),
            {"test_fbeta_own"}, "precision and recall are swapped"),
    mistake("3 F-beta", "always F1", Patch("fbeta_own", FBETA_RETURN, "return 2 * precision * recall / (precision + recall)"),
            {"test_fbeta_own"}, "you always compute F1"),
    # 4 FFT loss
    mistake("4 FFT loss", "the FFT over the features", Patch("fft_loss_own", FFT_ON_TIME, FFT_ON_TIME.replace("dim=1", "dim=-1")),
            {"test_fft_loss_own"}, "the FFT runs over the last axis"),
    mistake("4 FFT loss", "torch's default norm='backward'", Patch("fft_loss_own", FFT_ON_TIME, FFT_ON_TIME.replace(', norm="forward"', "")),
            {"test_fft_loss_own"}, "norm='backward'"),
    mistake("4 FFT loss", "the time-domain term missing", Patch("fft_loss_own", "return (distance(pred, target) + distance(", "return (distance("),
            {"test_fft_loss_own"}, "the time-domain term base(pred, target) is missing"),
    # 5 Chamfer
    mistake("5 Chamfer", "one-sided", Patch("chamfer_own", CHAMFER_RETURN, "return squared.min(dim=1).values.mean()"),
            {"test_chamfer_own"}, "one-sided: only the a → b term"),
    mistake("5 Chamfer", "unsquared distances", Patch("chamfer_own", "squared = torch.cdist(a, b) ** 2", "squared = torch.cdist(a, b)"),
            {"test_chamfer_own"}, "unsquared distances"),
    mistake("5 Chamfer", "the two directions averaged", Patch("chamfer_own", CHAMFER_RETURN,
            "return (squared.min(dim=1).values.mean() + squared.min(dim=0).values.mean()) / 2"),
            {"test_chamfer_own"}, "you average the two directions"),
    # 6 EMD
    mistake("6 EMD", "nearest neighbours, not a matching", Patch("emd_own", EMD_BODY, "return cost.min(dim=1).values.mean()"),
            {"test_emd_own"}, "nearest neighbours, not a one-to-one matching"),
    mistake("6 EMD", "the points paired by index", Patch("emd_own", EMD_BODY, "return cost.diagonal().mean()"),
            {"test_emd_own"}, "matched by index"),
    mistake("6 EMD", "squared distances", Patch("emd_own", EMD_BODY, """cost = cost ** 2
    rows, columns = linear_sum_assignment(cost.numpy())
    return cost[rows, columns].mean()"""),
            {"test_emd_own"}, "you match on SQUARED distances"),
    # 7 Gaussian NLL
    mistake("7 Gaussian NLL", "without the log-variance term", Patch("gaussian_nll_own", NLL_RETURN,
            "return (0.5 * (target - mu) ** 2 / var).mean() + 0.5 * math.log(2 * math.pi)"),
            {"test_gaussian_nll_own"}, "NLL without the log-variance term"),
    mistake("7 Gaussian NLL", "without the constant (full=False)", Patch("gaussian_nll_own", NLL_RETURN,
            "return (0.5 * (torch.log(var) + (target - mu) ** 2 / var)).mean()"),
            {"test_gaussian_nll_own"}, "full=False"),
    mistake("7 Gaussian NLL", "summed over the elements", Patch("gaussian_nll_own", NLL_RETURN,
            "return (0.5 * (torch.log(var) + (target - mu) ** 2 / var) + 0.5 * math.log(2 * math.pi)).sum()"),
            {"test_gaussian_nll_own"}, "you sum over the elements"),
    # 8 Eikonal
    mistake("8 Eikonal", "the squared gradient norm", Patch("eikonal_own", EIKONAL_RETURN, "return ((gradient.norm(dim=-1) ** 2 - 1) ** 2).mean()"),
            {"test_eikonal_own"}, "you square the norm"),
    mistake("8 Eikonal", "the absolute difference", Patch("eikonal_own", EIKONAL_RETURN, "return (gradient.norm(dim=-1) - 1).abs().mean()"),
            {"test_eikonal_own"}, "you take |‖∇f‖ − 1|"),
    mistake("8 Eikonal", "summed over the points", Patch("eikonal_own", EIKONAL_RETURN, "return ((gradient.norm(dim=-1) - 1) ** 2).sum()"),
            {"test_eikonal_own"}, "you sum over the points; the loss is the mean"),
    mistake("8 Eikonal", "no create_graph", Patch("eikonal_own", "x, create_graph=True)", "x)"),
            {"test_eikonal_own"}, "create_graph"),
    # 9 sparsification and AUSE
    mistake("9 sparsification", "the least uncertain removed first", Patch("sparsification_own", SORTED_BY_UNCERTAINTY,
            "torch.argsort(torch.as_tensor(uncertainty))"),
            BOTH_SPARSIFICATION_CELLS, "LEAST uncertain"),
    mistake("9 sparsification", "the oracle not subtracted", Patch("sparsification_own", "by_uncertainty[k:].mean() - by_error[k:].mean()",
            "by_uncertainty[k:].mean()"),
            BOTH_SPARSIFICATION_CELLS, "subtract the oracle curve"),
    mistake("9 sparsification", "AUSE as the mean of the curve", Patch("sparsification_own", "return torch.trapezoid(curve, fractions)",
            "return curve.mean()"),
            {"test_ause_own"}, "you return the mean of the curve"),
]

LIBRARY_MISTAKES = [
    mistake("1 PSNR", "torchmetrics' PSNR", Rewrite("psnr_own", """
from torchmetrics.functional.image import peak_signal_noise_ratio

def psnr_db(img1, img2, data_range):
    return peak_signal_noise_ratio(torch.as_tensor(img1), torch.as_tensor(img2), data_range=data_range)
"""), {"test_psnr_own"}, "calls torchmetrics"),
    mistake("5 Chamfer", "an MSE loss inside Chamfer", Patch("chamfer_own", "squared = torch.cdist(a, b) ** 2",
            "squared = torch.nn.functional.mse_loss(a[:, None, :].expand(-1, len(b), -1), b[None].expand(len(a), -1, -1), "
            "reduction='none').sum(-1)"),
            {"test_chamfer_own"}, "calls torch.nn.functional.mse_loss"),
    mistake("7 Gaussian NLL", "torch's GaussianNLLLoss", Patch("gaussian_nll_own", NLL_RETURN,
            "return torch.nn.functional.gaussian_nll_loss(mu, target, var, full=True)"),
            {"test_gaussian_nll_own"}, "calls torch.nn.functional.gaussian_nll_loss"),
]


# Written from the contracts alone (mllab/checks/contracts/beyond_basics.py): exactly the stated
# inputs, nothing more general. Each must earn full marks.
CONTRACT_ONLY = [
    Mutation("1 PSNR", "element loop over a flattened NumPy copy, inf for identical images", Rewrite("psnr_own", """
import math
import numpy as np

def psnr_db(img1, img2, data_range):
    a = np.asarray(img1, dtype=np.float64).ravel()
    b = np.asarray(img2, dtype=np.float64).ravel()
    total = 0.0
    for x, y in zip(a.tolist(), b.tolist()):
        total += (x - y) ** 2
    mse = total / len(a)
    if mse == 0:
        return math.inf
    return 10 * math.log10(data_range ** 2 / mse)
""")),
    Mutation("2 box IoU", "Python floats box by box, a NumPy result", Rewrite("box_iou_own", """
import numpy as np

def box_iou(boxes1, boxes2):
    result = np.zeros((boxes1.shape[0], boxes2.shape[0]))
    for i, (x1, y1, x2, y2) in enumerate(boxes1.tolist()):
        for j, (u1, v1, u2, v2) in enumerate(boxes2.tolist()):
            width, height = min(x2, u2) - max(x1, u1), min(y2, v2) - max(y1, v1)
            overlap = width * height if width > 0 and height > 0 else 0.0
            result[i, j] = overlap / ((x2 - x1) * (y2 - y1) + (u2 - u1) * (v2 - v1) - overlap)
    return result
""")),
    Mutation("3 F-beta", "a loop over Python floats and ints, counting TP, FP and FN", Rewrite("fbeta_own", """
def fbeta(preds, target, beta):
    tp = fp = fn = 0
    for p, t in zip(preds.tolist(), target.tolist()):
        if p > 0.5 and t == 1:
            tp += 1
        elif p > 0.5:
            fp += 1
        elif t == 1:
            fn += 1
    if tp == 0:
        return 0.0
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return (1 + beta ** 2) * precision * recall / (beta ** 2 * precision + recall)
""")),
    Mutation("4 FFT loss", "one 1-D FFT per series of the batch and feature, in loops", Rewrite("fft_loss_own", """
def fft_loss(pred, target, base="l1"):
    d = (lambda x: x.abs()) if base == "l1" else (lambda x: x ** 2)
    batch, length, features = pred.shape
    time = spectrum = 0.0
    for b in range(batch):
        for f in range(features):
            p, t = pred[b, :, f].double(), target[b, :, f].double()
            difference = torch.fft.fft(p) / length - torch.fft.fft(t) / length
            time += float(d(p - t).sum())
            spectrum += float(d(difference.real).sum() + d(difference.imag).sum())
    return (time + spectrum) / (batch * length * features)
""")),
    Mutation("5 Chamfer", "nearest neighbours by loops over Python tuples", Rewrite("chamfer_own", """
def chamfer_distance(a, b):
    a, b = [tuple(p) for p in a.tolist()], [tuple(q) for q in b.tolist()]
    squared = lambda p, q: (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 + (p[2] - q[2]) ** 2
    a_to_b = sum(min(squared(p, q) for q in b) for p in a) / len(a)
    b_to_a = sum(min(squared(p, q) for p in a) for q in b) / len(b)
    return a_to_b + b_to_a
""")),
    Mutation("6 EMD", "a cost matrix of Python floats, math.dist", Rewrite("emd_own", """
import math
from scipy.optimize import linear_sum_assignment

def earth_movers_distance(a, b):
    a, b = a.tolist(), b.tolist()
    cost = [[math.dist(p, q) for q in b] for p in a]
    rows, columns = linear_sum_assignment(cost)
    return sum(cost[i][j] for i, j in zip(rows, columns)) / len(a)
""")),
    Mutation("7 Gaussian NLL", "a loop over the flattened elements with math.log", Rewrite("gaussian_nll_own", """
import math

def gaussian_nll(mu, var, target):
    terms = [0.5 * (math.log(v) + (t - m) ** 2 / v)
             for m, v, t in zip(mu.flatten().tolist(), var.flatten().tolist(), target.flatten().tolist())]
    return sum(terms) / len(terms) + 0.5 * math.log(2 * math.pi)
""")),
    Mutation("8 Eikonal", "the values reshaped to (N,), the norm by hand", Rewrite("eikonal_own", """
def eikonal_loss(sdf, points):
    x = points.detach().clone().requires_grad_(True)
    values = sdf(x).reshape(len(x))
    (gradient,) = torch.autograd.grad(values, x, grad_outputs=torch.ones_like(values), create_graph=True)
    norms = (gradient[:, 0] ** 2 + gradient[:, 1] ** 2 + gradient[:, 2] ** 2).sqrt()
    return ((norms - 1) ** 2).sum() / len(x)
""")),
    Mutation("9 sparsification", "Python lists sorted with sorted(), k = i·N // steps", Rewrite("sparsification_own", """
def sparsification_error_curve(errors, uncertainty, steps=20):
    e, u = errors.tolist(), uncertainty.tolist()
    n = len(e)
    by_uncertainty = [e[i] for i in sorted(range(n), key=lambda i: u[i], reverse=True)]
    by_error = sorted(e, reverse=True)
    curve = []
    for i in range(steps):
        k = i * n // steps
        left = n - k
        curve.append(sum(by_uncertainty[k:]) / left - sum(by_error[k:]) / left)
    return torch.tensor([i / steps for i in range(steps)], dtype=torch.float64), torch.tensor(curve, dtype=torch.float64)


def ause(errors, uncertainty, steps=20):
    fractions, curve = sparsification_error_curve(errors, uncertainty, steps)
    f, c = fractions.tolist(), curve.tolist()
    return sum((f[i + 1] - f[i]) * (c[i] + c[i + 1]) / 2 for i in range(steps - 1))
""")),
]

# Each breaks one edge-case convention a contract states; its message names the convention's case.
EDGE_MISTAKES = [
    mistake("1 PSNR", "an epsilon in the MSE: identical images get a finite PSNR",
            Patch("psnr_own", PSNR_RETURN, "return 10 * torch.log10(data_range ** 2 / (mse + 1e-10))"),
            {"test_psnr_own"}, "identical images"),
    mistake("2 box IoU", "the overlap's area clamped, not its sides: boxes apart in x and y overlap",
            Patch("box_iou_own", IOU_CLAMP + "\n    intersection = size[..., 0] * size[..., 1]",
                  "size = bottom_right - top_left\n    intersection = (size[..., 0] * size[..., 1]).clamp(min=0)"),
            {"test_box_iou_own"}, "disjoint boxes"),
    mistake("2 box IoU", "+1 on the overlap's sides only: touching boxes overlap",
            Patch("box_iou_own", IOU_CLAMP, "size = (bottom_right - top_left + 1).clamp(min=0)"),
            {"test_box_iou_own"}, "boxes touching"),
    mistake("3 F-beta", "p ≥ 0.5 counted as positive",
            Patch("fbeta_own", "predicted, actual = preds > 0.5, target == 1", "predicted, actual = preds >= 0.5, target == 1"),
            {"test_fbeta_own"}, "exactly 0.5"),
    mistake("3 F-beta", "no special case without true positives: nan",
            Patch("fbeta_own", "    if tp == 0:\n        return torch.tensor(0.0)\n", ""),
            {"test_fbeta_own"}, "no true positive"),
    mistake("9 sparsification", "k rounded to the nearest whole number",
            Patch("sparsification_own", "removed = [i * n // steps for i in range(steps)]",
                  "removed = [round(i * n / steps) for i in range(steps)]"),
            BOTH_SPARSIFICATION_CELLS, "steps does not divide N"),
]



# The protocol's two lists (in each task the first mistake is its most common one).
ALTERNATIVES = ALTERNATIVES_A + ALTERNATIVES_B + CONTRACT_ONLY
MISTAKES = OWN_MISTAKES + EDGE_MISTAKES + LIBRARY_MISTAKES
