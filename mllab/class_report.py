"""`mllab report ASSIGNMENT`: what a TA needs to know about the class, from the gradebook.

Reads nbgrader's gradebook (never writes it), the autograded notebooks and the last
`mllab autograde` outcomes, and collects: every student's total, the pass rate of each
autograded test cell, the most frequent failure messages, the students whose grading failed
or needed attention, and the manual-grading backlog. `mllab.report_html` renders it.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from mllab.autograde.state import NEEDS_ATTENTION, STATUSES, load_outcomes
from mllab.errors import UsageError
from mllab.paths import Course


@dataclass(frozen=True)
class TestCell:
    grade_id: str
    points: float
    full: int = 0
    partial: int = 0
    zero: int = 0


@dataclass
class StudentRow:
    student: str
    status: str
    score: float | None
    max_score: float
    cells: dict[str, float | None] = field(default_factory=dict)
    pending: frozenset[str] = frozenset()  # grade ids still waiting for manual grading

    @property
    def manual_pending(self) -> int:
        return len(self.pending)


@dataclass
class ClassReport:
    assignment: str
    students: list[StudentRow]
    tests: list[TestCell]
    failures: list[tuple[str, str, int]]  # (cell, message, students)
    attention: list[tuple[str, str, str, str]]  # (student, status, meaning, detail)
    backlog_cells: list[tuple[str, int]]  # (grade_id, students still to grade)
    grade_ids: list[str]


def _graded_cells(course: Course, assignment: str) -> list[tuple[str, bool, float]]:
    """(grade_id, is autograded test, points) of every graded cell, in notebook order."""
    cells = []
    for cell in nbformat.read(course.source_notebook(assignment), as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            is_test = cell.cell_type == "code" and not meta.get("solution")
            cells.append((meta["grade_id"], is_test, float(meta.get("points", 0))))
    return cells


def _rows(course: Course, assignment: str) -> list[StudentRow]:
    from nbgrader.api import Gradebook, MissingEntry

    rows = []
    with Gradebook(f"sqlite:///{course.gradebook}") as gradebook:
        try:
            submissions = gradebook.find_assignment(assignment).submissions
        except MissingEntry:
            raise UsageError(f"{assignment!r} is not in the gradebook: run `mllab release {assignment}` "
                             f"and `mllab autograde {assignment}` first") from None
        for submission in submissions:
            grades = [g for nb in submission.notebooks for g in nb.grades]
            rows.append(StudentRow(submission.student.id, "graded", sum(g.score or 0 for g in grades),
                                   sum(g.max_score for g in grades), {g.name: g.score for g in grades},
                                   frozenset(g.name for g in grades if g.needs_manual_grade)))
    return sorted(rows, key=lambda r: r.student)


def _autograded(course: Course, assignment: str, student: str):
    path = course.autograded / student / assignment / f"{assignment}.ipynb"
    return nbformat.read(path, as_version=4) if path.is_file() else None


def _first_line(text: str) -> str:
    return (str(text).strip().splitlines() or [""])[0][:200]


def _failures(course: Course, assignment: str, students: list[str], tests: set[str]) -> list[tuple[str, str, int]]:
    """(cell, message, number of students) for the error outputs of autograded test cells."""
    counts: Counter = Counter()
    for student in students:
        nb = _autograded(course, assignment, student)
        seen = set()
        for cell in nb.cells if nb else []:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            for output in cell.get("outputs", []) if grade_id in tests else []:
                if output.output_type == "error":
                    seen.add((grade_id, f"{output.ename}: {_first_line(output.evalue)}"))
        counts.update(seen)
    return [(cell, message, n) for (cell, message), n in counts.most_common(15)]


def _pass_rates(rows: list[StudentRow], cells: list[tuple[str, bool, float]]) -> list[TestCell]:
    tests = []
    for grade_id, is_test, points in cells:
        if not is_test:
            continue
        scores = [r.cells.get(grade_id) for r in rows if r.status != "not graded"]
        full = sum(1 for s in scores if s is not None and s >= points)
        zero = sum(1 for s in scores if (s or 0) <= 0 and points > 0)
        tests.append(TestCell(grade_id, points, full, len(scores) - full - zero, zero))
    return tests


def _attention(course: Course, assignment: str, rows: list[StudentRow]) -> list[tuple[str, str, str, str]]:
    outcomes = load_outcomes(course, assignment)
    graded = {r.student for r in rows}
    listed = []
    for student, outcome in sorted(outcomes.items()):
        if outcome.status in NEEDS_ATTENTION:
            listed.append((student, outcome.status, STATUSES[outcome.status], outcome.detail))
    submitted = sorted(p.parent.name for p in course.submitted.glob(f"*/{assignment}") if p.is_dir())
    for student in submitted:
        missing = student not in graded or (student not in outcomes and _autograded(course, assignment, student) is None)
        if missing and student not in {s for s, *_ in listed}:
            listed.append((student, "not graded", "a submission with no autograded notebook",
                           f"run `mllab autograde {assignment}`"))
    return listed


def _apply_status(rows: list[StudentRow], attention: list[tuple[str, str, str, str]]) -> None:
    status = {student: state for student, state, *_ in attention}
    for row in rows:
        row.status = status.get(row.student, row.status)


def collect(course: Course, assignment: str) -> ClassReport:
    """Everything the report shows, read from the course folder."""
    if not course.gradebook.is_file():
        raise UsageError(f"no gradebook at {course.gradebook}: run `mllab release {assignment}` and "
                         f"`mllab autograde {assignment}` first")
    cells = _graded_cells(course, assignment)
    rows = _rows(course, assignment)
    attention = _attention(course, assignment, rows)
    _apply_status(rows, attention)
    tests = _pass_rates(rows, cells)
    failures = _failures(course, assignment, [r.student for r in rows], {t.grade_id for t in tests})
    backlog = [(grade_id, sum(1 for r in rows if grade_id in r.pending)) for grade_id, is_test, _ in cells
               if any(grade_id in r.pending for r in rows)]
    return ClassReport(assignment, rows, tests, failures, attention, backlog, [c[0] for c in cells])


def write_csv(report: ClassReport, path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "status", "score", "max_score", *report.grade_ids, "manual_grades_pending"])
        for row in report.students:
            cells = ["" if row.cells.get(g) is None else f"{row.cells[g]:g}" for g in report.grade_ids]
            writer.writerow([row.student, row.status, f"{row.score or 0:g}", f"{row.max_score:g}", *cells,
                             row.manual_pending])
    return path


def write_report(course: Course, assignment: str) -> tuple[Path, Path]:
    """reports/<assignment>.html and .csv; returns both paths."""
    from mllab.report_html import render

    report = collect(course, assignment)
    folder = course.root / "reports"
    folder.mkdir(exist_ok=True)
    html_path = folder / f"{assignment}.html"
    html_path.write_text(render(report), encoding="utf-8")
    return html_path, write_csv(report, folder / f"{assignment}.csv")
