"""The contracts of `loss_and_metric`'s graded functions (see mllab/checks/contracts/__init__.py).

Each states exactly what the hidden checks in mllab/checks/loss_and_metric.py feed the function.
"""

from __future__ import annotations

from mllab.checks.contracts import ARRAY, FLOAT, INT, STR, TENSOR, Arg, Contract, Convention

FLOATS = ("float32", "float64")
MASK_DTYPES = ("uint8", "int64")

LARGE_LOGITS = "logits × 100 and × 1000"  # the label of the cross-entropy checks' stability cases
NEVER_PREDICTED = "a class that is never predicted"
ON_THE_THRESHOLD = "exactly equal to a threshold"
ANY_ORDER = "thresholds in no particular order"
NO_PET = "a prediction with no pet at all"


def _regression(name: str, grade_id: str, summary: str) -> Contract:
    return Contract(
        name, grade_id, summary,
        (Arg("input", (TENSOR,), "a torch tensor of any shape, float32 or float64", dtypes=FLOATS),
         Arg("target", (TENSOR,), "a torch tensor of the same shape and dtype as input", dtypes=FLOATS,
             same_shape_as="input")),
        "a single number (Python float or 0-d tensor)")


def _cross_entropy(name: str, grade_id: str, summary: str, conventions=()) -> Contract:
    return Contract(
        name, grade_id, summary,
        (Arg("input", (TENSOR,), "logits, a torch tensor of shape (N, C), float32 or float64, raw scores of "
             "any size (N ≥ 1, C ≥ 2)", ndim=(2,), dtypes=FLOATS),
         Arg("target", (TENSOR,), "class indices, an int64 torch tensor of shape (N,), values in [0, C)",
             ndim=(1,), dtypes=("int64",), low=0)),
        "a single number (Python float or 0-d tensor): the mean over the N samples", tuple(conventions))


def _binary_cross_entropy(name: str, grade_id: str, summary: str, input_text: str, **input_range) -> Contract:
    return Contract(
        name, grade_id, summary,
        (Arg("input", (TENSOR,), input_text, dtypes=FLOATS, **input_range),
         Arg("target", (TENSOR,), "targets in [0, 1], a torch tensor of the same shape and dtype as input",
             dtypes=FLOATS, low=0.0, high=1.0, same_shape_as="input")),
        "a single number (Python float or 0-d tensor): the mean over all elements")


def _cosine(name: str, grade_id: str, summary: str) -> Contract:
    return Contract(
        name, grade_id, summary,
        (Arg("preds", (TENSOR,), "a torch tensor of shape (N, D): N row vectors, float32 or float64, no row "
             "all zeros", ndim=(2,), dtypes=FLOATS),
         Arg("target", (TENSOR,), "a torch tensor of the same shape and dtype as preds, no row all zeros",
             ndim=(2,), dtypes=FLOATS, same_shape_as="preds")),
        "a torch tensor or NumPy array of shape (N,): the similarity of each pair of rows (also for N = 1)")


def _accuracy(name: str, grade_id: str, summary: str, conventions=()) -> Contract:
    return Contract(
        name, grade_id, summary,
        (Arg("preds", (TENSOR,), "predicted class indices, an int64 torch tensor of shape (N,), values in "
             "[0, num_classes)", ndim=(1,), dtypes=("int64",), low=0),
         Arg("target", (TENSOR,), "true class indices, an int64 torch tensor of shape (N,), values in "
             "[0, num_classes); every class occurs in target at least once", ndim=(1,), dtypes=("int64",),
             low=0, same_shape_as="preds"),
         Arg("num_classes", (INT,), "the number of classes C (an int ≥ 2)", low=2),
         Arg("average", (STR,), '"micro", "macro" or "none"', choices=("micro", "macro", "none"), optional=True)),
        'for "micro" and "macro" a single number (Python float or 0-d tensor); for "none" a torch tensor or NumPy '
        "array of shape (C,), the accuracy of each class", tuple(conventions))


