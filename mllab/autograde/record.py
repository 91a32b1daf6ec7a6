"""Write the workers' results into the course's gradebook: one writer, nbgrader's own scoring.

Graded students: one ``nbgrader autograde --no-execute`` pass over the staged, already executed
notebooks saves every grade (nbgrader skips only execution and clearing outputs). Students whose
file could not be graded at all get a submission whose grades are all 0, as nbgrader does for a
missing notebook, and lose any stale autograded copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from mllab.errors import PipelineError
from mllab.course.nbgrader_steps import run_nbgrader
from mllab.course.paths import Course


def staging_dir(course: Course, assignment: str) -> Path:
    return course.root / ".mllab" / "staged" / assignment


def record_graded(course: Course, assignment: str, students: list[str]) -> dict[str, str]:
    """Save the staged students' grades with a single nbgrader process; return who failed, and why."""
    staging = staging_dir(course, assignment)
    if not students or not staging.is_dir():
        return {}
    for leftover in {p.name for p in staging.iterdir()} - set(students):
        shutil.rmtree(staging / leftover)  # from an interrupted run: never record stale work
    try:
        run_nbgrader(course, "autograde", assignment, "--force", "--no-execute", "--JudgeTestCells.enabled=False",
                     "--NoteSubmittedCells.enabled=False", "--RecordRestoredCells.enabled=False",
                     f"--CourseDirectory.submitted_directory={staging}")
        why = ""
    except PipelineError as error:  # nbgrader went on with the others; find who is missing
        why = str(error).splitlines()[-1][:200]
    shutil.rmtree(staging)
    return {s: f"recording the grades failed: {why}" for s in students
            if not (course.autograded / s / assignment).is_dir()}


def record_zero(course: Course, assignment: str, students: list[str]) -> None:
    """Students with no gradable notebook: a submission in the gradebook with every grade 0."""
    if not students:
        return
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course.gradebook}") as gradebook:
        for student in students:
            gradebook.update_or_create_student(student)
            submission = gradebook.update_or_create_submission(assignment, student)
            for notebook in submission.notebooks:
                for grade in notebook.grades:  # what nbgrader does for a notebook that is missing
                    grade.auto_score = 0
                    grade.needs_manual_grade = False
            gradebook.db.commit()
            shutil.rmtree(course.autograded / student / assignment, ignore_errors=True)
