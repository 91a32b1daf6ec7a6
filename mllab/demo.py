"""`make demo`: the whole cycle on the bundled demo class, from release to feedback and grades."""

from __future__ import annotations

from collections.abc import Callable

from mllab import nbgrader_steps as steps
from mllab.demo_class import write_demo_class
from mllab.parallel import autograde_class, outcome_table
from mllab.paths import Course
from mllab.scores import assignment_scores, score_table


def run_demo(course: Course, assignments: tuple[str, ...], *, say: Callable[[str], None] = print) -> None:
    """Release, demo submissions, autograde, feedback and grades.csv for each assignment."""
    for assignment in assignments:
        say(f"== {assignment}: generating the student release (nbgrader generate_assignment)")
        steps.generate_release(course, assignment)
        students = write_demo_class(course, assignment)
        say(f"== {assignment}: wrote {len(students)} demo submissions to {course.submitted}/")
        say(f"== {assignment}: autograding in parallel (mllab autograde: nbgrader per student) …")
        outcomes = autograde_class(course, assignment, force=True, say=say)
        failed = [o for o in outcomes if o.status == "failed"]
        if failed:
            say(outcome_table(failed))
        say(f"== {assignment}: generating feedback (nbgrader generate_feedback)")
        steps.generate_feedback(course, assignment)
    grades = steps.export_grades(course, course.root / "grades.csv")
    for assignment in assignments:
        say(f"\nScores for {assignment}:\n{score_table(assignment_scores(course, assignment))}")
    say(f"\nFeedback HTML: {course.feedback}/<student>/<assignment>/<assignment>.html")
    say(f"Grades CSV:    {grades}")
