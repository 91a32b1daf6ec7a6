"""Read scores back from nbgrader's gradebook."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from nbgrader.api import Gradebook, MissingEntry

from mllab.course.paths import Course


def _duration(delta: dt.timedelta) -> str:
    """'2 days 3 h', '5 h 10 min', '40 min'."""
    minutes = int(delta.total_seconds() // 60)
    days, hours, minutes = minutes // 1440, minutes % 1440 // 60, minutes % 60
    parts = [f"{days} day{'s' if days != 1 else ''}" if days else "", f"{hours} h" if hours else "",
             f"{minutes} min" if minutes and not days else ""]
    return " ".join(p for p in parts if p) or "less than a minute"


@dataclass(frozen=True)
class Lateness:
    """When a submission was due and came, as the gradebook has it (times in UTC)."""

    deadline: dt.datetime  # the assignment's deadline, before any extension
    extension: dt.timedelta | None
    submitted: dt.datetime | None
    seconds_late: float  # after the deadline with the extension
    penalty: float  # points taken

    def describe(self) -> str:
        """One sentence for the feedback page, the report and the terminal."""
        due = f"deadline {self.deadline:%Y-%m-%d %H:%M} UTC"
        if self.extension:
            due += f", extended by {_duration(self.extension)} to {self.deadline + self.extension:%Y-%m-%d %H:%M} UTC"
        if self.seconds_late <= 0:
            return f"Submitted on time ({due})."
        return (f"Submitted {_duration(dt.timedelta(seconds=self.seconds_late))} late ({due}): "
                f"{self.penalty:g} points taken for lateness.")


def submission_lateness(submission) -> Lateness | None:
    deadline = submission.assignment.duedate
    if deadline is None:
        return None
    penalty = sum(n.late_submission_penalty or 0.0 for n in submission.notebooks)
    return Lateness(deadline, submission.extension, submission.timestamp, submission.total_seconds_late, penalty)


@dataclass(frozen=True)
class StudentScore:
    """One student's result on one assignment."""

    student: str
    auto_score: float
    auto_max: float
    manual_pending: int  # manually graded cells nobody has graded yet
    cell_scores: dict[str, tuple[float | None, float]]  # grade_id -> (score, max)
    late: Lateness | None = None  # None: the assignment has no deadline


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
    return StudentScore(student, auto_score, auto_max, pending, cells, submission_lateness(submission))


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


def lateness_lines(scores: list[StudentScore]) -> list[str]:
    """A line per student who submitted late, with the points the late rule took."""
    return [f"{s.student}: {s.late.describe()}" for s in scores if s.late and s.late.seconds_late > 0]
