"""`make demo`: the whole cycle on the bundled demo class, from release to feedback and grades."""

from __future__ import annotations

from collections.abc import Callable

from mllab.course import nbgrader_steps as steps
from mllab.report.write import write_report
from mllab.classes.demo import write_demo_class
from mllab.autograde.run import autograde_class, outcome_table
from mllab.course.paths import Course
from mllab.course.scores import assignment_scores, score_table


def run_demo(course: Course, assignments: tuple[str, ...], *, say: Callable[[str], None] = print) -> None:
    """Release, demo submissions, autograde, feedback and grades.csv for each assignment."""
    for assignment in assignments:
        say(f"== {assignment}: generating the student release (nbgrader generate_assignment)")
        steps.generate_release(course, assignment)
        students = write_demo_class(course, assignment)
        say(f"== {assignment}: wrote {len(students)} demo submissions to {course.submitted}/")
        say(f"== {assignment}: autograding in parallel (mllab autograde: nbgrader's Autograde in warm workers) …")
        outcomes = autograde_class(course, assignment, force=True, say=say)
        attention = [o for o in outcomes if o.status != "graded"]
        if attention:
            say(outcome_table(attention))
        say(f"== {assignment}: generating feedback (nbgrader generate_feedback)")
        steps.generate_feedback(course, assignment)
    grades = steps.export_grades(course, course.root / "grades.csv")
    for assignment in assignments:
        say(f"\nScores for {assignment}:\n{score_table(assignment_scores(course, assignment))}")
    reports = [write_report(course, assignment)[0] for assignment in assignments]
    say(f"\nFeedback HTML: {course.feedback}/<student>/<assignment>/<assignment>.html")
    say(f"Class report:  {', '.join(str(r) for r in reports)}")
    say(f"Grades CSV:    {grades}")
