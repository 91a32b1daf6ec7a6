"""SSIM references for the hidden tests: every standard border handling, and typical mistakes.

The lab's SSIM uses an 11×11 Gaussian window (σ = 1.5), C1 = (0.01·L)², C2 = (0.03·L)², L = 1.
Filtering the whole image needs a border rule; reflecting (cv2.filter2D's default, and what
torchmetrics 1.9 pads with), mirroring, replicating, zero padding, or keeping only the pixels
whose window fits (scikit-image) are all standard, so a result close to any of them is accepted.
"""

from __future__ import annotations

import warnings

import cv2
import numpy as np
import torch

from mllab.grading.findings import Mistake, mistake

WINDOW, SIGMA, K1, K2 = 11, 1.5, 0.01, 0.03
HALF = WINDOW // 2
BORDERS = {
    "reflect (cv2.filter2D default)": cv2.BORDER_REFLECT_101,
    "mirror (scipy default)": cv2.BORDER_REFLECT,
    "replicate": cv2.BORDER_REPLICATE,
    "zero padding": cv2.BORDER_CONSTANT,
}


def _gaussian_window() -> np.ndarray:
    column = cv2.getGaussianKernel(WINDOW, SIGMA)
    return column @ column.T


def _box_window() -> np.ndarray:
    return np.full((WINDOW, WINDOW), 1.0 / WINDOW**2)


def _ssim_map(x, y, *, border: int, window: np.ndarray | None = None, dynamic_range: float = 1.0,
              centred: bool = True, multiply: bool = True) -> np.ndarray:
    """The SSIM map of two float64 images; the keyword switches reproduce typical mistakes."""
    kernel = _gaussian_window() if window is None else window
    blur = lambda z: cv2.filter2D(z, -1, kernel, borderType=border)
    c1, c2 = (K1 * dynamic_range) ** 2, (K2 * dynamic_range) ** 2
    mu_x, mu_y = blur(x), blur(y)
    var_x, var_y, cov = blur(x * x), blur(y * y), blur(x * y)
    if centred:
        var_x, var_y, cov = var_x - mu_x**2, var_y - mu_y**2, cov - mu_x * mu_y
    luminance, structure = 2 * mu_x * mu_y + c1, 2 * cov + c2
    numerator = luminance * structure if multiply else luminance + structure
    return numerator / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))


def _crop(ssim_map: np.ndarray) -> np.ndarray:
    return ssim_map[HALF:-HALF, HALF:-HALF]


def _torchmetrics_ssim(x: np.ndarray, y: np.ndarray) -> float:
    from torchmetrics.image import StructuralSimilarityIndexMeasure
    as_batch = lambda z: torch.from_numpy(np.ascontiguousarray(z if z.ndim == 3 else z[..., None])).permute(2, 0, 1)[None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(StructuralSimilarityIndexMeasure(data_range=1.0)(as_batch(x), as_batch(y)))


def ssim_references(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """The correct mean SSIM under each standard border handling."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    maps = {name: _ssim_map(x, y, border=b) for name, b in BORDERS.items()}
    values = {name: float(m.mean()) for name, m in maps.items()}
    values["crop (scikit-image)"] = float(_crop(maps["reflect (cv2.filter2D default)"]).mean())
    values["torchmetrics"] = _torchmetrics_ssim(x, y)
    return values


MISTAKE_SWITCHES = {  # a typical mistake → the keyword switches of _ssim_map that reproduce it
    mistake("ssim.added_factors", "the two numerator factors are added; SSIM multiplies (2μxμy + C1)(2σxy + C2)"):
        dict(multiply=False),
    mistake("ssim.data_range_255", "C1 and C2 use L = 255, but these images are floats in [0, 1] (L = 1)"):
        dict(dynamic_range=255.0),
    mistake("ssim.uncentred_variance", "the variances and covariance forget to subtract the means: "
            "Var(X) = E[X²] − E[X]²"): dict(centred=False),
    mistake("ssim.box_window", "the window is a plain 11×11 average; use the Gaussian window (σ = 1.5)"):
        dict(window=_box_window()),
}


def ssim_mistakes(x: np.ndarray, y: np.ndarray) -> dict[Mistake, list[float]]:
    """Typical wrong SSIMs, each under every border handling: explanation → values."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    mistakes = {}
    for explanation, switches in MISTAKE_SWITCHES.items():
        maps = [_ssim_map(x, y, border=b, **switches) for b in BORDERS.values()]
        mistakes[explanation] = [float(m.mean()) for m in maps] + [float(_crop(maps[0]).mean())]
    return mistakes
