"""The judge: every hidden check is decided again outside the student's kernel.

A test cell runs its hidden check in the student's kernel, where the student's code could have
patched torch, numpy, math, builtins or the grading helpers, skipped the cell, or rewritten it.
This preprocessor runs right after execution, in nbgrader's (or the worker's) own process. For
each test cell it finds the hidden check the cell's trusted source calls (the source comes from
the gradebook), runs that check again with the student's answers replayed from the transcript the
kernel displayed (see :mod:`mllab.grading.transcript`), and keeps the lower of the two scores. A
cell whose kernel score was higher than the judge's is rewritten with the judge's verdict and a
note saying that the notebook's own check was not trusted. Transcripts are then removed, so they
never reach the autograded notebook or the feedback.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import warnings
from dataclasses import dataclass

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import determine_grade

from mllab.autograde.timing import measure

CHECKS_PACKAGE = "mllab.checks"
TAMPERED = ("The notebook's own run of this check gave more points than the independent re-check outside "
            "your kernel. That happens when code in the notebook changes torch, numpy, math, builtins or the "
            "grading helpers, or skips or rewrites a test cell. Only the independent re-check counts.")


@dataclass(frozen=True)
class HiddenCall:
    """``module.function(<n student functions>, points=P)`` as a test cell's source calls it."""

    module: str
    function: str
    arity: int
    points: float

    @property
    def name(self) -> str:
        return f"{self.module}.{self.function}"


def _aliases(tree: ast.AST) -> dict[str, str]:
    """``from mllab.checks import x as hidden`` → {"hidden": "mllab.checks.x"}."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == CHECKS_PACKAGE:
            for alias in node.names:
                found[alias.asname or alias.name] = f"{CHECKS_PACKAGE}.{alias.name}"
    return found


def hidden_call(source: str) -> HiddenCall | None:
    """The graded hidden check a test cell's source calls, or None if it calls none."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    aliases = _aliases(tree)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id in aliases):
            points = [k.value for k in node.keywords if k.arg == "points" and isinstance(k.value, ast.Constant)]
            if points and isinstance(points[0].value, (int, float)):
                return HiddenCall(aliases[node.func.value.id], node.func.attr, len(node.args), float(points[0].value))
    return None


def transcript_of(cell: NotebookNode, check: str) -> list[dict] | None:
    """The calls the kernel recorded for ``check`` in this cell's outputs (None if there are none)."""
    from mllab.grading.transcript import MIME

    for output in cell.get("outputs", []):
        payload = output.get("data", {}).get(MIME) if output.get("output_type") == "display_data" else None
        if isinstance(payload, dict) and payload.get("check") == check and isinstance(payload.get("calls"), list):
            return payload["calls"]
    return None


@dataclass(frozen=True)
class Verdict:
    """The judge's score for one test cell, with what it printed or why it gave nothing."""

    points: float
    printed: str = ""
    failure: str = ""
    parts: tuple = ()  # the sub-checks' findings (mllab.grading.findings.PartFinding)

    def record(self, call: HiddenCall) -> dict:
        """What the autograded notebook's metadata keeps of this cell (see mllab.grading.findings)."""
        return {"check": call.name, "points": self.points, "max_points": call.points,
                "parts": [p.as_record() for p in self.parts], "failure": self.failure.split("\n")[0][:300]}


def rerun(call: HiddenCall, calls: list[dict] | None) -> Verdict:
    """Run the hidden check here, answering its calls to student functions from ``calls``."""
    from mllab.grading import findings, transcript

    if calls is None:
        return Verdict(0.0, failure="this check left no record in the notebook's run: the test cell did not run "
                                    "as written (was it skipped, rewritten or interrupted?)")
    check = getattr(importlib.import_module(call.module), call.function, None)
    if check is None or not hasattr(check, "__wrapped__"):
        return Verdict(0.0, failure=f"{call.name} is not a graded check")
    printed = io.StringIO()
    with (transcript.replaying(calls), findings.collecting() as parts, contextlib.redirect_stdout(printed),
          warnings.catch_warnings()):
        warnings.simplefilter("ignore")
        try:
            points = check(*[None] * call.arity, points=call.points)
        except AssertionError as failure:
            return Verdict(0.0, printed.getvalue(), str(failure), tuple(parts))
        except Exception as error:  # noqa: BLE001 - a record that breaks the check earns nothing
            return Verdict(0.0, printed.getvalue(), f"the recorded answers could not be checked ({error!r})",
                           tuple(parts))
    return Verdict(float(points), printed.getvalue(), parts=tuple(parts))


def _error(message: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename="AssertionError", evalue=message,
                        traceback=[f"AssertionError: {message}"])


def verdict_outputs(verdict: Verdict) -> list[NotebookNode]:
    """The outputs a cell gets when the judge overrules the kernel."""
    outputs = []
    if verdict.printed:
        outputs.append(NotebookNode(output_type="stream", name="stdout", text=verdict.printed))
    if verdict.points == 0:
        outputs.append(_error(f"{verdict.failure}\n\n{TAMPERED}".strip()))
    else:
        outputs.append(NotebookNode(output_type="stream", name="stdout", text=TAMPERED + "\n"))
        outputs.append(NotebookNode(output_type="execute_result", execution_count=None, metadata={},
                                    data={"text/plain": repr(verdict.points)}))
    return outputs


def _is_test_cell(cell: NotebookNode) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def strip_transcripts(cell: NotebookNode) -> None:
    from mllab.grading.transcript import MIME

    if cell.cell_type == "code":
        cell.outputs = [o for o in cell.outputs if MIME not in o.get("data", {})]


class JudgeTestCells(NbGraderPreprocessor):
    """Re-decide every hidden check outside the kernel; keep the lower score; drop the transcripts."""

    def preprocess(self, nb, resources):
        overruled, found = [], {}
        with measure("judge"):
            for cell in nb.cells:
                if _is_test_cell(cell) and self._judge(cell, found):
                    overruled.append(cell.metadata["nbgrader"]["grade_id"])
                strip_transcripts(cell)
        record = nb.metadata.setdefault("mllab", {})
        record["overruled_cells"] = overruled
        record["findings"] = found  # grade_id -> the judge's sub-checks and named mistakes
        return nb, resources

    def _judge(self, cell: NotebookNode, found: dict) -> bool:
        """Judge one test cell and keep its findings; True if the kernel's score was higher and the cell
        was rewritten."""
        call = hidden_call(cell.source)
        verdict = rerun(call, transcript_of(cell, call.name)) if call else None
        if verdict is not None:
            found[cell.metadata["nbgrader"]["grade_id"]] = verdict.record(call)
        try:
            kernel_points, _ = determine_grade(cell, self.log)
        except ValueError as error:  # e.g. a "partial credit" above the cell's points: nbgrader would crash
            cell.outputs = [_error(f"this test cell's result is not a valid score ({error})")]
            return True
        if verdict is None:
            return False
        if kernel_points is None or verdict.points >= kernel_points - 1e-9:
            return False
        self.log.warning("%s: the kernel's check gave %s points, the judge %s", cell.metadata.nbgrader["grade_id"],
                         kernel_points, verdict.points)
        cell.outputs = verdict_outputs(verdict)
        return True
