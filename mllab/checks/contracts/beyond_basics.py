"""The contracts of `beyond_basics`' graded functions (see mllab/checks/contracts/__init__.py)."""

from __future__ import annotations

from mllab.checks.contracts import ARRAY, CALLABLE, FLOAT, INT, MODULE, STR, TENSOR, Arg, Contract, Convention

FLOATS = ("float32", "float64")
NUMBER = "a single number (Python float, NumPy scalar or 0-d tensor)"
EMD_MAX_POINTS = 100  # an exact matching (scipy.optimize.linear_sum_assignment) takes < 1 ms there
GAUSSIAN_NLL_EPS = 1e-6  # torch.nn.GaussianNLLLoss's default eps: it clamps smaller variances
NOT_DIVIDING = Convention("steps that do not divide N: at step i remove k = ⌊i·N / steps⌋ samples (rounded down)",
                          "steps does not divide N")


def _curve_args(summary_of_steps: str) -> tuple[Arg, ...]:
    return (Arg("errors", (TENSOR,), "a 1-D torch tensor of N ≥ 100 errors, float32 or float64, values ≥ 0",
                ndim=(1,), dtypes=FLOATS, low=0.0),
            Arg("uncertainty", (TENSOR,), "a 1-D tensor of the same length and dtype: the uncertainty of each "
                "sample; its values are all different (no ties)", ndim=(1,), dtypes=FLOATS, same_shape_as="errors"),
            Arg("steps", (INT,), summary_of_steps, low=2, high=100, optional=True))


