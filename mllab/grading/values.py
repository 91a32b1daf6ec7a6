"""Turn whatever a student's function returned into plain NumPy values before comparing.

Only real tensors, NumPy values and Python numbers are accepted, so an object with an odd
``__eq__`` or ``__sub__`` gains nothing: it is refused with a message.
"""

from __future__ import annotations

import numpy as np
import torch


class ResultTypeError(AssertionError):
    """The student's function returned something that is not a number, array or tensor."""


def describe(value: object) -> str:
    """A short description of a value's type for messages, e.g. ``torch.Tensor of shape (3,)``."""
    if isinstance(value, torch.Tensor):
        return f"torch.Tensor of shape {tuple(torch.Tensor.size(value))} ({value.dtype})"
    if isinstance(value, np.ndarray):
        return f"numpy array of shape {value.shape} ({value.dtype})"
    return type(value).__name__


def to_array(value: object, *, what: str) -> np.ndarray:
    """``value`` as a float64 NumPy array; refuse anything that is not a tensor, array or number."""
    if isinstance(value, torch.Tensor):
        plain = torch.Tensor.to(torch.Tensor.detach(value), "cpu", torch.float64)
        return np.array(torch.Tensor.numpy(plain), dtype=np.float64, copy=True)
    if isinstance(value, (np.ndarray, np.generic)) and np.issubdtype(np.asarray(value).dtype, np.number):
        return np.array(value, dtype=np.float64)
    if type(value) in (int, float, bool):
        return np.array(float(value), dtype=np.float64)
    if isinstance(value, (list, tuple)) and value:
        return np.stack([to_array(item, what=what) for item in value])
    raise ResultTypeError(
        f"{what} returned {describe(value)}; expected a number, a NumPy array or a torch tensor"
    )


def to_scalar(value: object, *, what: str) -> float:
    """``value`` as a Python float; it must hold exactly one number (0-d tensor, NumPy scalar, float)."""
    array = to_array(value, what=what)
    if array.size != 1:
        raise ResultTypeError(
            f"{what} returned {describe(value)} with {array.size} values; expected a single number"
        )
    return float(array.reshape(()))
