"""The contracts of `custom_losses`' graded functions and modules (see mllab/checks/contracts/__init__.py).

Decisions where the checks used to feed more than the notebook said:

* ``rmse``: the notebook says 1-D tensors of equal length; the check also fed 2-D and 3-D tensors.
  Narrowed: the check now feeds 1-D tensors only (the regression table is 1-D).
* ``weighted_bce_with_logits``: the notebook said nothing about shapes; the check feeds 1-D to 3-D
  logits and a ``pos_weight`` that is a 0-d tensor or one weight per class (the last dimension).
  Widened: the notebook and this contract now say so (as ``BCEWithLogitsLoss`` broadcasts it).
"""

from __future__ import annotations

from mllab.checks.contracts import FLOAT, INT, TENSOR, Arg, Contract, Convention

FLOATS = ("float32", "float64")
LABELS = ("int64",)

ZERO_PROBABILITY = Convention(
    "a probability of exactly 0 for a class that is not the true one is allowed: the result stays finite "
    "(its term 0·log 0 counts as 0, no nan)", "exactly 0 for classes that are not the true one")
ONE_NUMBER = "a single number (Python float, NumPy scalar or 0-d tensor)"


def _probabilities(name: str, text: str = "") -> Arg:
    return Arg(name, (TENSOR,), "a float32 or float64 tensor of shape (N, C), each row a probability "
               f"distribution (entries in [0, 1], summing to 1){text}", ndim=(2,), dtypes=FLOATS, low=0.0, high=1.0)


def _labels(name: str) -> Arg:
    return Arg(name, (TENSOR,), "an int64 tensor of shape (N,): the true class of each row, in 0 … C−1",
               ndim=(1,), dtypes=LABELS, low=0)


def _regression(name: str, summary: str, target_text: str) -> Contract:
    return Contract(
        name, "regression_own", summary,
        (Arg("pred", (TENSOR,), "a 1-D float32 or float64 tensor: the predictions", ndim=(1,), dtypes=FLOATS),
         Arg("target", (TENSOR,), f"a 1-D tensor of the same length and dtype: the true values{target_text}",
             ndim=(1,), dtypes=FLOATS, same_shape_as="pred")),
        ONE_NUMBER)


def _mask_module(name: str, grade_id: str, summary: str, conventions: tuple[Convention, ...] = ()) -> Contract:
    return Contract(
        name, grade_id, summary,
        (Arg("pred", (TENSOR,), "a float32 or float64 tensor of any shape (e.g. (N,), (B, C, H, W) or (B, C, D, H, W)): "
             "probabilities in [0, 1], or with from_logits=True logits (any real numbers)", dtypes=FLOATS),
         Arg("target", (TENSOR,), "a tensor of the same shape and dtype as pred, every entry 0 or 1",
             dtypes=FLOATS, low=0.0, high=1.0, same_shape_as="pred")),
        "a 0-d tensor, differentiable: loss.backward() gives the gradient with respect to pred "
        "(sums run over all elements of the batch together)",
        conventions, kind="module")