CONTRACTS = (
    Contract(
        "psnr_db", "psnr_own", "The PSNR of img2 against the reference img1, in dB (one MSE over all elements).",
        (Arg("img1", (TENSOR, ARRAY), "a torch tensor or NumPy array of any shape, float32 or float64, values in "
             "[0, data_range]", dtypes=FLOATS, low=0.0),
         Arg("img2", (TENSOR, ARRAY), "the same kind of tensor or array, of the same shape as img1",
             dtypes=FLOATS, low=0.0, same_shape_as="img1"),
         Arg("data_range", (FLOAT,), "a positive number: the largest possible pixel value (1.0 or 255.0)",
             low=1e-12)),
        NUMBER,
        (Convention("two identical images: return inf (their MSE is 0)", "identical images"),)),
    Contract(
        "box_iou", "box_iou_own", "The IoU of every box of boxes1 with every box of boxes2.",
        (Arg("boxes1", (TENSOR,), "a torch tensor of shape (N, 4), float32 or float64: N ≥ 1 boxes (x1, y1, x2, "
             "y2) in continuous coordinates with x2 > x1 and y2 > y1", ndim=(2,), dtypes=FLOATS),
         Arg("boxes2", (TENSOR,), "a tensor of shape (M, 4) of the same dtype, boxes as in boxes1", ndim=(2,),
             dtypes=FLOATS)),
        "an N×M tensor (or NumPy array): row i, column j is IoU(boxes1[i], boxes2[j])",
        (Convention("disjoint boxes (no common point): IoU 0, never negative", "disjoint boxes"),
         Convention("boxes touching along an edge or at a corner overlap in an area of 0: IoU 0",
                    "boxes touching"))),
    Contract(
        "fbeta", "fbeta_own", "The binary F-beta score of probabilities thresholded at 0.5.",
        (Arg("preds", (TENSOR,), "a 1-D torch tensor of probabilities in [0, 1], float32 or float64", ndim=(1,),
             dtypes=FLOATS, low=0.0, high=1.0),
         Arg("target", (TENSOR,), "a 1-D int64 tensor of 0s and 1s, as long as preds", ndim=(1,),
             dtypes=("int64",), low=0, high=1, same_shape_as="preds"),
         Arg("beta", (FLOAT,), "a positive number (0.5, 1.0, 2.0, ...)", low=1e-12)),
        NUMBER,
        (Convention("a probability of exactly 0.5 is negative: a sample is predicted positive only when p > 0.5",
                    "exactly 0.5"),
         Convention("no true positive (no sample is both predicted positive and 1 in target, e.g. nothing "
                    "predicted positive, or no 1 in target): return 0, not nan", "no true positive"))),
    Contract(
        "fft_loss", "fft_loss_own", "base(pred, target) plus base on the real and on the imaginary parts of the "
        "FFTs over time.",
        (Arg("pred", (TENSOR,), "a 3-D torch tensor (batch, length, features), float32 or float64", ndim=(3,),
             dtypes=FLOATS),
         Arg("target", (TENSOR,), "a tensor of the same shape and dtype as pred", ndim=(3,), dtypes=FLOATS,
             same_shape_as="pred"),
         Arg("base", (STR,), '"l1" (mean absolute difference, the default) or "l2" (mean squared difference)',
             choices=("l1", "l2"), optional=True)),
        NUMBER),
    Contract(
        "chamfer_distance", "chamfer_own", "The Chamfer distance: the sum of the two directional means of squared "
        "nearest-neighbour distances.",
        (Arg("a", (TENSOR,), "a torch tensor of shape (N, 3), N ≥ 1 points, float32 or float64", ndim=(2,),
             dtypes=FLOATS),
         Arg("b", (TENSOR,), "a tensor of shape (M, 3), M ≥ 1 points (M may differ from N), of a's dtype",
             ndim=(2,), dtypes=FLOATS)),
        NUMBER),
    Contract(
        "earth_movers_distance", "emd_own", "The mean Euclidean distance of the best one-to-one matching of a's "
        "points to b's.",
        (Arg("a", (TENSOR,), "a torch tensor of shape (N, 3), 1 ≤ N ≤ 100 points, float32 or float64", ndim=(2,),
             dtypes=FLOATS, max_rows=EMD_MAX_POINTS),
         Arg("b", (TENSOR,), "a tensor of the same shape (N, 3) and dtype", ndim=(2,), dtypes=FLOATS,
             same_shape_as="a", max_rows=EMD_MAX_POINTS)),
        NUMBER),
    Contract(
        "gaussian_nll", "gaussian_nll_own", "The full Gaussian negative log-likelihood, a mean over all elements.",
        (Arg("mu", (TENSOR,), "a torch tensor of any shape with at least one element, float32 or float64",
             dtypes=FLOATS),
         Arg("var", (TENSOR,), "a tensor of the same shape and dtype: the variances σ², all ≥ 1e-6 (torch's "
             "GaussianNLLLoss clamps smaller ones to its eps = 1e-6; none is smaller here, so clamping at 1e-6 or "
             "not gives the same result)", dtypes=FLOATS, low=GAUSSIAN_NLL_EPS, same_shape_as="mu"),
         Arg("target", (TENSOR,), "a tensor of the same shape and dtype", dtypes=FLOATS, same_shape_as="mu")),
        NUMBER),
    Contract(
        "eikonal_loss", "eikonal_own", "The mean over the points of (‖∇f(x)‖ − 1)², differentiable with respect to "
        "sdf's parameters.",
        (Arg("sdf", (CALLABLE, MODULE), "a function or torch.nn.Module mapping points of shape (N, 3) to values of "
             "shape (N,) or (N, 1), in the points' dtype"),
         Arg("points", (TENSOR,), "a torch tensor of shape (N, 3), float32 or float64; it need not require grad",
             ndim=(2,), dtypes=FLOATS)),
        "a 0-d torch tensor that keeps the autograd graph (so loss.backward() reaches sdf's parameters); "
        "it is always called with gradients enabled, never under torch.no_grad()"),
    Contract(
        "sparsification_error_curve", "sparsification_own", "The sparsification error curve of an uncertainty "
        "estimate, at the fractions 0, 1/steps, ..., (steps − 1)/steps.",
        _curve_args("an int ≥ 2, at most N: the number of fractions (default 20)"),
        "a tuple (fractions, curve) of two 1-D tensors (or NumPy arrays) of length steps: fractions = "
        "torch.arange(steps, dtype=torch.float64) / steps, curve = uncertainty curve − oracle curve",
        (NOT_DIVIDING,)),
    Contract(
        "ause", "sparsification_own", "The area under the sparsification error curve: "
        "torch.trapezoid(curve, fractions).",
        _curve_args("an int ≥ 2, at most N: the number of fractions of the curve (default 20)"),
        NUMBER,
        (NOT_DIVIDING,)),
)
