"""What each graded function of a notebook receives and returns, stated once.

A :class:`Contract` per graded function or class: its arguments (type, dimensions, dtypes, value
range), what it returns, and the conventions of its edge cases. The contract is the one source of
two things that used to be kept apart by hand:

* the docstring of the function's stub in the notebook (``mllab release`` writes it, see
  :func:`docstring`), so the student reads exactly what the checks assume;
* what the hidden checks may feed the student's function: every call a check makes must satisfy
  the contract (:func:`violations`; tests/test_contracts.py runs every check and looks), and every
  convention names the case label of the hidden check that tests it (``case``), which must appear
  in the message a student gets when the convention is broken.

One module per assignment (``contracts/<assignment>.py``) holds its ``CONTRACTS``.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
from dataclasses import dataclass

import numpy as np
import torch

TENSOR, ARRAY, FLOAT, INT, STR, BOOL, CALLABLE, MODULE = (
    "torch tensor", "NumPy array", "float", "int", "str", "bool", "callable", "torch.nn.Module")


@dataclass(frozen=True)
class Arg:
    """One argument: what the checks may pass, and how the docstring says it."""

    name: str
    kinds: tuple[str, ...]  # any of TENSOR, ARRAY, FLOAT, INT, STR, BOOL, CALLABLE, MODULE
    text: str  # the docstring's description, e.g. "images of the same shape, values in [0, data_range]"
    ndim: tuple[int, ...] | None = None  # for tensors and arrays
    dtypes: tuple[str, ...] | None = None  # e.g. ("float32", "float64"); None: any
    low: float | None = None  # every value ≥ low (tensors, arrays and numbers)
    high: float | None = None  # every value ≤ high
    choices: tuple | None = None  # for str/int/float/bool arguments: the values allowed
    same_shape_as: str | None = None  # the name of another argument of the same shape
    optional: bool = False  # may be left out (the function has a default)
    max_rows: int | None = None  # for tensors and arrays: the first dimension is at most this


@dataclass(frozen=True)
class Convention:
    """An edge case whose result the notebook states, and the hidden check's case that tests it."""

    text: str  # as the student reads it, e.g. "two identical images: return inf (the MSE is 0)"
    case: str  # a phrase of the label of the hidden check's case (shown in its failure message)


@dataclass(frozen=True)
class Contract:
    """The contract of one graded function (or nn.Module class) of a notebook."""

    name: str  # the function's (or class's) name in the notebook
    grade_id: str  # the solution cell that defines it
    summary: str  # one line: what it computes
    args: tuple[Arg, ...]
    returns: str
    conventions: tuple[Convention, ...] = ()
    kind: str = "function"  # "function", or "module" for an nn.Module whose forward takes ``args``

    def arg(self, name: str) -> Arg:
        return next(a for a in self.args if a.name == name)


def contracts(assignment: str) -> tuple[Contract, ...]:
    """The contracts of one assignment: ``contracts/<assignment>.py``, or else the ``CONTRACTS`` of its
    checks module ``mllab.checks.<assignment>`` (as `mllab new-assignment` writes it); empty when neither has any."""
    for name in (f"{__name__}.{assignment}", f"{__name__.rpartition('.')[0]}.{assignment}"):
        if importlib.util.find_spec(name) is not None:
            found = getattr(importlib.import_module(name), "CONTRACTS", None)
            if found is not None:
                return tuple(found)
    return ()


# ---------------------------------------------------------------------- the docstring

def docstring(contract: Contract, indent: str = "    ") -> str:
    """The stub's docstring: the summary, each argument, what it returns, the edge cases."""
    lines = [contract.summary, "", "Arguments of forward:" if contract.kind == "module" else "Arguments:"]
    lines += [f"    {a.name}: {a.text}" for a in contract.args]
    lines += ["", f"Returns: {contract.returns}"]
    if contract.conventions:
        lines += ["", "Edge cases:"] + [f"    - {c.text}" for c in contract.conventions]
    body = "\n".join(f"{indent}{line}" if line else "" for line in lines)
    return f'{indent}"""{body.lstrip()}\n{indent}"""'


# ---------------------------------------------------------------------- checking a call

def _dtype_name(value) -> str | None:
    if isinstance(value, torch.Tensor):
        return str(value.dtype).removeprefix("torch.")
    if isinstance(value, np.ndarray):
        return str(value.dtype)
    return None


def _kind(value) -> str:
    if isinstance(value, torch.nn.Module):
        return MODULE
    if isinstance(value, torch.Tensor):
        return TENSOR
    if isinstance(value, np.ndarray):
        return ARRAY
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return FLOAT
    if isinstance(value, str):
        return STR
    return CALLABLE if callable(value) else type(value).__name__


def _range(value) -> tuple[float, float] | None:
    if isinstance(value, (torch.Tensor, np.ndarray)):
        array = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value
        if array.size == 0 or array.dtype == object:
            return None
        return float(np.min(array)), float(np.max(array))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value), float(value)
    return None


def _arg_problems(arg: Arg, value, bound: dict) -> list[str]:
    kind = _kind(value)
    if kind not in arg.kinds and not (kind == INT and FLOAT in arg.kinds):
        return [f"{arg.name} is a {kind}, the contract allows {', '.join(arg.kinds)}"]
    problems = []
    if arg.ndim is not None and kind in (TENSOR, ARRAY) and value.ndim not in arg.ndim:
        problems.append(f"{arg.name} has {value.ndim} dimensions, the contract allows {arg.ndim}")
    if arg.dtypes is not None and _dtype_name(value) is not None and _dtype_name(value) not in arg.dtypes:
        problems.append(f"{arg.name} is {_dtype_name(value)}, the contract allows {arg.dtypes}")
    span = _range(value)
    if span and arg.low is not None and not span[0] >= arg.low and not math.isnan(span[0]):
        problems.append(f"{arg.name} has a value {span[0]} below {arg.low}")
    if span and arg.high is not None and not span[1] <= arg.high and not math.isnan(span[1]):
        problems.append(f"{arg.name} has a value {span[1]} above {arg.high}")
    if arg.choices is not None and kind in (STR, INT, FLOAT, BOOL) and value not in arg.choices:
        problems.append(f"{arg.name}={value!r} is not one of {arg.choices}")
    if arg.max_rows is not None and kind in (TENSOR, ARRAY) and value.ndim and len(value) > arg.max_rows:
        problems.append(f"{arg.name} has {len(value)} rows, the contract allows at most {arg.max_rows}")
    other = bound.get(arg.same_shape_as) if arg.same_shape_as else None
    if other is not None and tuple(np.shape(value)) != tuple(np.shape(other)):
        problems.append(f"{arg.name} has shape {tuple(np.shape(value))}, {arg.same_shape_as} "
                        f"{tuple(np.shape(other))}; the contract says they are the same")
    return problems


def violations(contract: Contract, args: tuple, kwargs: dict) -> list[str]:
    """How a call with ``args`` and ``kwargs`` breaks the contract (empty if it keeps it)."""
    names = [a.name for a in contract.args]
    if len(args) > len(names) or set(kwargs) - set(names):
        return [f"{contract.name} was called with {len(args)} positional and {sorted(kwargs)} keyword arguments, "
                f"the contract names {names}"]
    bound = {**dict(zip(names, args)), **kwargs}
    missing = [a.name for a in contract.args if a.name not in bound and not a.optional]
    problems = [f"{contract.name} was called without {', '.join(missing)}"] if missing else []
    for arg in contract.args:
        if arg.name in bound:
            problems += _arg_problems(arg, bound[arg.name], bound)
    return problems
