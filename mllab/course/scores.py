"""Read scores back from nbgrader's gradebook."""

from __future__ import annotations

from dataclasses import dataclass

from nbgrader.api import Gradebook, MissingEntry

from mllab.course.paths import Course


@dataclass(frozen=True)
class StudentScore:
    """One student's result on one assignment."""

    student: str
    auto_score: float
    auto_max: float
    manual_pending: int  # manually graded cells nobody has graded yet
    cell_scores: dict[str, tuple[float | None, float]]  # grade_id -> (score, max)


def _gradebook(course: Course) -> Gradebook:
    return Gradebook(course.db_url)


def _student_score(gradebook: Gradebook, assignment: str, student: str) -> StudentScore:
    submission = gradebook.find_submission(assignment, student)
    cells = {}
    auto_score = auto_max = 0.0
    pending = 0
    for notebook in submission.notebooks:
        for grade in notebook.grades:
            cells[grade.name] = (grade.score, grade.max_score)
            if grade.cell_type == "code":
                auto_score += grade.score or 0.0
                auto_max += grade.max_score
            elif grade.needs_manual_grade:
                pending += 1
    return StudentScore(student, auto_score, auto_max, pending, cells)


def assignment_scores(course: Course, assignment: str) -> list[StudentScore]:
    """Every graded student's score on ``assignment``, sorted by student id."""
    with _gradebook(course) as gradebook:
        scores = []
        for student in sorted(s.id for s in gradebook.students):
            try:
                scores.append(_student_score(gradebook, assignment, student))
            except MissingEntry:
                continue
        return scores


def score_table(scores: list[StudentScore]) -> str:
    """A plain-text table: student, autograded points, manual cells still to grade."""
    width = max([len("student"), *(len(s.student) for s in scores)])
    lines = [f"{'student':<{width}}  {'autograded':>12}  manual to grade"]
    for s in scores:
        lines.append(f"{s.student:<{width}}  {s.auto_score:>6.1f} / {s.auto_max:<4.0f} {s.manual_pending:>8}")
    return "\n".join(lines)
