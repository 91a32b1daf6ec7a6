"""The feedback pages the service returns, and putting them where `nbgrader fetch_feedback` finds them.

nbgrader's ``release_feedback`` puts a student's page at ``<exchange>/<course>/feedback/<hash>.html``,
the hash made (by nbgrader's ``notebook_hash``) from the secret that ``submit`` wrote into the
hand-in and from the notebook's name; ``fetch_feedback`` finds it again from the student's own copy.
Pages of the service's own (the ``tasks`` summary, the receipt of the ``none`` policy, the note
past the feedback limit) go to that same place. The whole page (``full``, and every page after the
deadline) is nbgrader's own: ``generate_feedback`` and ``release_feedback`` for that one student.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import nbformat

from mllab.course.paths import Course
from mllab.report.feedback import task_results
from mllab.report.misconceptions import cell_mistakes, notebook_findings
from mllab.course.feedback_policy import Policy

_VALUES = re.compile(r"(tensor\()?\[[^\]]*\]+\)?")  # array displays: they could show a hidden input

STYLE = ("body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}"
         "table{border-collapse:collapse;width:100%}td,th{padding:6px 10px;border-bottom:1px solid #ddd;"
         "text-align:left;vertical-align:top}.ok{color:#11772d}.bad{color:#b3261e}.wait{color:#8a6d00}.note{background:#f4f4f8;"
         "padding:.8rem 1rem;border-radius:6px}")


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style></head><body>\n<h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n")


def _when(moment: dt.datetime) -> str:
    return moment.astimezone().strftime("%A %d %B %Y, %H:%M %Z")


def _scored_notebook(course: Course, assignment: str, student: str):
    """The autograded notebook with each grade cell's score from the gradebook (as nbgrader's GetGrades does)."""
    from nbgrader.api import Gradebook

    nb = nbformat.read(course.autograded / student / assignment / f"{assignment}.ipynb", as_version=4)
    with Gradebook(course.db_url) as gradebook:
        notebook = gradebook.find_submission_notebook(assignment, assignment, student)
        grades = {g.name: g for g in notebook.grades}
        pending = {g.name for g in notebook.grades if g.needs_manual_grade}
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            grade = grades.get(meta.get("grade_id"))
            if meta.get("grade") and grade is not None:
                meta["score"], meta["points"] = grade.score, grade.max_score
    return nb, pending


def _task_row(task, findings: dict) -> str:
    """✓ full marks, ✗ points lost in the code, … only a written answer still to be graded."""
    reasons = [_VALUES.sub("[…]", reason) for reason in task.reasons]
    mistakes = [text for grade_id in task.grade_ids for _, text in cell_mistakes(findings.get(grade_id, {}))
                if not any(text in reason for reason in reasons)]
    lost = bool(reasons or mistakes) or (not task.pending and task.earned < task.possible)
    mark = ('<span class="bad">✗</span>' if lost else '<span class="wait">…</span>' if task.pending
            else '<span class="ok">✓</span>')
    lines = [html.escape(reason) for reason in reasons]
    lines += [f"<i>Typical mistake:</i> {html.escape(text)}" for text in mistakes]
    if task.pending:
        lines.append(f"{task.pending} written answer(s) still to be graded by a person")
    note = "<br>".join(lines) or ("full marks" if not lost else "points lost in a written answer")
    return (f"<tr><td>{mark}</td><td>{html.escape(task.title)}</td>"
            f"<td>{task.earned:g}&nbsp;/&nbsp;{task.possible:g}</td><td>{note}</td></tr>")


def tasks_page(course: Course, assignment: str, student: str, handed_in: dt.datetime, policy: Policy) -> str:
    """Per task ✓/✗, points, the check's message and the named mistake; no hidden input, no hidden test code."""
    nb, pending = _scored_notebook(course, assignment, student)
    tasks = task_results(nb, pending)
    findings = notebook_findings(nb.metadata) or {}
    earned, possible = sum(t.earned for t in tasks), sum(t.possible for t in tasks)
    rows = "\n".join(_task_row(task, findings) for task in tasks)
    body = (f"<p>Your hand-in of {html.escape(_when(handed_in))}: <b>{earned:g} of {possible:g} points</b> so far.</p>"
            f"<table><tr><th></th><th>task</th><th>points</th><th>what to look at</th></tr>\n{rows}\n</table>"
            f'<p class="note">{html.escape(policy.describe())}</p>')
    return _page(f"{assignment}: results per task", body)


def receipt_page(assignment: str, handed_in: dt.datetime, deadline: dt.datetime | None, policy: Policy) -> str:
    """The ``none`` policy: the hand-in arrived and is graded; the feedback comes at the deadline."""
    due = f" after the deadline ({html.escape(_when(deadline))})" if deadline else " after the deadline"
    body = (f"<p>Your hand-in of {html.escape(_when(handed_in))} arrived and was graded. Its feedback comes{due}; "
            "fetch it again then.</p>"
            f'<p class="note">{html.escape(policy.describe())}</p>')
    return _page(f"{assignment}: hand-in received", body)


def limited_page(assignment: str, handed_in: dt.datetime, used: int, next_graded: dt.datetime,
                 policy: Policy) -> str:
    """Past the feedback limit: the hand-in is kept; when the next graded feedback comes."""
    body = (f"<p>Your hand-in of {html.escape(_when(handed_in))} arrived and is kept. You have had {used} graded "
            f"feedbacks in the last {policy.window.total_seconds() / 3600:g} hours, the most the course gives.</p>"
            f"<p><b>Your next graded feedback comes at {html.escape(_when(next_graded))}</b>: then your latest "
            "hand-in is graded. Fetch feedback again after that.</p>"
            f'<p class="note">{html.escape(policy.describe())}</p>')
    return _page(f"{assignment}: hand-in kept", body)


def put_page(exchange_feedback: Path, submission: Path, notebook_id: str, page: str) -> Path:
    """Write ``page`` where fetch_feedback finds the feedback of the hand-in collected in ``submission``."""
    from nbgrader.utils import notebook_hash

    secret = (submission / "submission_secret.txt").read_text(encoding="utf-8")
    exchange_feedback.mkdir(parents=True, exist_ok=True)
    target = exchange_feedback / f"{notebook_hash(secret=secret, notebook_id=notebook_id)}.html"
    partial = target.with_name(target.stem + "-tmp.html")
    partial.write_text(page, encoding="utf-8")
    partial.chmod(0o644)
    partial.replace(target)
    return target


def problem_page(assignment: str, handed_in: dt.datetime, status: str, detail: str) -> str:
    """A hand-in that could not be graded as a notebook: what was wrong, and what to do."""
    body = (f"<p>Your hand-in of {html.escape(_when(handed_in))} could not be graded ({html.escape(status)}): "
            f"{html.escape(detail)}</p><p>Check that you handed in the assignment's notebook, saved and complete, "
            "then hand it in again.</p>")
    return _page(f"{assignment}: hand-in not graded", body)
