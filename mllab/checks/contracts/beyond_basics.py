"""The contracts of `beyond_basics`' graded functions (see mllab/checks/contracts/__init__.py)."""

from __future__ import annotations

from mllab.checks.contracts import ARRAY, FLOAT, TENSOR, Arg, Contract, Convention

FLOATS = ("float32", "float64")

CONTRACTS = (
    Contract(
        "psnr_db", "psnr_own", "The PSNR of img2 against the reference img1, in dB (one MSE over all elements).",
        (Arg("img1", (TENSOR, ARRAY), "a torch tensor or NumPy array of any shape, float32 or float64, values in "
             "[0, data_range]", dtypes=FLOATS, low=0.0),
         Arg("img2", (TENSOR, ARRAY), "the same kind of tensor or array, of the same shape as img1",
             dtypes=FLOATS, low=0.0, same_shape_as="img1"),
         Arg("data_range", (FLOAT,), "a positive number: the largest possible pixel value (1.0 or 255.0)",
             low=1e-12)),
        "a single number (Python float, NumPy scalar or 0-d tensor)",
        (Convention("two identical images: return inf (their MSE is 0)", "identical images"),)),
)
