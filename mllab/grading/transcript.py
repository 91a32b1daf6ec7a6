"""What a student's functions returned during a check, as plain data, and its replay elsewhere.

In the student's kernel, every call a hidden check makes to a student's function is recorded:
the result reduced to plain numbers (dtype, shape and raw bytes for tensors and arrays), or the
error it raised, and the library calls the tracer saw. When the check ends, the transcript is
displayed as one output of MIME type :data:`MIME`.

The judge (:mod:`mllab.autograde.judge`) runs the same check again in the grader's own process,
where no student code ever ran, with each call to the student's function answered from the
transcript. The inputs, the references and the comparisons are all the judge's own, so patching
torch, numpy or the grading helpers inside the kernel cannot change its verdict.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator

import numpy as np
import torch

MIME = "application/vnd.mllab.transcript+json"
MAX_VALUES = 4_000_000  # a result with more numbers than this is recorded as "too large"

_recording: list[dict] | None = None
_replaying: Iterator[dict] | None = None


class Unreadable:
    """Stands in for a result that was not a number, an array, a tensor, or a list of them."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name}>"


# ------------------------------------------------------------------ plain data both ways

def _array_record(kind: str, array: np.ndarray) -> dict:
    array = np.array(array, order="C", copy=True)  # not ascontiguousarray: it turns 0-d into 1-d
    return {"kind": kind, "dtype": array.dtype.str, "shape": list(array.shape),
            "data": base64.b64encode(array.tobytes()).decode("ascii")}


def reduce(value: object, _budget: list[int] | None = None) -> dict:
    """``value`` as plain JSON data; anything unusual becomes ``{"kind": "other"}``."""
    budget = _budget if _budget is not None else [MAX_VALUES]
    try:
        if isinstance(value, torch.Tensor):
            array = torch.Tensor.numpy(torch.Tensor.resolve_conj(torch.Tensor.cpu(torch.Tensor.detach(value))))
            return _counted(_array_record("tensor", array), array.size, budget)
        if isinstance(value, (np.ndarray, np.generic)) and np.asarray(value).dtype.kind in "biufc":
            return _counted(_array_record("ndarray" if isinstance(value, np.ndarray) else "npscalar",
                                          np.asarray(value)), np.asarray(value).size, budget)
        if type(value) in (int, float, bool):
            return {"kind": type(value).__name__, "repr": repr(value)}
        if value is None:
            return {"kind": "none"}
        if type(value) in (list, tuple):
            return {"kind": type(value).__name__, "items": [reduce(item, budget) for item in value]}
    except Exception:  # noqa: BLE001 - whatever a hostile object does, it is recorded as unreadable
        pass
    return {"kind": "other", "type": type(value).__name__[:80]}


def _counted(record: dict, size: int, budget: list[int]) -> dict:
    budget[0] -= size
    return record if budget[0] >= 0 else {"kind": "other", "type": "a result too large to check"}


def rebuild(record: dict) -> object:
    """The value ``record`` describes, built fresh in this process; unknown records are Unreadable."""
    kind = record.get("kind") if isinstance(record, dict) else None
    if kind in ("tensor", "ndarray", "npscalar"):
        array = np.frombuffer(base64.b64decode(record["data"]), dtype=np.dtype(record["dtype"]))
        array = array.reshape(tuple(int(n) for n in record["shape"])).copy()
        if kind == "tensor":
            return torch.from_numpy(array)
        return array if kind == "ndarray" else array.reshape(())[()]
    if kind in ("int", "float", "bool"):
        return {"int": int, "float": float, "bool": lambda text: text == "True"}[kind](record["repr"])
    if kind == "none":
        return None
    if kind in ("list", "tuple"):
        items = [rebuild(item) for item in record["items"]]
        return items if kind == "list" else tuple(items)
    return Unreadable(str(record.get("type", "an unreadable value")) if isinstance(record, dict) else "garbage")


# ------------------------------------------------------------------ recording in the kernel

@contextlib.contextmanager
def recording(check: str) -> Iterator[None]:
    """Record the student's calls during a check; display the transcript when it ends."""
    global _recording
    if _replaying is not None or not _in_kernel():
        yield
        return
    _recording = []
    try:
        yield
    finally:
        calls, _recording = _recording, None
        _display({"check": check, "calls": calls})


def record_result(result: object, names: list[str], tampered: bool) -> None:
    if _recording is not None:
        _recording.append({"result": reduce(result), "library": list(names), "tampered": bool(tampered)})


def record_error(message: str) -> None:
    if _recording is not None:
        _recording.append({"error": str(message)})


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def _display(payload: dict) -> None:
    from IPython.display import display

    display({MIME: payload}, raw=True)


# ------------------------------------------------------------------ replay in the judge

@contextlib.contextmanager
def replaying(calls: list[dict]) -> Iterator[None]:
    """Within this block, a check's calls to student functions are answered from ``calls``."""
    global _replaying
    _replaying = iter(calls)
    try:
        yield
    finally:
        _replaying = None


def is_replaying() -> bool:
    return _replaying is not None


def next_call(what: str) -> dict:
    """The next recorded call; a missing one means the check did not run as written in the kernel."""
    call = next(_replaying, None)
    if not isinstance(call, dict):
        return {"error": f"{what}: the notebook's run has no result for this call (the check did not run as "
                         "written in your notebook)"}
    return call
