"""`mllab report ASSIGNMENT`: what a TA needs to know about the class, from the gradebook.

Reads nbgrader's gradebook (opened read-only), the instructor notebooks, the autograded
notebooks and the last `mllab autograde` outcomes, and collects: every student's total, the pass
rate of each autograded test cell, the most frequent failure messages, the students whose grading
failed or needed attention, the manual-grading backlog, and the analytics: the judge's findings
(named mistakes and sub-checks, :mod:`mllab.report.misconceptions`) and the item statistics of each
graded cell (:mod:`mllab.report.item_statistics`). `mllab.report.page` renders it;
`mllab.report.write` writes the page and the CSV files (:mod:`mllab.report.csv_files`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import nbformat

from mllab.autograde.state import NEEDS_ATTENTION, STATUSES, load_outcomes
from mllab.errors import UsageError
from mllab.course.paths import Course, check_assignment
from mllab.course.scores import Lateness, submission_lateness
from mllab.report.item_statistics import ItemStatistics, item_statistics
from mllab.report.misconceptions import MistakeCount, SubcheckRate, mistake_counts, notebook_findings, subcheck_rates

NOT_GRADED = "not graded"
TOP_FAILURES = 15
MESSAGE_CHARS = 200
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass(frozen=True)
class GradedCell:
    """A graded cell of the instructor notebook."""

    grade_id: str
    points: float
    autograded: bool  # a test cell (code, not a solution); otherwise a manually graded answer


@dataclass(frozen=True)
class PassRate:
    """How many scored students earned full, partial and zero points on one test cell."""

    grade_id: str
    points: float
    full: int = 0
    partial: int = 0
    zero: int = 0

    @property
    def students(self) -> int:
        return self.full + self.partial + self.zero


@dataclass
class StudentRow:
    """One student: status, total (None when not graded), per-cell scores, pending manual grades."""

    student: str
    status: str
    score: float | None
    max_score: float
    cells: dict[str, float | None] = field(default_factory=dict)
    pending: frozenset[str] = frozenset()  # grade ids still waiting for manual grading


class Attention(NamedTuple):
    """A student whose grading failed or needs a look, and why."""

    student: str
    status: str
    meaning: str
    detail: str


class Failure(NamedTuple):
    """An error message of a test cell and how many students got it."""

    grade_id: str
    message: str
    students: int


class Tampering(NamedTuple):
    """Test cells of one student that nbgrader restored, or that the judge overruled."""

    student: str
    restored: str  # e.g. "test_mse_own (edited), test_ce_own (deleted)"
    overruled: str  # grade ids whose own result the judge did not trust


def _tampering(notebooks: dict[str, list], rows: list[StudentRow]) -> list[Tampering]:
    """From each autograded notebook's record (mllab.autograde.restored and mllab.autograde.judge)."""
    found = []
    for row in rows:
        restored, overruled = [], []
        for nb in notebooks.get(row.student, []):
            record = nb.get("metadata", {}).get("mllab", {})
            restored += [f"{c.get('grade_id')} ({', '.join(map(str, c.get('reasons', [])))})"
                         for c in record.get("restored_cells", []) if isinstance(c, dict)]
            overruled += [str(g) for g in record.get("overruled_cells", [])]
        if restored or overruled:
            found.append(Tampering(row.student, ", ".join(restored), ", ".join(overruled)))
    return found


