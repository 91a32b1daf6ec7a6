"""Do the hidden checks accept correct solutions written differently, and explain wrong ones?

These call the check functions directly (no notebook), with implementations a student could
plausibly write: NumPy instead of torch, loops instead of vectorised code, other border rules.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import scipy.ndimage as ndi
import torch

from mllab.checks import loss_and_metric as checks


def _np(x):
    return np.asarray(x, dtype=np.float64)


# ------------------------------------------------------------------ correct alternatives

def mse_numpy(input, target):
    return float(np.mean((_np(input) - _np(target)) ** 2))


def mae_looped(input, target):
    flat_x, flat_y = input.reshape(-1).tolist(), target.reshape(-1).tolist()
    return sum(abs(a - b) for a, b in zip(flat_x, flat_y)) / len(flat_x)


def ce_max_shift(input, target):
    shifted = input - input.max(dim=1, keepdim=True).values
    log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
    return -log_probs[torch.arange(len(target)), target].mean()


def ce_one_hot(input, target):
    one_hot = torch.nn.functional.one_hot(target, input.shape[1]).to(input.dtype)
    return -(one_hot * torch.log_softmax(input, dim=1)).sum(dim=1).mean()


def cosine_normalize(preds, target):
    unit = lambda m: m / m.pow(2).sum(dim=1, keepdim=True).sqrt()
    return (unit(preds) * unit(target)).sum(dim=1)


def cosine_numpy_loop(preds, target):
    return np.array([np.dot(p, t) / (np.linalg.norm(p) * np.linalg.norm(t))
                     for p, t in zip(_np(preds), _np(target))])


def accuracy_confusion(preds, target, num_classes, average="micro"):
    matrix = torch.zeros(num_classes, num_classes)
    for t, p in zip(target.tolist(), preds.tolist()):
        matrix[t, p] += 1
    per_class = matrix.diag() / matrix.sum(dim=1)
    return {"micro": matrix.diag().sum() / matrix.sum(), "macro": per_class.mean(), "none": per_class}[average]


def roc_looped(preds, target, thresholds):
    fpr, tpr = [], []
    for th in thresholds:
        positive = preds >= th
        tp = int((positive & (target == 1)).sum())
        fp = int((positive & (target == 0)).sum())
        tpr.append(tp / int((target == 1).sum()))
        fpr.append(fp / int((target == 0).sum()))
    return fpr, tpr


def dice_numpy(pred, gt, ignore_index=2):
    p, g = np.asarray(pred) == 1, np.asarray(gt) == 1
    return 2.0 * np.logical_and(p, g).sum() / (p.sum() + g.sum())


def ssim_scipy_mirror(img1, img2):
    sigma = (1.5, 1.5, 0) if np.ndim(img1) == 3 else 1.5
    blur = lambda z: ndi.gaussian_filter(z, sigma=sigma, truncate=3.5)
    return _ssim_with(blur, _np(img1), _np(img2))


def ssim_cropped(img1, img2):
    kernel = cv2.getGaussianKernel(11, 1.5)
    blur = lambda z: cv2.filter2D(z, -1, kernel @ kernel.T)[5:-5, 5:-5]
    return torch.tensor(_ssim_with(blur, _np(img1), _np(img2)))


def ssim_torch_zero_padding(img1, img2):
    g = torch.exp(-(torch.arange(11) - 5.0) ** 2 / 4.5)
    window = (g[:, None] * g[None, :] / g.sum() ** 2)[None, None]

    def blur(z):
        planes = torch.from_numpy(np.ascontiguousarray(z)).float()
        planes = planes[None, None] if planes.ndim == 2 else planes.permute(2, 0, 1)[:, None]
        return torch.nn.functional.conv2d(planes, window, padding=5)
    return _ssim_with(blur, _np(img1), _np(img2))


def _ssim_with(blur, x, y):
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx ** 2, blur(y * y) - my ** 2, blur(x * y) - mx * my
    ssim_map = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2))
    return float(ssim_map.mean())


def to_tensor_transpose(img):
    return torch.tensor(np.transpose(img, (2, 0, 1))[None], dtype=torch.float32)


ALTERNATIVES = [
    (checks.mse_loss_own, mse_numpy, 3),
    (checks.mae_loss_own, mae_looped, 3),
    (checks.cross_entropy_own, ce_max_shift, 8),
    (checks.cross_entropy_stable, ce_max_shift, 4),
    (checks.cross_entropy_own, ce_one_hot, 8),
    (checks.cross_entropy_stable, ce_one_hot, 4),
    (checks.cosine_similarity_own, cosine_normalize, 7),
    (checks.cosine_similarity_own, cosine_numpy_loop, 7),
    (checks.accuracy_own, accuracy_confusion, 10),
    (checks.roc_own, roc_looped, 10),
    (checks.dice_own, dice_numpy, 8),
    (checks.ssim_own, ssim_scipy_mirror, 10),
    (checks.ssim_own, ssim_cropped, 10),
    (checks.ssim_own, ssim_torch_zero_padding, 10),
    (checks.to_tensor_own, to_tensor_transpose, 3),
]


@pytest.mark.parametrize("check, solution, points", ALTERNATIVES,
                         ids=[f"{c.__name__}-{s.__name__}" for c, s, _ in ALTERNATIVES])
def test_a_correct_solution_written_differently_earns_full_marks(check, solution, points):
    assert check(solution, points=points) == float(points)


# ------------------------------------------------------------------ typical mistakes

def ce_naive(input, target):
    probs = torch.exp(input) / torch.exp(input).sum(dim=1, keepdim=True)
    return -torch.log(probs[torch.arange(len(target)), target]).mean()


def mse_square_of_mean(input, target):
    return (input - target).mean() ** 2


def ssim_l255(img1, img2):
    kernel = cv2.getGaussianKernel(11, 1.5)
    blur = lambda z: cv2.filter2D(z, -1, kernel @ kernel.T)
    x, y = _np(img1), _np(img2)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx ** 2, blur(y * y) - my ** 2, blur(x * y) - mx * my
    return float((((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2))).mean())


def dice_masking_pixels(pred, gt, ignore_index=2):
    keep = np.asarray(gt) != ignore_index
    p, g = np.asarray(pred)[keep] == 1, np.asarray(gt)[keep] == 1
    return 2.0 * (p & g).sum() / (p.sum() + g.sum())


def test_naive_softmax_keeps_the_ordinary_points_and_loses_the_stability_points():
    assert checks.cross_entropy_own(ce_naive, points=8) == 8.0
    with pytest.raises(AssertionError, match="LogSumExp"):
        checks.cross_entropy_stable(ce_naive, points=4)


@pytest.mark.parametrize("check, mistake, message", [
    (checks.mse_loss_own, mse_square_of_mean, "square of the mean error"),
    (checks.ssim_own, ssim_l255, "L = 255"),
], ids=["mse-square-of-mean", "ssim-L255"])
def test_a_typical_mistake_earns_nothing_and_is_explained(check, mistake, message):
    with pytest.raises(AssertionError, match=message):
        check(mistake, points=1)


def test_roc_that_misses_ties_earns_partial_credit(capsys):
    assert checks.roc_own(_strict_roc, points=10) == 7.0
    printed = capsys.readouterr().out
    assert ">=" in printed and "scores exactly equal to a threshold" in printed


def _strict_roc(preds, target, thresholds):
    positive = preds[None, :] > thresholds[:, None]
    return ((positive & (target == 0)).sum(1) / (target == 0).sum(),
            (positive & (target == 1)).sum(1) / (target == 1).sum())


def test_the_cropped_ssim_reference_is_what_scikit_image_computes():
    from skimage.metrics import structural_similarity

    from mllab.checks.ssim_reference import ssim_references

    for _, a, b in checks._image_pairs():
        ours = ssim_references(a, b)["crop (scikit-image)"]
        theirs = structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                       data_range=1.0, channel_axis=-1 if a.ndim == 3 else None)
        assert ours == pytest.approx(theirs, abs=1e-9)


# ------------------------------------------------------------------ the conventions the contracts state
# (mllab/checks/contracts/loss_and_metric.py): each edge case has its own labelled check


def ce_log_of_softmax(input, target):
    return -torch.log(torch.softmax(input, dim=1))[torch.arange(len(target)), target].mean()


def ce_lib_log_of_softmax(input, target):
    return torch.nn.NLLLoss()(torch.log(torch.nn.Softmax(dim=1)(input)), target)


def test_a_log_of_a_softmax_keeps_the_ordinary_points_and_loses_those_of_large_logits(capsys):
    assert checks.cross_entropy_own(ce_log_of_softmax, points=8) == 8.0
    with pytest.raises(AssertionError, match="logits × 100 and × 1000"):
        checks.cross_entropy_stable(ce_log_of_softmax, points=4)
    assert checks.cross_entropy_logsoftmax_nll(ce_lib_log_of_softmax, points=4) == 2.0
    assert "LogSoftmax + NLLLoss on logits × 100 and × 1000" in capsys.readouterr().out


def test_the_library_cross_entropy_earns_both_parts():
    composed = lambda x, t: torch.nn.NLLLoss()(torch.nn.LogSoftmax(dim=1)(x), t)
    assert checks.cross_entropy_logsoftmax_nll(composed, points=4) == 4.0


def accuracy_bincount(preds, target, num_classes, average="micro"):
    if average == "micro":
        return (preds == target).double().mean()
    per_class = torch.bincount(target[preds == target]) / torch.bincount(target, minlength=num_classes)
    return per_class.mean() if average == "macro" else per_class


def accuracy_python_loops(preds, target, num_classes, average="micro"):
    """Correct for the stated inputs only: every class occurs in target (no guard against 0 / 0)."""
    pairs = list(zip(preds.tolist(), target.tolist()))
    if average == "micro":
        return sum(p == t for p, t in pairs) / len(pairs)
    per_class = [sum(p == t == c for p, t in pairs) / sum(t == c for _, t in pairs) for c in range(num_classes)]
    return sum(per_class) / num_classes if average == "macro" else per_class


def test_an_accuracy_that_crashes_on_a_class_never_predicted_names_the_case(capsys):
    assert checks.accuracy_own(accuracy_bincount, points=10) == 4.0
    printed = capsys.readouterr().out
    assert "average='macro' on a class that is never predicted: accuracy raised RuntimeError" in printed
    assert checks.accuracy_own(accuracy_python_loops, points=10) == 10.0


def roc_sorted_high_to_low(preds, target, thresholds):
    positive = preds[None, :] >= thresholds.sort(descending=True).values[:, None]
    actual = target.bool()[None, :]
    return (positive & ~actual).sum(1) / (~actual).sum(), (positive & actual).sum(1) / actual.sum()


def roc_lib_sorted_back_to_ascending(preds, target, thresholds):
    from torchmetrics.classification import BinaryROC
    fpr, tpr, _ = BinaryROC(thresholds=thresholds.sort().values)(preds, target)
    return fpr.flip(0), tpr.flip(0)


def roc_lib_any_order(preds, target, thresholds):
    from torchmetrics.classification import BinaryROC
    fpr, tpr, _ = BinaryROC(thresholds=thresholds)(preds, target)  # given order, listed reversed
    return fpr.flip(0), tpr.flip(0)


def test_roc_checks_thresholds_in_no_particular_order():
    labels = [label for label, *_ in checks._roc_cases(ties=False)]
    assert labels[0].startswith("250 scores, thresholds in no particular order")
    grid = checks._roc_cases(ties=False).__next__()[3]
    assert not (torch.equal(grid, grid.sort().values) or torch.equal(grid, grid.sort(descending=True).values))
    for check, solution in [(checks.roc_own, roc_sorted_high_to_low), (checks.roc_library, roc_lib_sorted_back_to_ascending)]:
        with pytest.raises(AssertionError, match="thresholds in no particular order .*in the order the thresholds are given"):
            check(solution, points=5)
    assert checks.roc_own(roc_looped, points=10) == 10.0
    assert checks.roc_library(roc_lib_any_order, points=5) == 5.0


def dice_as_f1(pred, gt, ignore_index=2):
    p, g = torch.as_tensor(np.asarray(pred)) == 1, torch.as_tensor(np.asarray(gt)) == 1
    precision, recall = (p & g).sum() / p.sum(), (p & g).sum() / g.sum()
    return 2 * precision * recall / (precision + recall)


def test_a_dice_that_gives_nan_without_a_predicted_pet_loses_that_part_only(capsys):
    assert checks.dice_own(dice_as_f1, points=8) == 6.0
    assert "a prediction with no pet at all gave a non-finite value" in capsys.readouterr().out
    assert checks.dice_own(dice_masking_pixels, points=8) == 2.0  # its empty prediction is right
    assert "hides the false positives" in capsys.readouterr().out


def test_a_correct_float32_cross_entropy_earns_full_marks_whatever_the_submissions_seed(monkeypatch, capsys):
    """Logits × 1000 in float32: the loss can be 1e-4 while rounding alone moves it by eps × 1000.
    Every submission gets its own inputs (its seed), so a correct answer must pass for all of them."""
    from mllab.checks.salt import SEED_VARIABLE

    def model_answer(input, target):  # the instructor's solution
        return (torch.logsumexp(input, dim=1) - input.gather(1, target[:, None]).squeeze(1)).mean()

    library = lambda x, t: torch.nn.CrossEntropyLoss()(x, t)
    composed = lambda x, t: torch.nn.NLLLoss()(torch.nn.LogSoftmax(dim=1)(x), t)
    lost = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: with the other test lane busy, more threads only spin and wait
    # 1916230437: the seed that cost the model answer 4 points in a test run (0.000122 for 8e-05)
    for seed in [1916230437, *range(0, 2**31 - 1, 2**31 // 100)]:
        monkeypatch.setenv(SEED_VARIABLE, str(seed))
        scores = tuple(checks.cross_entropy_stable(answer, points=4) for answer in (model_answer, ce_max_shift, ce_one_hot))
        scores += (checks.cross_entropy_library(library, points=4), checks.cross_entropy_logsoftmax_nll(composed, points=4))
        if scores != (4.0,) * 5:
            lost.append((seed, scores))
    torch.set_num_threads(threads)
    capsys.readouterr()
    assert lost == []