def _roc(name: str, grade_id: str, summary: str, conventions) -> Contract:
    return Contract(
        name, grade_id, summary,
        (Arg("preds", (TENSOR,), "scores, a float32 torch tensor of shape (N,), values in [0, 1]", ndim=(1,),
             dtypes=("float32",), low=0.0, high=1.0),
         Arg("target", (TENSOR,), "labels, an int64 torch tensor of shape (N,), values 0 or 1, both present",
             ndim=(1,), dtypes=("int64",), low=0, high=1, same_shape_as="preds"),
         Arg("thresholds", (TENSOR,), "a float32 torch tensor of shape (T,), values in [0, 1], in any order",
             ndim=(1,), dtypes=("float32",), low=0.0, high=1.0)),
        "the pair (fpr, tpr), each with T values (tensors, arrays or lists), one per threshold in the order "
        "of thresholds; a score at or above a threshold counts as positive", tuple(conventions))


ORDER = Convention("thresholds in any order (high to low, low to high or unsorted): the rates come in the order "
                   "the thresholds are given", ANY_ORDER)


def _masks(name: str, grade_id: str, summary: str, conventions=(), ignore_index: bool = True) -> Contract:
    args = (Arg("pred", (ARRAY, TENSOR), "a 2-D mask, a NumPy uint8 array or a torch uint8 or int64 tensor, "
                "values 1 (pet) and 2 (background)", ndim=(2,), dtypes=MASK_DTYPES, low=1, high=2),
            Arg("gt", (ARRAY, TENSOR), "the ground-truth mask, of the same kind and shape as pred, with at least "
                "one pet pixel", ndim=(2,), dtypes=MASK_DTYPES, low=1, high=2, same_shape_as="pred"))
    if ignore_index:
        args += (Arg("ignore_index", (INT,), "the background label (2): that class is left out of the score, its "
                     "pixels still count (unlike torch's ignore_index, which drops the pixels whose target has that "
                     "label)", choices=(2,), optional=True),)
    return Contract(name, grade_id, summary, args,
                    "a single number (Python float, NumPy scalar or 0-d tensor) in [0, 1]", tuple(conventions))