@dataclass
class ClassReport:
    assignment: str
    cells: list[GradedCell]
    students: list[StudentRow]
    tests: list[PassRate]
    failures: list[Failure]
    attention: list[Attention]
    backlog_cells: list[tuple[str, int]]  # (grade_id, students whose grade is still pending)
    tampering: list[Tampering] = field(default_factory=list)
    late: dict[str, Lateness] = field(default_factory=dict)  # students whose assignment has a deadline
    findings: dict[str, dict[str, dict]] = field(default_factory=dict)  # student -> grade_id -> judge's record
    without_findings: list[str] = field(default_factory=list)  # graded before the judge recorded findings

    @property
    def mistakes(self) -> list[MistakeCount]:
        """The named mistakes of the students with a score, the most frequent first."""
        return mistake_counts(self.scored_findings, self.grade_ids)

    @property
    def subchecks(self) -> list[SubcheckRate]:
        return subcheck_rates(self.scored_findings, self.grade_ids)

    @property
    def scored_findings(self) -> dict[str, dict[str, dict]]:
        scored = {r.student for r in self.scored}
        return {s: f for s, f in self.findings.items() if s in scored}

    @property
    def item_cells(self) -> list[GradedCell]:
        """Graded cells with points whose every grade is in (manual ones once nobody waits for them)."""
        waiting = {g for r in self.scored for g in r.pending}
        return [c for c in self.cells if c.points > 0 and c.grade_id not in waiting]

    @property
    def heat_columns(self) -> list[PassRate]:
        """The test cells with points: the heat map's columns."""
        return [t for t in self.tests if t.points > 0]

    def heat_rows(self, shown: Mapping[str, str]) -> list[tuple[str, list[float]]]:
        """Each scored student as ``shown`` names them, best total first (ties by that name), with the
        share of each heat-map column's points they earned."""
        rows = sorted(self.scored, key=lambda r: (-(r.score or 0.0), shown.get(r.student, r.student)))
        return [(shown.get(r.student, r.student), [(r.cells.get(t.grade_id) or 0.0) / t.points
                                                   for t in self.heat_columns]) for r in rows]

    @property
    def items(self) -> list[ItemStatistics]:
        scores = {r.student: {g: s or 0.0 for g, s in r.cells.items()} for r in self.scored}
        return item_statistics([(c.grade_id, c.points) for c in self.item_cells], scores)

    @property
    def grade_ids(self) -> list[str]:
        return [c.grade_id for c in self.cells]

    @property
    def scored(self) -> list[StudentRow]:
        return [r for r in self.students if r.score is not None]

    def max_points(self, *, autograded: bool) -> float:
        return sum(c.points for c in self.cells if c.autograded == autograded)


# ---------------------------------------------------------------- reading the course folder

def _source_notebooks(course: Course, assignment: str) -> list[Path]:
    return sorted((course.source / assignment).glob("*.ipynb"))


def _graded_cells(course: Course, assignment: str) -> list[GradedCell]:
    """Every graded cell of the instructor notebooks, in notebook order."""
    cells = []
    for path in _source_notebooks(course, assignment):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                autograded = cell.cell_type == "code" and not meta.get("solution")
                cells.append(GradedCell(meta["grade_id"], float(meta.get("points", 0)), autograded))
    return cells


def _autograded_notebooks(course: Course, assignment: str, student: str) -> list[Path]:
    return sorted((course.autograded / student / assignment).glob("*.ipynb"))


def _has_autograded_notebooks(course: Course, assignment: str, student: str) -> bool:
    found = {p.name for p in _autograded_notebooks(course, assignment, student)}
    return {p.name for p in _source_notebooks(course, assignment)} <= found and bool(found)


def _submitted_students(course: Course, assignment: str) -> set[str]:
    return {p.parent.name for p in course.submitted.glob(f"*/{assignment}") if p.is_dir()}


def _no_gradebook(course: Course, assignment: str) -> UsageError:
    return UsageError(f"no grades for {assignment!r} in {course.gradebook}: run "
                      f"`nbgrader generate_assignment {assignment}` (or `mllab release {assignment}`) "
                      f"and `mllab autograde {assignment}` first")


def read_only_url(course: Course) -> str:
    return f"sqlite:///file:{course.gradebook}?mode=ro&uri=true" if course.uses_sqlite else course.db_url


