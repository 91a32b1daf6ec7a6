"""`nbgrader export` that tells a missing grade from a zero.

nbgrader's own CSV export writes 0.0 for a student without a submission. A student whose grading
failed inside the grader (status ``error``) has no autograded score either, and a 0.0 in the
learning platform would read as "handed in nothing of worth". Here both get empty score cells.
Set in nbgrader_config.py as ``c.ExportApp.plugin_class``.
"""

from __future__ import annotations

import csv

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import CsvExportPlugin

COLUMNS = ("assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email", "raw_score",
           "late_submission_penalty", "score", "max_score")


def _has_grade(submission) -> bool:
    """True when some cell of the submission has a score, automatic or manual."""
    return any(g.auto_score is not None or g.manual_score is not None
               for notebook in submission.notebooks for g in notebook.grades)


def _scores(gradebook: Gradebook, assignment: str, student: str) -> dict:
    try:
        submission = gradebook.find_submission(assignment, student)
    except MissingEntry:
        return {}
    found = {"timestamp": submission.timestamp}
    if _has_grade(submission):
        penalty = submission.late_submission_penalty or 0.0
        found.update(raw_score=submission.score, late_submission_penalty=penalty,
                     score=max(0.0, submission.score - penalty))
    return found


class GradesExport(CsvExportPlugin):
    """nbgrader's grades CSV (the same columns), with empty scores where there is no grade."""

    def export(self, gradebook: Gradebook) -> None:
        with open(self.to or "grades.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
            writer.writeheader()
            for assignment in gradebook.assignments:
                if self.assignment and assignment.name not in self.assignment:
                    continue
                for student in gradebook.students:
                    if self.student and student.id not in self.student:
                        continue
                    row = {"assignment": assignment.name, "duedate": assignment.duedate, "student_id": student.id,
                           "last_name": student.last_name, "first_name": student.first_name,
                           "email": student.email, "max_score": assignment.max_score,
                           **_scores(gradebook, assignment.name, student.id)}
                    writer.writerow({key: "" if row.get(key) is None else row[key] for key in COLUMNS})