CONTRACTS = (
    _regression("mae_loss", "mse_mae_own", "The mean absolute error of input against target, over all elements."),
    _regression("mse_loss", "mse_mae_own", "The mean squared error of input against target, over all elements."),
    _regression("mae_loss_lib", "mse_mae_lib",
                "The mean absolute error, computed with torch.nn.L1Loss (or torch.nn.functional.l1_loss)."),
    _regression("mse_loss_lib", "mse_mae_lib",
                "The mean squared error, computed with torch.nn.MSELoss (or torch.nn.functional.mse_loss)."),
    _cross_entropy(
        "cross_entropy", "ce_own", "The cross entropy of logits against class indices, averaged over the samples.",
        (Convention("large logits (multiplied by 100 or 1000): the loss stays finite and exact, so never "
                    "exponentiate the raw logits (use the LogSumExp trick)", LARGE_LOGITS),)),
    _cross_entropy("cross_entropy_lib", "ce_lib", "The cross entropy, computed with torch.nn.CrossEntropyLoss (or "
                   "torch.nn.functional.cross_entropy)."),
    _cross_entropy(
        "cross_entropy_logsoftmax_nll", "ce_lib",
        "The cross entropy as a LogSoftmax over the classes followed by NLLLoss (torch.nn's modules or their "
        "functional forms log_softmax and nll_loss).",
        (Convention("large logits (multiplied by 100 or 1000): the loss stays finite and exact (a log of a "
                    "softmax is not: the softmax underflows to 0)", LARGE_LOGITS),)),
    _binary_cross_entropy(
        "binary_cross_entropy", "bce_optional", "Binary cross entropy of probabilities, averaged over all elements.",
        "probabilities, a float64 torch tensor of any shape, values in [0.01, 0.99]", low=0.01, high=0.99),
    _binary_cross_entropy(
        "binary_cross_entropy_with_logits", "bce_optional",
        "Binary cross entropy of logits (the sigmoid applied inside), averaged over all elements.",
        "logits, a float64 torch tensor of any shape, values of any size (also × 100)"),
    _cosine("cosine_similarity", "cosine_own", "The cosine similarity of each row of preds with the same row of target."),
    _cosine("cosine_similarity_lib", "cosine_lib",
            "The row-wise cosine similarity, computed with torchmetrics.CosineSimilarity(reduction='none')."),
    _accuracy("accuracy", "accuracy_own", "The accuracy of predicted class indices: micro, macro or per class.",
              (Convention("a class that is never predicted: its accuracy is 0, and it still counts in the macro "
                          "average", NEVER_PREDICTED),)),
    _accuracy("accuracy_lib", "accuracy_lib",
              "The accuracy, computed with torchmetrics.classification.MulticlassAccuracy."),
    _roc("roc_curve_points", "roc_own", "The false and true positive rates of scores at each threshold.",
         (Convention("a score exactly equal to a threshold counts as positive (score >= threshold)",
                     ON_THE_THRESHOLD), ORDER)),
    _roc("roc_curve_lib", "roc_lib", "The false and true positive rates at each threshold, computed with "
         "torchmetrics.classification.BinaryROC.", (ORDER,)),
    _masks("dice_", "dice_own", "The Dice score of the pet region (label 1) of pred against gt.",
           (Convention("a prediction with no pet pixel at all: Dice 0 (not nan)", NO_PET),)),
    _masks("dice_lib", "dice_lib", "The Dice score of the pet region (label 1), computed with "
           "torchmetrics.segmentation.DiceScore; no ignore_index argument: take the pet class from its per-class "
           "result.", ignore_index=False),
    _masks("iou_", "iou_optional", "The IoU (Jaccard index) of the pet region (label 1) of pred against gt."),
    Contract(
        "SSIM_", "ssim_own", "The mean SSIM of two images (11×11 Gaussian window, σ = 1.5, L = 1).",
        (Arg("img1", (ARRAY,), "a float64 NumPy array of shape H×W or H×W×3 (H, W ≥ 32), values in [0, 1]",
             ndim=(2, 3), dtypes=("float64",), low=0.0, high=1.0),
         Arg("img2", (ARRAY,), "a float64 NumPy array of the same shape as img1, values in [0, 1]", ndim=(2, 3),
             dtypes=("float64",), low=0.0, high=1.0, same_shape_as="img1")),
        "a single number (Python float, NumPy scalar or 0-d tensor): the mean over all windows and channels. "
        "Any standard border rule is accepted: reflect (cv2.filter2D's default), mirror, replicate, zero padding, "
        "or keeping only the windows that fit (scikit-image)"),
    Contract(
        "np_whc_to_tensor_bcwh", "ssim_lib", "An H×W×C NumPy image as a 1×C×H×W torch tensor (the session's "
        "name calls these layouts WHC and BCWH).",
        (Arg("img_np_whc", (ARRAY,), "a NumPy array of shape H×W×C, float32 or float64, values in [0, 1]",
             ndim=(3,), dtypes=FLOATS, low=0.0, high=1.0),),
        "a floating-point torch tensor of shape 1×C×H×W with the same pixel values (the axes permuted, not "
        "reshaped); float32 or float64: keeping the input's dtype and converting to float32 are both right"),
    Contract(
        "ssim_lib", "ssim_lib", "The SSIM of two image batches, computed with torchmetrics' "
        "StructuralSimilarityIndexMeasure with a data range of 1.0.",
        (Arg("img1", (TENSOR,), "a torch tensor of shape 1×C×H×W, float32 or float64, values in [0, 1]", ndim=(4,),
             dtypes=FLOATS, low=0.0, high=1.0),
         Arg("img2", (TENSOR,), "a torch tensor of the same shape and dtype as img1, values in [0, 1]", ndim=(4,),
             dtypes=FLOATS, low=0.0, high=1.0, same_shape_as="img1")),
        "a single number (Python float or 0-d tensor)"),
    Contract(
        "psnr_", "psnr_optional", "The PSNR of img2 against img1 in dB: 10·log10(data_range² / MSE).",
        (Arg("img1", (ARRAY, TENSOR), "a float64 NumPy array or torch tensor of shape H×W or H×W×3, values in "
             "[0, 1]", ndim=(2, 3), dtypes=("float64",), low=0.0, high=1.0),
         Arg("img2", (ARRAY, TENSOR), "the same kind of array or tensor, of the same shape, not equal to img1",
             ndim=(2, 3), dtypes=("float64",), low=0.0, high=1.0, same_shape_as="img1"),
         Arg("data_range", (FLOAT,), "the largest possible pixel value (1.0)", choices=(1.0,), optional=True)),
        "a single number (Python float, NumPy scalar or 0-d tensor)"),
)