def _lateness(course: Course, assignment: str) -> dict[str, Lateness]:
    """student -> deadline, extension, how late and the points taken (when the assignment has a deadline)."""
    from nbgrader.api import Gradebook

    with Gradebook(read_only_url(course)) as gradebook:
        found = {s.student.id: submission_lateness(s) for s in gradebook.find_assignment(assignment).submissions}
    return {student: late for student, late in found.items() if late is not None}


def _gradebook_grades(course: Course, assignment: str) -> dict[str, list[tuple[str, float | None, float, bool]]]:
    """student -> [(grade_id, score, max_score, needs_manual_grade)], read from a read-only gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    if course.uses_sqlite and not course.gradebook.is_file():
        raise _no_gradebook(course, assignment)
    with Gradebook(read_only_url(course)) as gradebook:
        try:
            gradebook.find_assignment(assignment)
        except MissingEntry:
            raise _no_gradebook(course, assignment) from None
        return _grades_query(gradebook.db, assignment)


def _grades_query(db, assignment: str) -> dict[str, list[tuple[str, float | None, float, bool]]]:
    """The same as walking nbgrader's objects submission by submission, in two queries (a class of 300
    students would otherwise take thousands of lazy loads)."""
    from nbgrader.api import Assignment, BaseCell, Grade, SubmittedAssignment, SubmittedNotebook

    submitted = (db.query(SubmittedAssignment.student_id).join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
                 .filter(Assignment.name == assignment))
    found: dict[str, list] = {student: [] for student, in submitted}
    grades = (db.query(SubmittedAssignment.student_id, BaseCell.name, Grade.score, Grade.max_score, Grade.needs_manual_grade)
              .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
              .join(SubmittedNotebook, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
              .join(Grade, Grade.notebook_id == SubmittedNotebook.id)
              .join(BaseCell, BaseCell.id == Grade.cell_id)
              .filter(Assignment.name == assignment))
    for student, name, score, top, manual in grades:
        found[student].append((name, score, top, bool(manual)))
    return found


# ---------------------------------------------------------------- who is graded, and how

def _status(student: str, outcomes: dict, in_gradebook: bool, autograded: bool, submitted: bool) -> str:
    """The state file's status; "not graded" for a submission nbgrader has not fully graded."""
    outcome = outcomes.get(student)
    if outcome is not None and outcome.status in NEEDS_ATTENTION:
        return outcome.status
    if submitted and not (in_gradebook and autograded):
        return NOT_GRADED
    return outcome.status if outcome is not None else "graded"


def _row(student: str, status: str, grades: list | None, autograded: bool, max_points: float) -> StudentRow:
    if grades is None or status == NOT_GRADED:
        return StudentRow(student, status, None, max_points)
    pending = frozenset(g for g, _, _, manual in grades if manual) if autograded else frozenset()
    return StudentRow(student, status, sum(score or 0 for _, score, _, _ in grades),
                      sum(top for _, _, top, _ in grades),
                      {g: None if manual else score for g, score, _, manual in grades}, pending)


def _rows(course: Course, assignment: str, cells: list[GradedCell], outcomes: dict) -> list[StudentRow]:
    grades = _gradebook_grades(course, assignment)
    submitted = _submitted_students(course, assignment)
    max_points = sum(c.points for c in cells)
    rows = []
    for student in sorted(set(grades) | submitted | set(outcomes)):
        autograded = _has_autograded_notebooks(course, assignment, student)
        status = _status(student, outcomes, student in grades, autograded, student in submitted)
        rows.append(_row(student, status, grades.get(student), autograded, max_points))
    return rows


def _attention(rows: list[StudentRow], outcomes: dict, assignment: str) -> list[Attention]:
    listed = []
    for row in rows:
        if row.status in NEEDS_ATTENTION:
            listed.append(Attention(row.student, row.status, STATUSES[row.status], outcomes[row.student].detail))
        elif row.status == NOT_GRADED:
            listed.append(Attention(row.student, NOT_GRADED, "submitted, but there is no graded submission "
                                    "or no autograded notebook", f"run mllab autograde {assignment}"))
    return listed


# ---------------------------------------------------------------- what the class got right and wrong