CONTRACTS = (
    _regression("rmse", "The root mean squared error sqrt(mean((pred − target)²)), with torch math only.", ""),
    _regression("r2_score", "The coefficient of determination R² = 1 − Σ(target − pred)² / Σ(target − mean(target))², "
                "exactly this formula (also near a perfect fit), with torch math only.", " (not all equal)"),
    Contract(
        "nll_from_probs", "nll_own", "The negative log-likelihood −mean over the N rows of log probs[n, target[n]].",
        (_probabilities("probs"), _labels("target")),
        ONE_NUMBER, (ZERO_PROBABILITY,)),
    Contract(
        "categorical_cross_entropy", "cce_own",
        "The categorical cross entropy −mean over the N rows of Σ_c y·log p, with torch math only.",
        (Arg("y_true_onehot", (TENSOR,), "a tensor of shape (N, C), one-hot (a single 1 per row, else 0), int64 or "
             "of the same float dtype as y_pred_probs", ndim=(2,), dtypes=("int64", *FLOATS), low=0, high=1,
             same_shape_as="y_pred_probs"),
         _probabilities("y_pred_probs")),
        ONE_NUMBER + "; clipping the probabilities into [eps, 1 − eps] with eps ≤ 1e-7 (as Keras) is accepted",
        (ZERO_PROBABILITY,)),
    Contract(
        "sparse_categorical_cross_entropy", "cce_own",
        "The sparse categorical cross entropy −mean over the N rows of log p[n, y_true[n]], with torch math only.",
        (_labels("y_true"), _probabilities("y_pred_probs")),
        ONE_NUMBER + "; clipping the probabilities into [eps, 1 − eps] with eps ≤ 1e-7 (as Keras) is accepted",
        (ZERO_PROBABILITY,)),
    Contract(
        "weighted_bce_with_logits", "weighted_bce",
        "The binary cross entropy of logits with a weight for the positive term, equal to "
        "nn.BCEWithLogitsLoss(pos_weight=pos_weight)(logits, target).",
        (Arg("logits", (TENSOR,), "a float32 or float64 tensor of any shape with 1 to 3 dimensions (e.g. (N,) or "
             "(N, C)): raw scores, any real numbers", ndim=(1, 2, 3), dtypes=FLOATS),
         Arg("target", (TENSOR,), "a tensor of the same shape and dtype as logits, every entry 0 or 1",
             dtypes=FLOATS, low=0.0, high=1.0, same_shape_as="logits"),
         Arg("pos_weight", (TENSOR,), "a positive tensor of the same dtype: a 0-d tensor (one weight for all), or a "
             "1-D tensor with one weight per class that applies along the LAST dimension of logits (its length is "
             "that dimension's size, or 1), broadcast as in BCEWithLogitsLoss", ndim=(0, 1), dtypes=FLOATS,
             low=1e-12)),
        "a single number: the mean over all elements",
        (Convention("logits as large as ±100: the result stays finite (write log σ(x) with logsigmoid, not "
                    "log(sigmoid(x)))", "logits of ±100"),)),
    Contract(
        "kl_divergence", "kl_own", "The KL divergence KL(p‖q) = Σ p·log(p/q) of q from the true distribution p.",
        (Arg("p", (TENSOR,), "a float32 or float64 tensor, 1-D (one distribution) or 2-D (a batch, one distribution "
             "per row); entries in [0, 1], each distribution summing to 1", ndim=(1, 2), dtypes=FLOATS, low=0.0,
             high=1.0),
         Arg("q", (TENSOR,), "a tensor of the same shape and dtype as p, each distribution summing to 1, every "
             "entry > 0", ndim=(1, 2), dtypes=FLOATS, low=1e-30, high=1.0, same_shape_as="p")),
        "a single number: the full sum for 1-D inputs, the mean over the rows of the per-row sums for 2-D "
        "inputs (KLDivLoss(reduction='batchmean')(q.log(), p))",
        (Convention("p may contain zeros: 0·log 0 counts as 0 (the result stays finite)", "p with zero entries"),)),
    Contract(
        "batch_dice_loss", "batch_dice_own",
        "The batched Dice loss: one Dice (2·Σpt + smooth) / (Σp + Σt + smooth) per sample, summed over every "
        "dimension but the batch dimension, and the mean of 1 − Dice over the batch; torch math only.",
        (Arg("preds", (TENSOR,), "a float32 or float64 tensor of shape (B, C, H, W) or (B, C, D, H, W): 0/1 masks or "
             "probabilities in [0, 1]", ndim=(4, 5), dtypes=FLOATS, low=0.0, high=1.0),
         Arg("targets", (TENSOR,), "a tensor of the same shape and dtype as preds, every entry 0 or 1",
             ndim=(4, 5), dtypes=FLOATS, low=0.0, high=1.0, same_shape_as="preds"),
         Arg("smooth", (FLOAT,), "a number from 1e-8 to 1 (default 1e-6), added to numerator and denominator",
             low=1e-8, high=1.0, optional=True)),
        ONE_NUMBER,
        (Convention("a sample whose target is empty and which is predicted empty has Dice 1, i.e. loss 0 "
                    "(smooth keeps 0/0 away)", "a perfect prediction with an empty sample"),)),
    _mask_module("DiceLoss", "dice_loss_own",
                 "DiceLoss(from_logits=False): the soft Dice loss 1 − (2·TP + 1) / (Σp + Σt + 1), global over all "
                 "elements; with from_logits=True torch.sigmoid turns pred into probabilities first.",
                 (Convention("an empty mask predicted empty (pred and target all 0): loss 0", "an empty mask predicted empty"),)),
    _mask_module("TverskyLoss", "tversky_own",
                 "TverskyLoss(alpha=0.5, beta=0.5, from_logits=False): 1 − (TP + 1) / (TP + alpha·FN + beta·FP + 1); "
                 "alpha weighs the false negatives, beta the false positives."),
    _mask_module("FocalTverskyLoss", "focal_tversky_own",
                 "FocalTverskyLoss(alpha=0.5, beta=0.5, gamma=1.0, from_logits=False): (1 − TI) ** gamma with the "
                 "Tversky index TI of TverskyLoss (alpha for FN, beta for FP)."),
    _mask_module("DiceBCELoss", "dice_bce_own",
                 "DiceBCELoss(bce_weight=0.5, from_logits=False): bce_weight·BCE + (1 − bce_weight)·Dice loss "
                 "(the BCE may come from torch.nn.functional.binary_cross_entropy)."),
    Contract(
        "classification_summary", "summary_lib",
        "Multiclass accuracy, F1, precision and recall (micro, macro and per class) and the confusion matrix, "
        "computed with torchmetrics; the predicted class is the most probable one.",
        (_probabilities("probs"),
         _labels("target"),
         Arg("num_classes", (INT,), "the number of classes C (an int ≥ 2; a class may be absent from target or "
             "never predicted; the macro average leaves out a class absent from both, as torchmetrics does)", low=2)),
        "a dict {'accuracy', 'f1', 'precision', 'recall': each a dict with 'micro', 'macro' (numbers) and 'none' "
        "(C values); 'confusion_matrix': C×C counts, rows = true classes, columns = predictions}"),
)
