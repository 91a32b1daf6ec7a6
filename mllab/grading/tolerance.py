"""The tolerance policy of every check, written once: which differences are rounding, which are mistakes.

* **Rounding earns full marks.** A result is right when ``|result − reference| ≤ atol + rtol·|reference|``
  (elementwise), with the tolerances of the inputs' dtype (:data:`RTOL`, :data:`ATOL`). Correct float32
  implementations differ from the float64 reference by a few 1e-6 relative, float64 ones by ~1e-12, or
  ~1e-7 when computed in float32. An eps of at most 1e-6 added to a sum or a denominator of size ≥ 1
  (1e-6 … 1e-8, as libraries use) moves a result by at most ~1e-6 relative, or absolute for a loss
  1 − x near 0: inside the bounds.
* **Conventions the text states are checked exactly** (up to the same rounding): an edge-case value
  (inf for identical images, 0 rather than nan, loss 0 for an empty mask predicted empty), a smoothing
  constant, ``>=`` at a threshold. An eps that changes such a value is a mistake.
* **Wider, stated per task**, where rounding alone is larger: the cross entropy of logits × 1000
  (an absolute floor of a few float32 eps × max |logit|, see the loss_and_metric checks) and SSIM,
  whose accepted border rules are each matched within :data:`SSIM_TOLERANCE`.

:data:`STUDENT_TEXT` says the same to students: each notebook's "How it is graded" contains it
word for word (tests/test_tolerance_policy.py checks it, and pins both sides of the bounds).
"""

from __future__ import annotations

import numpy as np
import torch

RTOL = {torch.float32: 1e-4, torch.float64: 1e-5}
ATOL = {torch.float32: 1e-5, torch.float64: 1e-6}
SSIM_TOLERANCE = 1e-3  # measured: border rules, window truncations and float32 differ by < 3e-4

STUDENT_TEXT = (
    "**Rounding is not a mistake.** A result is right when it is within atol + rtol·|expected| of the "
    "reference: rtol = 1e-4 and atol = 1e-5 for float32 inputs, rtol = 1e-5 and atol = 1e-6 for float64 "
    "inputs. So computing in float32 or float64, summing in another order, or adding an eps of at most "
    "1e-6 to a sum or a denominator of size ≥ 1 (as libraries do) costs nothing. What the text states as "
    "a convention is checked exactly: a value it gives for an edge case (such as inf, 0 instead of nan, "
    "or a loss of 0), a smoothing constant, `>=` at a threshold; an eps that changes such a value is a "
    "mistake. A task that needs a wider tolerance says so.")


def tolerances(dtype: torch.dtype) -> tuple[float, float]:
    """``(rtol, atol)`` for inputs of ``dtype`` (float32 tolerances for anything else)."""
    return RTOL.get(dtype, RTOL[torch.float32]), ATOL.get(dtype, ATOL[torch.float32])


def bound(expected: np.ndarray, dtype: torch.dtype, atol_floor: float = 0.0) -> np.ndarray:
    """How far a result may be from ``expected`` and still be right (elementwise)."""
    rtol, atol = tolerances(dtype)
    return max(atol, atol_floor) + rtol * np.abs(expected)
