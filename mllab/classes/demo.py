"""The bundled demo class: submissions made from the instructor notebook, so they never drift.

Each demo student starts from the release notebook and fills its solution cells with the
instructor's solutions, changed by a few textual patches that reproduce a typical mistake.
A patch that no longer applies (because the source changed) is an error, not a silent no-op.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass

import nbformat

from mllab.course.assignments import assignment as declaration
from mllab.course.paths import Course
from mllab.errors import PipelineError, UsageError

_SOLUTION_BLOCK = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)
DEMO_ANSWER = "I think this is about numerical stability and the shape of the data."


@dataclass(frozen=True)
class Patch:
    """Replace ``old`` by ``new`` (exactly one occurrence) in the solution of cell ``grade_id``."""

    grade_id: str
    old: str
    new: str

    def apply(self, text: str) -> str:
        return _apply(text, self)


@dataclass(frozen=True)
class Rewrite:
    """Replace the whole solution of cell ``grade_id`` (a solution written differently)."""

    grade_id: str
    source: str

    def apply(self, text: str) -> str:
        return self.source.strip("\n")


@dataclass(frozen=True)
class DemoStudent:
    """A demo student: which solutions they wrote, how they got them wrong, what that costs."""

    student_id: str
    description: str
    patches: tuple[Patch | Rewrite, ...] = ()
    loses: frozenset[str] = frozenset()  # grade cells that must score below full marks
    mistakes: frozenset[str] = frozenset()  # the ids of the named mistakes the patches plant (findings)
    blank: bool = False
    model_answers: bool = False  # write the instructor's answers (else a short demo answer)


NAIVE_SOFTMAX = """probs = torch.exp(input) / torch.exp(input).sum(dim=1, keepdim=True)
    return -torch.log(probs[torch.arange(len(target)), target]).mean()"""

FORBIDDEN_IMPORTS = "from torch.nn import functional as Fn\nimport torchmetrics as tm\n\n"

LOSS_AND_METRIC: tuple[DemoStudent, ...] = (
    DemoStudent("perfect", "the instructor's solutions: every point", model_answers=True),
    DemoStudent("blank", "the release handed in unchanged", blank=True),
    DemoStudent(
        "mse_sum_naive_softmax", "MSE sums instead of averaging; CE uses a naive softmax",
        patches=(
            Patch("mse_mae_own", "return ((input - target) ** 2).mean()", "return ((input - target) ** 2).sum()"),
            Patch("ce_own", """log_norm = torch.logsumexp(input, dim=1)
    true_logit = input.gather(1, target.long()[:, None]).squeeze(1)
    return (log_norm - true_logit).mean()""", NAIVE_SOFTMAX),
        ),
        loses=frozenset({"test_mse_own", "test_ce_stable"}),
        mistakes=frozenset({"mse.sum_not_mean", "cross_entropy.naive_softmax"}),
    ),
    DemoStudent(
        "macro_as_precision", "macro and per-class accuracy divide by the predicted counts",
        patches=(Patch("accuracy_own", "(preds[target == c] == c)", "(target[preds == c] == c)"),),
        loses=frozenset({"test_accuracy_own"}),
        mistakes=frozenset({"accuracy.precision_instead"}),
    ),
    DemoStudent(
        "roc_swapped_dice_iou", "ROC returns (tpr, fpr); Dice returns the IoU",
        patches=(
            Patch("roc_own", "return fpr, tpr", "return tpr, fpr"),
            Patch("dice_own", """total = pet_pred.sum() + pet_gt.sum()
    return 2 * intersect / total""", """union = (pet_pred | pet_gt).sum()
    return intersect / union"""),
        ),
        loses=frozenset({"test_roc_own", "test_dice_own"}),
        mistakes=frozenset({"roc.swapped_rates", "dice.iou_instead"}),
    ),
    DemoStudent(
        "ssim_added_reshape", "SSIM adds the numerator factors; the tensor conversion reshapes",
        patches=(
            Patch("ssim_own", "((2 * mu1 * mu2 + C1) * (2 * covar12 + C2))", "((2 * mu1 * mu2 + C1) + (2 * covar12 + C2))"),
            Patch("ssim_lib", "torch.from_numpy(np.ascontiguousarray(img_np_whc)).permute(2, 0, 1).unsqueeze(0)",
                  "torch.from_numpy(np.ascontiguousarray(img_np_whc)).reshape(1, img_np_whc.shape[2], "
                  "img_np_whc.shape[0], img_np_whc.shape[1])"),
        ),
        loses=frozenset({"test_ssim_own", "test_to_tensor"}),
        mistakes=frozenset({"ssim.added_factors", "tensor_layout.reshape_not_permute"}),
    ),
    DemoStudent(
        "cosine_wrong_axis_roc_strict", "cosine normalises the columns; ROC counts ties as negative",
        patches=(
            Patch("cosine_own", """dot = (preds * target).sum(dim=1)
    return dot / (preds.norm(dim=1) * target.norm(dim=1))""", """dot = (preds * target).sum(dim=0)
    return dot / (preds.norm(dim=0) * target.norm(dim=0))"""),
            Patch("roc_own", "preds[None, :] >= thresholds[:, None]", "preds[None, :] > thresholds[:, None]"),
        ),
        loses=frozenset({"test_cosine_own", "test_roc_own"}),
        mistakes=frozenset({"cosine.wrong_axis", "roc.strict_threshold"}),
    ),
    DemoStudent(
        "forbidden_calls", "own implementations that call torch.nn, torch.nn.functional and torchmetrics",
        patches=(
            Patch("mse_mae_own", "def mae_loss", FORBIDDEN_IMPORTS + "def mae_loss"),
            Patch("mse_mae_own", "return (input - target).abs().mean()", 'return getattr(torch.nn, "L1" + "Loss")()(input, target)'),
            Patch("mse_mae_own", "return ((input - target) ** 2).mean()", "return torch.nn.modules.loss.MSELoss()(input, target)"),
            Patch("ce_own", """log_norm = torch.logsumexp(input, dim=1)
    true_logit = input.gather(1, target.long()[:, None]).squeeze(1)
    return (log_norm - true_logit).mean()""", "return Fn.cross_entropy(input, target)"),
            Patch("cosine_own", """dot = (preds * target).sum(dim=1)
    return dot / (preds.norm(dim=1) * target.norm(dim=1))""", 'return tm.CosineSimilarity(reduction="none")(preds, target)'),
        ),
        loses=frozenset({"test_mae_own", "test_mse_own", "test_ce_own", "test_ce_stable", "test_cosine_own"}),
        mistakes=frozenset({"own.uses_library"}),
    ),
)

CUSTOM_LOSSES: tuple[DemoStudent, ...] = (
    DemoStudent("perfect", "the instructor's solutions: every point", model_answers=True),
    DemoStudent("blank", "the release handed in unchanged", blank=True),
    DemoStudent(
        "tversky_swapped_nll_on_probs", "alpha weighs the false positives; probabilities go straight into NLLLoss",
        patches=(
            Patch("tversky_own", "self.alpha * fn + self.beta * fp", "self.alpha * fp + self.beta * fn"),
            Patch("nll_own", """picked = probs[torch.arange(len(target)), target]
    return -torch.log(picked).mean()""", "return torch.nn.NLLLoss()(probs, target)"),
        ),
        # FocalTverskyLoss is built on TverskyLoss, so the swap costs in both cells
        loses=frozenset({"test_tversky_loss", "test_focal_tversky_loss", "test_nll_from_probs"}),
        mistakes=frozenset({"nll.probs_not_log", "tversky.alpha_beta_swapped", "focal_tversky.alpha_beta_swapped"}),
    ),
    DemoStudent(
        "dice_smooth_below_cce_nan", "Dice smoothing only in the denominator; 0 · log 0 gives nan",
        patches=(
            Patch("dice_loss_own", "return 1 - (2 * tp + 1) / (p.sum() + target.sum() + 1)",
                  "return 1 - 2 * tp / (p.sum() + target.sum() + 1)"),
            Patch("cce_own", "return -torch.xlogy(y, y_pred_probs).sum(dim=1).mean()",
                  "return -(y * torch.log(y_pred_probs)).sum(dim=1).mean()"),
        ),
        loses=frozenset({"test_dice_loss", "test_cce_own"}),
        mistakes=frozenset({"cross_entropy.log_of_zero_nan", "dice.smooth_denominator_only"}),
    ),
    DemoStudent(
        "weight_for_pos_weight_kl_swapped", "weight= where pos_weight= is meant; KL(q || p) instead of KL(p || q)",
        patches=(
            Patch("weighted_bce", """positive = pos_weight * target * torch.nn.functional.logsigmoid(logits)
    negative = (1 - target) * torch.nn.functional.logsigmoid(-logits)
    return -(positive + negative).mean()""", "return torch.nn.BCEWithLogitsLoss(weight=pos_weight)(logits, target)"),
            Patch("kl_own", "terms = torch.xlogy(p, p) - p * torch.log(q)", "terms = torch.xlogy(q, q) - q * torch.log(p)"),
        ),
        loses=frozenset({"test_weighted_bce", "test_kl"}),
        mistakes=frozenset({"weighted_bce.weight_for_pos_weight", "kl.direction_swapped"}),
    ),
    DemoStudent(
        "default_accuracy_global_dice", "torchmetrics' default (macro) accuracy as the overall one; one Dice for the whole batch",
        patches=(
            Patch("summary_lib", 'summary["confusion_matrix"] =',
                  'summary["accuracy"]["micro"] = tmc.multiclass_accuracy(probs, target, num_classes=num_classes)\n'
                  '    summary["confusion_matrix"] ='),
            Patch("batch_dice_own", "p, t = preds.flatten(1), targets.flatten(1)", "p, t = preds.reshape(1, -1), targets.reshape(1, -1)"),
        ),
        loses=frozenset({"test_classification_summary", "test_batch_dice_own"}),
        mistakes=frozenset({"batch_dice.global_dice", "accuracy.macro_as_micro"}),
    ),
    DemoStudent(
        "forbidden_calls", "own implementations that call torchmetrics and torch.nn losses",
        patches=(
            Patch("regression_own", "return torch.sqrt(((pred - target) ** 2).mean())",
                  "return torchmetrics.functional.mean_squared_error(pred, target, squared=False)"),
            Patch("cce_own", """picked = y_pred_probs[torch.arange(len(y_true)), y_true]
    return -torch.log(picked).mean()""", "return torch.nn.NLLLoss()(torch.log(y_pred_probs), y_true)"),
            Patch("dice_loss_own", "tp = (p * target).sum()", "tp = (p * target).sum()\n"
                  "        torch.nn.functional.l1_loss(p, target)  # a loss call, even unused, is not an own implementation"),
        ),
        loses=frozenset({"test_rmse_own", "test_sparse_cce_own", "test_dice_loss"}),
        mistakes=frozenset({"own.uses_library"}),
    ),
)

FFT_ON_TIME = """spectrum_pred = torch.fft.fft(pred, dim=1, norm="forward")
    spectrum_target = torch.fft.fft(target, dim=1, norm="forward")"""

BEYOND_BASICS: tuple[DemoStudent, ...] = (
    DemoStudent("perfect", "the instructor's solutions: every point", model_answers=True),
    DemoStudent("blank", "the release handed in unchanged", blank=True),
    DemoStudent(
        "one_sided_chamfer_psnr_ln", "Chamfer from a to b only; PSNR with the natural logarithm",
        patches=(
            Patch("chamfer_own", "return squared.min(dim=1).values.mean() + squared.min(dim=0).values.mean()",
                  "return squared.min(dim=1).values.mean()"),
            Patch("psnr_own", "torch.log10(", "torch.log("),
        ),
        loses=frozenset({"test_chamfer_own", "test_psnr_own"}),
        mistakes=frozenset({"chamfer.one_sided", "psnr.natural_log"}),
    ),
    DemoStudent(
        "fft_wrong_axis_nll_no_logvar", "the FFT over the features; Gaussian NLL without the log-variance",
        patches=(
            Patch("fft_loss_own", FFT_ON_TIME, FFT_ON_TIME.replace("dim=1", "dim=-1")),
            Patch("gaussian_nll_own", "(0.5 * (torch.log(var) + (target - mu) ** 2 / var))", "(0.5 * (target - mu) ** 2 / var)"),
        ),
        loses=frozenset({"test_fft_loss_own", "test_gaussian_nll_own"}),
        mistakes=frozenset({"fft.wrong_axis", "gaussian_nll.no_log_variance"}),
    ),
    DemoStudent(
        "nearest_emd_squared_eikonal", "EMD by nearest neighbours; the Eikonal term on the squared gradient norm",
        patches=(
            Patch("emd_own", """rows, columns = linear_sum_assignment(cost.numpy())
    return cost[rows, columns].mean()""", "return cost.min(dim=1).values.mean()"),
            Patch("eikonal_own", "gradient.norm(dim=-1) - 1", "gradient.norm(dim=-1) ** 2 - 1"),
        ),
        loses=frozenset({"test_emd_own", "test_eikonal_own"}),
        mistakes=frozenset({"emd.nearest_neighbour", "eikonal.squared_norm"}),
    ),
    DemoStudent(
        "iou_unclamped_fbeta_unsquared", "box overlaps not clamped at 0; beta where beta² belongs",
        patches=(
            Patch("box_iou_own", "size = (bottom_right - top_left).clamp(min=0)", "size = bottom_right - top_left"),
            Patch("fbeta_own", "return (1 + beta ** 2) * precision * recall / (beta ** 2 * precision + recall)",
                  "return (1 + beta) * precision * recall / (beta * precision + recall)"),
        ),
        loses=frozenset({"test_box_iou_own", "test_fbeta_own"}),
        mistakes=frozenset({"iou.unclamped_overlap", "fbeta.beta_not_squared"}),
    ),
    DemoStudent(
        "forbidden_calls", "own implementations that call torch.nn losses and torchmetrics",
        patches=(
            Patch("psnr_own", "mse = ((x - y) ** 2).mean()", "mse = torch.nn.functional.mse_loss(x, y)"),
            Patch("gaussian_nll_own", "return (0.5 * (torch.log(var) + (target - mu) ** 2 / var)).mean() + 0.5 * math.log(2 * math.pi)",
                  "return torch.nn.GaussianNLLLoss(full=True)(mu, target, var)"),
            Rewrite("fbeta_own", """
