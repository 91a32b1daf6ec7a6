"""Watch which library code a student's function calls, however it was imported or aliased.

A profile hook sees every Python and C function call while the student's function runs, so
``from torch.nn import functional as Fn``, ``getattr(torch.nn, "MSE" + "Loss")`` and
``import torchmetrics as tm`` all show up by where the called code lives, not by its name.

Only the calls the student's own code makes count. A loss or metric that an allowed library calls
inside itself (scikit-learn's neighbours calling ``sklearn.metrics``, a torch function calling
another) is the library's business: the hook walks back from the called frame past the frames
that only pass a call on (the standard library, torch's module call and dispatch wrappers) to
the code that made the call, and records the call only when that code is not a library's.
A library's closure counts as passing on too: it is how decorators wrap a library's metrics.
"""

from __future__ import annotations

import sys
import sysconfig
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

_SITE_PACKAGES = tuple(sorted({str(Path(sysconfig.get_paths()[key]).resolve()) for key in ("purelib", "platlib")}))
_STANDARD_LIBRARY = tuple(sorted({str(Path(sysconfig.get_paths()[key]).resolve()) for key in ("stdlib", "platstdlib")}))
_TORCH = Path(torch.__file__).resolve().parent
# torch code that only passes a call on to the callable it was given (a module's forward, a decorated
# function): the caller behind it decides, so nn.Sequential(nn.MSELoss()) is still the student's call
_PASS_ON_FILES = {str(path) for path in (
    _TORCH_NN / "modules" / "module.py", _TORCH_NN / "modules" / "container.py", _TORCH / "_jit_internal.py",
    _TORCH / "overrides.py", _TORCH / "utils" / "_contextlib.py", _TORCH / "_compile.py")}
PASS_ON, LIBRARY, OWN = "pass on", "library", "own"


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


def code_kind(filename: str) -> str:
    """Whose code a file holds: PASS_ON (the standard library, torch's call wrappers), LIBRARY
    (an installed package) or OWN (the student's notebook, or anything else)."""
    if filename.startswith("<frozen") or filename in _PASS_ON_FILES:
        return PASS_ON
    path = str(Path(filename).resolve()) if filename.startswith("/") else filename
    if path in _PASS_ON_FILES:
        return PASS_ON
    if path.startswith(_SITE_PACKAGES):
        return LIBRARY
    if path.startswith(_STANDARD_LIBRARY):
        return PASS_ON
    return OWN


class _Hook:
    """The profile function: records the library losses and metrics the student's own code calls."""

    def __init__(self, calls: LibraryCalls) -> None:
        self.calls = calls
        self._candidates: dict = {}  # code object -> whether it is a library loss or metric
        self._kinds: dict = {}  # code object -> PASS_ON, LIBRARY or OWN

    def _kind(self, code) -> str:
        kind = self._kinds.get(code)
        if kind is None:
            kind = code_kind(code.co_filename)
            if kind == LIBRARY and "<locals>" in code.co_qualname:
                kind = PASS_ON  # a decorator's wrapper (sklearn's validate_params, skimage's fixed_func)
            self._kinds[code] = kind
        return kind

    def _made_by_own_code(self, frame) -> bool:
        """Is the first frame from ``frame`` back that does more than pass the call on the student's?"""
        while frame is not None:
            kind = self._kind(frame.f_code)
            if kind != PASS_ON:
                return kind == OWN
            frame = frame.f_back
        return True

    def _name(self, frame) -> str | None:
        code = frame.f_code
        if self._candidates.get(code) is False:
            return None
        name = None if code.co_name == "<module>" else _frame_name(frame)  # an import is not a call
        self._candidates[code] = name is not None
        return name

    def __call__(self, frame, event, arg):
        if event == "call":
            name = self._name(frame)
            if name and self._made_by_own_code(frame.f_back):
                self.calls.add(name)
        elif event == "c_call" and id(arg) in _BUILTIN_METRICS and self._made_by_own_code(frame):
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
