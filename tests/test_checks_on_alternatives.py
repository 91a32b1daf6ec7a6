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
    (checks.dice_own, dice_masking_pixels, "hides the false positives"),
], ids=["mse-square-of-mean", "ssim-L255", "dice-masked-pixels"])
def test_a_typical_mistake_earns_nothing_and_is_explained(check, mistake, message):
    with pytest.raises(AssertionError, match=message):
        check(mistake, points=1)


def test_roc_that_misses_ties_earns_partial_credit(capsys):
    assert checks.roc_own(_strict_roc, points=10) == 7.0
    assert ">=" in capsys.readouterr().out


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
