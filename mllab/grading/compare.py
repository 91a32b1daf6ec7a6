"""Compare a student's result with a reference and explain the difference in words."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import torch

from mllab.grading import findings
from mllab.grading.tolerance import ATOL, RTOL, tolerances  # noqa: F401 - the policy, stated once
from mllab.grading.values import describe, to_array


def _close(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> bool:
    return got.shape == expected.shape and bool(
        np.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=False)
    )


def _show(values: np.ndarray) -> str:
    flat = np.round(values.reshape(-1)[:6], 6).tolist()
    more = " …" if values.size > 6 else ""
    return f"{flat[0] if values.ndim == 0 else flat}{more}"


def _distance(got: np.ndarray, wrong: np.ndarray, rtol: float, atol: float) -> float:
    """How far ``got`` is from ``wrong`` in units of the tolerance (≤ 1: they match)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return float(np.max(np.abs(got - wrong) / (atol + rtol * np.abs(wrong)), initial=0.0))


def _known_mistake(got: np.ndarray, mistakes: Mapping[str, object], rtol: float, atol: float) -> str | None:
    """The explanation of the mistake whose value ``got`` matches (in value and shape), if any.

    When several match (two mistakes can give nearly the same number on some inputs), the closest
    one is named, so the explanation does not depend on which inputs a machine's generator drew."""
    matching = []
    for explanation, wrong_value in mistakes.items():
        wrong = to_array(wrong_value, what="the reference")
        if _close(got, wrong, rtol, atol):
            matching.append((_distance(got.astype(float), wrong.astype(float), rtol, atol), len(matching), explanation))
    if not matching:
        return None
    known = min(matching)[2]
    findings.note(known)
    return known


def explain_mismatch(got: np.ndarray, expected: np.ndarray, *, what: str,
                     mistakes: Mapping[str, object], rtol: float, atol: float) -> str:
    """The message for a wrong result: a known mistake it matches, or the values side by side."""
    known = _known_mistake(got, mistakes, rtol, atol)
    if known:
        return f"{what}: {known}"
    if not np.all(np.isfinite(got)) and np.all(np.isfinite(expected)):
        return (f"{what} gave a non-finite value ({_show(got)}) where the answer is finite "
                f"({_show(expected)}): look for an overflow, a log of 0 or a division by 0")
    return f"{what} gave {_show(got)}, expected {_show(expected)}"


Mistakes = Mapping[str, object] | Callable[[], Mapping[str, object]] | None


def _resolved(mistakes: Mistakes) -> Mapping[str, object]:
    """The known mistakes' values; a callable is called only now, when a result was wrong."""
    return (mistakes() if callable(mistakes) else mistakes) or {}


def expect_close(result: object, expected: object, *, what: str, dtype: torch.dtype = torch.float32,
                 mistakes: Mistakes = None, atol_floor: float = 0.0) -> None:
    """Raise an AssertionError that says what is wrong unless ``result`` matches ``expected``.

    ``mistakes`` maps an explanation to the value a typical mistake gives; pass a function that
    returns that mapping to compute the values only for a wrong result (a right one costs nothing).
    ``atol_floor``: the least absolute tolerance, for inputs whose magnitude makes the rounding of
    any correct computation larger than the dtype's usual tolerance."""
    got = to_array(result, what=what)
    want = to_array(expected, what="the reference")
    if got.size == want.size and got.shape != want.shape and got.size == 1:
        got = got.reshape(want.shape)  # a 1-element tensor for a scalar is fine
    rtol, atol = tolerances(dtype)
    atol = max(atol, atol_floor)
    if got.shape != want.shape:
        known = _known_mistake(got, _resolved(mistakes), rtol, atol)  # e.g. a transposed matrix
        raise AssertionError(f"{what}: {known}" if known else
                             f"{what} returned {describe(result)}; expected shape {want.shape or '() (a single number)'}")
    if not _close(got, want, rtol, atol):
        raise AssertionError(
            explain_mismatch(got, want, what=what, mistakes=_resolved(mistakes), rtol=rtol, atol=atol)
        )