from torchmetrics.functional.classification import binary_fbeta_score

def fbeta(preds, target, beta):
    return binary_fbeta_score(preds, target, beta=beta)
"""),
        ),
        loses=frozenset({"test_psnr_own", "test_gaussian_nll_own", "test_fbeta_own"}),
        mistakes=frozenset({"own.uses_library"}),
    ),
)


def solution_text(source: str) -> str:
    """A source cell's text without the BEGIN/END SOLUTION marker lines."""
    return _SOLUTION_BLOCK.sub("", source)


def _apply(text: str, patch: Patch) -> str:
    if text.count(patch.old) != 1:
        raise PipelineError(
            f"demo patch for cell {patch.grade_id!r} no longer matches the instructor notebook: "
            f"expected exactly one {patch.old!r}; update mllab/classes/demo.py"
        )
    return text.replace(patch.old, patch.new)


def _solutions(source_nb, student: DemoStudent) -> dict[str, str]:
    solutions = {}
    for cell in source_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            text = solution_text(cell.source).strip("\n")
            code_or_model = cell.cell_type == "code" or student.model_answers
            solutions[meta["grade_id"]] = text if code_or_model else DEMO_ANSWER
    for patch in student.patches:
        if patch.grade_id not in solutions:
            raise PipelineError(f"demo change for unknown solution cell {patch.grade_id!r}")
        solutions[patch.grade_id] = patch.apply(solutions[patch.grade_id])
    return solutions


