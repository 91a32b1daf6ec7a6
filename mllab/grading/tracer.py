"""Watch which library code a student's function calls, however it was imported or aliased.

A profile hook sees every Python and C function call while the student's function runs, so
``from torch.nn import functional as Fn``, ``getattr(torch.nn, "MSE" + "Loss")`` and
``import torchmetrics as tm`` all show up by where the called code lives, not by its name.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

_TORCH_NN = Path(torch.nn.__file__).resolve().parent
_LOSS_FILES = {_TORCH_NN / "modules" / "loss.py", _TORCH_NN / "modules" / "distance.py"}
_FUNCTIONAL_FILE = _TORCH_NN / "functional.py"
FUNCTIONAL_LOSSES = frozenset({
    "l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "poisson_nll_loss",
    "gaussian_nll_loss", "soft_margin_loss", "multilabel_soft_margin_loss",
    "cosine_embedding_loss", "margin_ranking_loss", "hinge_embedding_loss",
    "multi_margin_loss", "multilabel_margin_loss", "triplet_margin_loss",
})
_BUILTIN_METRICS = {
    id(torch.cosine_similarity): "torch.cosine_similarity",
    id(F.cosine_similarity): "torch.nn.functional.cosine_similarity",
    id(torch.pairwise_distance): "torch.pairwise_distance",
}
_METRIC_PACKAGES = ("torchmetrics", "sklearn.metrics", "skimage.metrics")


@dataclass
class LibraryCalls:
    """The library losses and metrics one call of a student's function used, outermost first."""

    names: list[str] = field(default_factory=list)
    tampered: bool = False

    def add(self, name: str) -> None:
        if name not in self.names:
            self.names.append(name)

    def uses(self, *prefixes: str) -> bool:
        return any(name.startswith(prefixes) for name in self.names)


def _owner(frame) -> type | None:
    """The class of ``self`` in a method frame, or None for a plain function."""
    if frame.f_code.co_argcount == 0 or frame.f_code.co_varnames[0] != "self":
        return None
    return type(frame.f_locals.get("self"))


def _frame_name(frame) -> str | None:
    """The library function a Python frame belongs to, or None if it is not a loss or metric."""
    code = frame.f_code
    module = frame.f_globals.get("__name__", "")
    owner = _owner(frame)
    if module.startswith(_METRIC_PACKAGES):
        return f"{owner.__module__}.{owner.__qualname__}" if owner else f"{module}.{code.co_qualname}"
    filename = Path(code.co_filename)
    if filename in _LOSS_FILES:
        return f"torch.nn.{owner.__name__ if owner else code.co_qualname}"
    if filename == _FUNCTIONAL_FILE and code.co_name in FUNCTIONAL_LOSSES:
        return f"torch.nn.functional.{code.co_name}"
    return None


class _Hook:
    """The profile function: records the outermost library loss/metric frames."""

    def __init__(self, calls: LibraryCalls) -> None:
        self.calls = calls
        self.depth = 0  # > 0 while inside a recorded library frame

    def __call__(self, frame, event, arg):
        if event == "call":
            name = _frame_name(frame) if self.depth == 0 else None
            if name or self.depth:
                self.depth += 1
            if name:
                self.calls.add(name)
        elif event == "return" and self.depth:
            self.depth -= 1
        elif event == "c_call" and self.depth == 0 and id(arg) in _BUILTIN_METRICS:
            self.calls.add(_BUILTIN_METRICS[id(arg)])


def run_traced(function, *args, **kwargs):
    """Call ``function`` and return ``(result, LibraryCalls)``; exceptions propagate."""
    calls = LibraryCalls()
    hook = _Hook(calls)
    previous = sys.getprofile()
    sys.setprofile(hook)
    try:
        result = function(*args, **kwargs)
    finally:
        calls.tampered = sys.getprofile() is not hook
        sys.setprofile(previous)
    return result, calls