def _pass_rates(rows: list[StudentRow], cells: list[GradedCell]) -> list[PassRate]:
    rates = []
    for cell in (c for c in cells if c.autograded):
        scores = [r.cells.get(cell.grade_id) or 0.0 for r in rows if r.score is not None]
        full = sum(1 for s in scores if s >= cell.points)
        zero = sum(1 for s in scores if s <= 0 < cell.points)
        rates.append(PassRate(cell.grade_id, cell.points, full, len(scores) - full - zero, zero))
    return rates


def _message(output) -> str:
    """``ename: first line of evalue``, without terminal colours, at most MESSAGE_CHARS long."""
    lines = ANSI.sub("", str(output.get("evalue", ""))).strip().splitlines()
    text = f"{ANSI.sub('', str(output.get('ename', 'Error')))}: {lines[0] if lines else ''}".strip()
    return text if len(text) <= MESSAGE_CHARS else text[:MESSAGE_CHARS - 1] + "…"


def _student_failures(notebooks: list, tests: set[str]) -> set[tuple[str, str]]:
    """(grade_id, message) of every error output of a test cell in the student's autograded notebooks."""
    seen = set()
    for nb in notebooks:
        for cell in nb.get("cells", []):
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if grade_id in tests:
                seen.update((grade_id, _message(o)) for o in cell.get("outputs", []) if o.get("output_type") == "error")
    return seen


def _failures(notebooks: dict[str, list], rows: list[StudentRow], tests: set[str]) -> list[Failure]:
    counts: Counter = Counter()
    for row in rows:
        if row.status != NOT_GRADED:
            counts.update(_student_failures(notebooks.get(row.student, []), tests))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [Failure(cell, message, n) for (cell, message), n in ranked[:TOP_FAILURES]]


def _backlog(rows: list[StudentRow], cells: list[GradedCell]) -> list[tuple[str, int]]:
    counts = [(c.grade_id, sum(1 for r in rows if c.grade_id in r.pending)) for c in cells]
    return [(grade_id, n) for grade_id, n in counts if n]


# ---------------------------------------------------------------- the report and its files

def _read_notebook(path: Path) -> dict:
    """An autograded notebook as plain JSON data: neither validated against the schema again (nbgrader
    wrote it) nor made a NotebookNode; both would be most of the time a report of 300 students takes."""
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def _read_notebooks(course: Course, assignment: str, rows: list[StudentRow]) -> dict[str, list]:
    """Each student's autograded notebooks, read once for every section that needs them."""
    return {r.student: [_read_notebook(p) for p in _autograded_notebooks(course, assignment, r.student)] for r in rows}


def _findings(notebooks: dict[str, list], rows: list[StudentRow]) -> tuple[dict[str, dict], list[str]]:
    """student -> grade_id -> the judge's record, and the graded students whose notebooks have none."""
    found, missing = {}, []
    for row in rows:
        records = [notebook_findings(nb.get("metadata", {})) for nb in notebooks.get(row.student, [])]
        if row.score is None or not records:
            continue
        if any(r is None for r in records):
            missing.append(row.student)
        found[row.student] = {g: record for r in records if r for g, record in r.items()}
    return found, missing


def collect(course: Course, assignment: str) -> ClassReport:
    """Everything the report shows, read from the course folder (nothing is written)."""
    cells = _graded_cells(course, check_assignment(course, assignment))
    outcomes = load_outcomes(course, assignment)
    rows = _rows(course, assignment, cells, outcomes)
    tests = _pass_rates(rows, cells)
    notebooks = _read_notebooks(course, assignment, rows)
    failures = _failures(notebooks, rows, {t.grade_id for t in tests})
    findings, without = _findings(notebooks, rows)
    return ClassReport(assignment, cells, rows, tests, failures, _attention(rows, outcomes, assignment),
                       _backlog(rows, cells), _tampering(notebooks, rows), _lateness(course, assignment),
                       findings, without)