def submission(source_nb, release_nb, student: DemoStudent):
    """The notebook ``student`` hands in: the release with their solutions filled in."""
    handed_in = nbformat.from_dict(release_nb)
    if student.blank:
        return handed_in
    solutions = _solutions(source_nb, student)
    for cell in handed_in.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") in solutions:
            cell.source = solutions[meta["grade_id"]]
    return handed_in


def demo_class(course: Course, assignment: str) -> tuple[DemoStudent, ...]:
    """The demo students of ``assignment``: the tuple its table in course.toml names as ``demo``."""
    where = f"{course.root / 'course.toml'} [assignments.{assignment}] demo"
    named = declaration(course.root, assignment).demo
    if named is None:
        raise UsageError(f"assignment {assignment!r} has no demo class: name its students in {where} = "
                         "\"module:attribute\" (a tuple of DemoStudent)")
    module, _, attribute = named.partition(":")
    try:
        students = getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError) as error:
        raise UsageError(f"{where} = {named!r} cannot be loaded ({type(error).__name__}: {error}): "
                         "fix the module or attribute name") from None
    if not (isinstance(students, tuple) and students and all(isinstance(s, DemoStudent) for s in students)):
        raise UsageError(f"{where} = {named!r} is not a tuple of DemoStudent")
    return students


def write_demo_class(course: Course, assignment: str) -> list[str]:
    """Write every demo student's notebook into submitted/<student>/<assignment>/; return the ids."""
    return write_submissions(course, assignment, demo_class(course, assignment))


def write_submissions(course: Course, assignment: str, students: tuple[DemoStudent, ...]) -> list[str]:
    """Write each student's notebook (made from the source) into submitted/; return the ids."""
    source_nb = nbformat.read(course.source_notebook(assignment), as_version=4)
    release_nb = nbformat.read(course.release_notebook(assignment), as_version=4)
    for student in students:
        folder = course.submission_dir(student.student_id, assignment)
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(submission(source_nb, release_nb, student), folder / f"{assignment}.ipynb")
    return [student.student_id for student in students]
