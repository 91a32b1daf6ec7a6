"""Building blocks shared by the assignments' hidden tests."""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable, Iterable, Mapping

import numpy as np
import torch

from mllab.checks.salt import SEED_VARIABLE
from mllab.grading import transcript
from mllab.grading.compare import expect_close
from mllab.grading.scoring import Part, call_student, require_library, require_own


def recorded(check: Callable) -> Callable:
    """A graded check whose calls to student functions are recorded for the judge (see transcript)."""
    @functools.wraps(check)
    def run(*args, **kwargs):
        with transcript.recording(f"{check.__module__}.{check.__name__}"):
            return check(*args, **kwargs)
    return run


def quiet(function, *args, **kwargs):
    """Run a reference without letting its warnings reach the cell's stderr."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)




def run_seed() -> int:
    """The grader's secret salt for this submission's inputs (``$MLLAB_CHECK_SEED``; 0 when unset).

    ``mllab autograde`` derives it from a course secret and the submission's fingerprint, so a
    student who prints the hidden checks cannot know the inputs of the next grading run.
    """
    try:
        return int(os.environ.get(SEED_VARIABLE, "0")) % 2**31
    except ValueError:
        return 0


def generator(seed: int) -> torch.Generator:
    """A seeded generator: the same inputs at every regrade of the same submission."""
    return torch.Generator().manual_seed(seed + run_seed())


def numpy_generator(seed: int) -> np.random.Generator:
    """The NumPy counterpart of :func:`generator`."""
    salt = run_seed()
    return np.random.default_rng([seed, salt] if salt else seed)


def own_result(function: Callable, *args, what: str, **kwargs):
    """Call an own implementation; fail if it used a library loss or metric."""
    result, calls = call_student(function, *args, what=what, **kwargs)
    require_own(calls, what=what)
    return result


def library_result(function: Callable, *args, what: str, uses: tuple[str, ...], use: str, **kwargs):
    """Call a library version; fail if it did not call the library it is meant to show."""
    result, calls = call_student(function, *args, what=what, **kwargs)
    require_library(calls, *uses, what=what, use=use)
    return result


def check_cases(get_result: Callable, cases: Iterable[tuple], *, reference: Callable,
                mistakes: Callable[..., Mapping[str, object]] | None = None,
                atol_floor: Callable[..., float] | None = None) -> None:
    """For each case ``(label, dtype, *inputs)``: compare the result with the reference.
    ``atol_floor(*inputs)``: the least absolute tolerance for that case (see ``expect_close``)."""
    for label, dtype, *inputs in cases:
        expected = reference(*inputs)
        result = get_result(*inputs)
        expect_close(result, expected, what=label, dtype=dtype,
                     mistakes=(lambda: mistakes(*inputs)) if mistakes else None,
                     atol_floor=atol_floor(*inputs) if atol_floor else 0.0)


def expect_one_of(result, accepted: Iterable, *, what: str, dtype: torch.dtype, mistakes=None) -> None:
    """Pass if ``result`` matches any accepted value; else explain against the first."""
    accepted = list(accepted)
    for value in accepted[1:]:
        try:
            expect_close(result, value, what=what, dtype=dtype)
            return
        except AssertionError:
            pass
    expect_close(result, accepted[0], what=what, dtype=dtype, mistakes=mistakes)


def cases_part(name: str, get_result: Callable, cases: Callable[[], Iterable[tuple]], *,
               reference: Callable, mistakes: Callable | None = None, weight: float = 1.0,
               atol_floor: Callable[..., float] | None = None) -> Part:
    """A Part that checks ``get_result`` on every case of ``cases()``."""
    return Part(name, lambda: check_cases(get_result, cases(), reference=reference, mistakes=mistakes,
                                          atol_floor=atol_floor), weight)


def report_optional(parts: Iterable[Part]) -> None:
    """Optional tasks: print ✓/✗ for each part; never raise, never return a score."""
    for part in parts:
        try:
            part.check()
            print(f"✓ {part.name}")
        except AssertionError as failure:
            print(f"✗ {part.name}: {failure}")
