"""`mllab report --course`: every student over every assignment, who falls behind, what comes back.

For each assignment of the course with grades in the gradebook, the class report is collected
(:func:`mllab.report.class_report.collect`). A student falls behind on an assignment when they
have no submission for it, or a score below :data:`LOW` of its points. A named mistake comes back
when a student makes it in more than one assignment (the same id, see
:mod:`mllab.grading.findings`); the table lists, per mistake, how many students made it in each
assignment and who made it again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from mllab.course.deadlines import deadlines
from mllab.course.paths import Course
from mllab.errors import UsageError
from mllab.report.class_report import ClassReport, collect, read_only_url
from mllab.report.misconceptions import cell_mistakes

LOW = 0.5  # a score below half the points counts as falling behind


@dataclass(frozen=True)
class Result:
    """A student's result on one assignment: a score (None: submitted, no grade yet) or nothing handed in."""

    status: str
    score: float | None
    max_score: float

    @property
    def share(self) -> float | None:
        return None if self.score is None or not self.max_score else self.score / self.max_score


@dataclass
class CourseRow:
    student: str
    results: dict[str, Result | None]  # assignment -> result (None: no submission)
    behind: list[str] = field(default_factory=list)  # why the student falls behind, one reason per assignment
    recurring: list[str] = field(default_factory=list)  # ids of the mistakes made in several assignments


@dataclass(frozen=True)
class Recurring:
    mistake_id: str
    explanation: str
    per_assignment: dict[str, int]  # assignment -> students who made it there
    repeaters: tuple[str, ...]  # students who made it in more than one assignment


@dataclass
class CourseView:
    assignments: list[str]  # with grades, in deadline order
    not_graded: list[str]  # in the course, no grades yet
    rows: list[CourseRow]
    recurring: list[Recurring]

    @property
    def behind(self) -> list[CourseRow]:
        return [r for r in self.rows if r.behind]


def course_assignments(course: Course) -> list[str]:
    """The course's assignments (source folders with their notebook), by deadline, then by name."""
    found = [p.name for p in sorted(course.source.iterdir()) if course.source_notebook(p.name).is_file()]
    due = deadlines(course.root)
    return sorted(found, key=lambda a: (a not in due, due[a].timestamp() if a in due else 0.0, a))


def _reports(course: Course) -> tuple[dict[str, ClassReport], list[str]]:
    reports, not_graded = {}, []
    for assignment in course_assignments(course):
        try:
            report = collect(course, assignment)
        except UsageError:  # no gradebook, or the assignment is not in it yet
            not_graded.append(assignment)
            continue
        if report.students:
            reports[assignment] = report
        else:
            not_graded.append(assignment)
    if not reports:
        raise UsageError("no assignment of this course has grades yet: run `mllab autograde ASSIGNMENT` first")
    return reports, not_graded


def _results(report: ClassReport) -> dict[str, Result]:
    return {r.student: Result(r.status, r.score, r.max_score) for r in report.students}


def _behind(results: dict[str, Result | None]) -> list[str]:
    reasons = []
    for assignment, result in results.items():
        if result is None:
            reasons.append(f"no submission for {assignment}")
        elif result.share is not None and result.share < LOW:
            reasons.append(f"{result.score:g} of {result.max_score:g} on {assignment}")
    return reasons


def _mistakes_by_assignment(reports: dict[str, ClassReport]) -> tuple[dict, dict[str, str]]:
    """mistake id -> assignment -> students, and each id's explanation."""
    made, texts = defaultdict(lambda: defaultdict(set)), {}
    for assignment, report in reports.items():
        for student, records in report.scored_findings.items():
            for record in records.values():
                for mistake_id, explanation in cell_mistakes(record):
                    made[mistake_id][assignment].add(student)
                    texts.setdefault(mistake_id, explanation)
    return made, texts


def _recurring(reports: dict[str, ClassReport]) -> list[Recurring]:
    made, texts = _mistakes_by_assignment(reports)
    found = []
    for mistake_id, by_assignment in made.items():
        if len(by_assignment) < 2:
            continue
        counts = defaultdict(int)
        for students in by_assignment.values():
            for student in students:
                counts[student] += 1
        repeaters = tuple(sorted(s for s, n in counts.items() if n > 1))
        found.append(Recurring(mistake_id, texts[mistake_id],
                               {a: len(by_assignment[a]) for a in reports if a in by_assignment}, repeaters))
    return sorted(found, key=lambda r: (-len(r.repeaters), -sum(r.per_assignment.values()), r.mistake_id))


def roster(course: Course) -> set[str]:
    """Every student in the gradebook (imported from a roster, or graded once)."""
    from nbgrader.api import Gradebook

    if course.uses_sqlite and not course.gradebook.is_file():
        return set()
    with Gradebook(read_only_url(course)) as gradebook:
        return {s.id for s in gradebook.students}


def collect_course(course: Course) -> CourseView:
    """The course view over every graded assignment, with every student of the gradebook."""
    reports, not_graded = _reports(course)
    students = sorted(roster(course).union(*({r.student for r in rep.students} for rep in reports.values())))
    recurring = _recurring(reports)
    again = defaultdict(list)
    for item in recurring:
        for student in item.repeaters:
            again[student].append(item.mistake_id)
    by_assignment = {a: _results(report) for a, report in reports.items()}
    rows = []
    for student in students:
        results = {a: found.get(student) for a, found in by_assignment.items()}
        rows.append(CourseRow(student, results, _behind(results), again.get(student, [])))
    return CourseView(list(reports), not_graded, rows, recurring)
