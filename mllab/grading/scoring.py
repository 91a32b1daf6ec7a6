"""Run a student's function safely and turn sub-checks into a cell's (partial) score.

A grade cell's last expression is the plain Python float this module returns: nbgrader reads
partial credit from it. A cell that earns nothing raises instead, so the student sees why.
"""

from __future__ import annotations

import contextlib
import copy
import io
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mllab.grading import findings, transcript
from mllab.grading.tracer import LibraryCalls, run_traced


class StudentCodeError(AssertionError):
    """The student's function raised an exception."""


# Called with (function, args, kwargs) before each call of a student's function: how
# tests/test_contracts.py sees every input the hidden checks feed (empty while grading).
OBSERVERS: list[Callable[[Callable, tuple, dict], None]] = []


def _copy_argument(value):
    """A private copy of an input, so in-place changes by the student cannot affect later checks."""
    return copy.deepcopy(value)


def call_student(function: Callable, *args, what: str, **kwargs) -> tuple[object, LibraryCalls]:
    """Call a student's function on copies of the inputs, silently, and trace its library calls.

    Each call is recorded in the check's transcript; when the judge replays a check, the
    answer comes from the transcript instead (see :mod:`mllab.grading.transcript`).
    """
    if transcript.is_replaying():
        return _replayed(transcript.next_call(what))
    for observe in OBSERVERS:
        observe(function, args, kwargs)
    try:
        result, calls = _call(function, args, kwargs, what)
    except StudentCodeError as error:
        transcript.record_error(str(error))
        raise
    transcript.record_result(result, calls.names, calls.tampered)
    return result, calls


def _replayed(call: dict) -> tuple[object, LibraryCalls]:
    if "error" in call:
        raise StudentCodeError(str(call["error"]))
    library = call.get("library")
    names = [name for name in library if isinstance(name, str)] if isinstance(library, list) else []
    try:
        result = transcript.rebuild(call.get("result"))
    except Exception:  # noqa: BLE001 - a malformed record is an unreadable result, not a grader crash
        result = transcript.Unreadable("a malformed record")
    return result, LibraryCalls(names=names, tampered=call.get("tampered") is True)


def _call(function: Callable, args: tuple, kwargs: dict, what: str) -> tuple[object, LibraryCalls]:
    if not callable(function):
        raise StudentCodeError(f"{what} is not a function (it is {type(function).__name__})")
    args = [_copy_argument(a) for a in args]
    kwargs = {k: _copy_argument(v) for k, v in kwargs.items()}
    sink = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        warnings.simplefilter("ignore")
        try:
            return run_traced(function, *args, **kwargs)
        except NotImplementedError:
            raise StudentCodeError(f"{what} is not implemented yet (it raises NotImplementedError)") from None
        except Exception as error:  # the student's bug, reported as a failed check
            raise StudentCodeError(f"{what} raised {type(error).__name__}: {error}") from None


OWN_USES_LIBRARY = findings.mistake(
    "own.uses_library", "this part asks for your own implementation with torch math only (no torch.nn losses, "
    "torch.nn.functional losses or torchmetrics). Use that library in the library-version cell instead.")
LIBRARY_NOT_CALLED = findings.mistake("library.not_called", "it does not call it")


def require_own(calls: LibraryCalls, *, what: str) -> None:
    """Fail if an own implementation used a library loss or metric (or switched the tracer off)."""
    if calls.tampered:
        raise AssertionError(f"{what} changed the Python profiler (sys.setprofile); the check cannot trust it")
    if calls.names:
        raise findings.fail(OWN_USES_LIBRARY, f"{what} calls {calls.names[0]}: ")


def require_library(calls: LibraryCalls, *prefixes: str, what: str, use: str) -> None:
    """Fail if a library version did not use the library it is meant to show."""
    if not calls.uses(*prefixes):
        raise findings.fail(LIBRARY_NOT_CALLED, f"{what} should use {use}; ")


@dataclass(frozen=True)
class Part:
    """One sub-check of a grade cell, worth ``weight`` (relative to the other parts)."""

    name: str
    check: Callable[[], None]
    weight: float = 1.0


def score(parts: Sequence[Part], *, points: float) -> float:
    """Run the parts; return the points earned as a plain float, or raise if none were earned."""
    total = sum(part.weight for part in parts)
    earned, failures = 0.0, []
    for part in parts:
        try:
            with findings.part(part.name):
                part.check()
            earned += part.weight
        except AssertionError as failure:
            failures.append(f"✗ {part.name}: {failure}")
    if not failures:
        return float(points)
    if earned == 0:
        raise AssertionError("\n".join(failures))
    print("\n".join(failures))
    print(f"Partial credit: {earned:g} of {total:g} checks passed.")
    return float(round(points * earned / total, 2))
