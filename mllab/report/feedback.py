"""Preprocessors for `nbgrader generate_feedback` (enabled in nbgrader_config.py).

* TaskSummary puts a table at the top of each feedback page: per task, the points earned and
  possible and a one-line reason for what was lost.
* HideHiddenTests (off unless `c.HideHiddenTests.enabled = True`) removes the hidden tests'
  source and the tracebacks that would quote grading code, keeping every message, so an
  assignment can be reused.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_markdown_cell
from traitlets import Bool

_HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[ \t]*\n?", re.S | re.M)
_TASK_HEADING = re.compile(r"^##\s+(.+?)\s*(?:—|-)\s*\d+\s+points", re.M)


@dataclass
class TaskResult:
    """What one task of the notebook earned."""

    title: str
    earned: float = 0.0
    possible: float = 0.0
    pending: int = 0
    reasons: list[str] = field(default_factory=list)
    grade_ids: list[str] = field(default_factory=list)  # the task's graded cells


def _grade(cell) -> dict | None:
    meta = cell.metadata.get("nbgrader", {})
    return meta if meta.get("grade") else None


def first_message(cell) -> str:
    """The first line that says why a test cell lost points (an error, or a ✗ line)."""
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            text = f"{output.evalue}".strip().splitlines()
            return (text[0] if text else output.ename).lstrip("✗ ").strip()
        if output.output_type == "stream":
            for line in output.text.splitlines():
                if line.startswith("✗"):
                    return line.lstrip("✗ ").strip()
    return ""


def _add(task: TaskResult, cell, meta: dict, pending: set[str]) -> None:
    score, points = meta.get("score"), float(meta.get("points") or 0)
    task.possible += points
    task.grade_ids.append(meta["grade_id"])
    if score is None or meta["grade_id"] in pending:
        task.pending += 1
        return
    task.earned += float(score)
    if float(score) < points and cell.cell_type == "code":
        reason = first_message(cell)
        if reason and reason not in task.reasons:
            task.reasons.append(reason)


def task_results(nb, pending: set[str] = frozenset()) -> list[TaskResult]:
    """Group the graded cells under the task heading they follow; ``pending`` await a grader."""
    tasks: list[TaskResult] = []
    for cell in nb.cells:
        heading = _TASK_HEADING.search(cell.source) if cell.cell_type == "markdown" else None
        if heading:
            tasks.append(TaskResult(heading.group(1)))
        meta = _grade(cell)
        if meta and tasks and float(meta.get("points") or 0) > 0:
            _add(tasks[-1], cell, meta, pending)
    return tasks


_CELL = 'style="padding: 4px 12px; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top"'


def _row(task: TaskResult) -> str:
    if not task.reasons and not task.pending and task.earned >= task.possible:
        note = "✓ full marks"
    else:
        pending = [f"{task.pending} written answer(s) still to be graded"] if task.pending else []
        note = "; ".join(task.reasons[:2] + pending) or "points lost in a written answer"
    cells = (task.title, f"{task.earned:g}&nbsp;/&nbsp;{task.possible:g}", html.escape(note))
    return "<tr>" + "".join(f"<td {_CELL}>{cell}</td>" for cell in cells) + "</tr>"


def summary_markdown(tasks: list[TaskResult]) -> str:
    """The table shown at the top of the feedback page (HTML inside a markdown cell)."""
    earned, possible = sum(t.earned for t in tasks), sum(t.possible for t in tasks)
    pending = sum(t.pending for t in tasks)
    waiting = f" ({pending} written answers still to be graded)" if pending else ""
    header = "".join(f"<th {_CELL}>{name}</th>" for name in ("task", "points", "what to look at"))
    rows = "\n".join(_row(task) for task in tasks)
    return (f"## Summary: {earned:g} of {possible:g} points{waiting}\n\n"
            f'<table style="border-collapse: collapse">\n<tr>{header}</tr>\n{rows}\n</table>\n\n'
            "Each test cell below shows its own score and the message of every failed check.")


def _awaiting_manual_grade(info: dict) -> set[str]:
    """The grade cells of this submission that still need a human grader (from the gradebook)."""
    if "db_url" not in info:
        return set()
    from nbgrader.api import Gradebook

    with Gradebook(info["db_url"]) as gradebook:
        notebook = gradebook.find_submission_notebook(info["notebook"], info["assignment"], info["student"])
        return {grade.name for grade in notebook.grades if grade.needs_manual_grade}


def lateness_note(info: dict) -> str:
    """The deadline, extension, how late and the points taken, when the assignment has a deadline."""
    if "db_url" not in info:
        return ""
    from nbgrader.api import Gradebook

    from mllab.course.scores import submission_lateness

    with Gradebook(info["db_url"]) as gradebook:
        late = submission_lateness(gradebook.find_submission(info["assignment"], info["student"]))
    return f"**Deadline.** {late.describe()}" if late else ""


class TaskSummary(Preprocessor):
    """Insert the per-task summary table (and the deadline note) as the first cells of the feedback."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {})
        tasks = task_results(nb, _awaiting_manual_grade(info))
        if tasks:
            nb.cells.insert(0, new_markdown_cell(summary_markdown(tasks)))
        note = lateness_note(info)
        if note:
            nb.cells.insert(0, new_markdown_cell(note))
        return nb, resources


def hidden_lines(nb) -> list[str]:
    """The lines of every hidden-test block in the notebook (long enough to be worth hiding)."""
    lines = []
    for cell in nb.cells:
        if cell.cell_type == "code" and _grade(cell):
            for block in _HIDDEN.findall(cell.source):
                lines += [line.strip() for line in block.splitlines()[1:-1] if len(line.strip()) >= 12]
    return sorted(set(lines), key=len, reverse=True)


def _redact(text, lines: list[str]):
    text = "".join(text) if isinstance(text, list) else text
    for line in lines:
        text = text.replace(line, "[hidden test]")
    return text


def redact_outputs(cell, lines: list[str]) -> None:
    """Replace hidden-test lines that code printed (e.g. from an IPython hook) in a cell's outputs."""
    for output in cell.get("outputs", []):
        if "text" in output:
            output.text = _redact(output.text, lines)
        for mime in ("text/plain", "text/html", "text/markdown"):
            if mime in output.get("data", {}):
                output.data[mime] = _redact(output.data[mime], lines)
        if output.output_type == "error":
            output.evalue = _redact(output.evalue, lines)


class HideHiddenTests(Preprocessor):
    """Drop hidden-test source and grading tracebacks from test cells; keep the messages.

    Hidden-test lines that a notebook printed into any output are replaced as well.
    """

    enabled = Bool(False).tag(config=True)

    def preprocess(self, nb, resources):
        lines = hidden_lines(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                redact_outputs(cell, lines)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and _grade(cell):
            cell.source = _HIDDEN.sub("", cell.source).rstrip("\n")
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources
