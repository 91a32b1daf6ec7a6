"""One round of an assignment through nbgrader's exchange, on the instructor's side.

``hand_out``: the student release into the exchange. ``collect_and_grade``: collect what students
submitted, autograde it, generate and release the feedback, write the class report. Each step is
safe to repeat: ``nbgrader collect --update`` takes only newer submissions, ``mllab autograde``
grades only what changed, and feedback and report are written anew.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable

from mllab.autograde.lock import grading_lock
from mllab.autograde.run import GradingFailed, autograde_class, late_summary, outcome_table, submitted_students
from mllab.classes.demo import demo_class
from mllab.classes.exchange_students import ExchangeStudent
from mllab.course import exchange
from mllab.course import nbgrader_steps as steps
from mllab.course.paths import DB_URL_VARIABLE, Course, copy_course, course_config
from mllab.errors import UsageError
from mllab.report.write import write_report


def hand_out(course: Course, assignment: str, *, say: Callable[[str], None] = print) -> None:
    """Generate the release and put it into the exchange for students to fetch."""
    release, _ = steps.generate_release(course, assignment)
    root = exchange.release_to_students(course, assignment)
    say(f"released {release.parent} into the exchange {root}/{course_id(course)}/outbound/{assignment}/")
    say(f"students fetch it in JupyterLab's Assignments tab, or: nbgrader fetch_assignment {assignment} "
        f"--course {course_id(course)}")


def roster_students(course: Course) -> list[str]:
    """The students in the gradebook (the roster, and everyone graded before)."""
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gradebook:
        return [s.id for s in gradebook.students]


def course_id(course: Course) -> str:
    return course_config(course).CourseDirectory.course_id


def collect_and_grade(course: Course, assignment: str, *, say: Callable[[str], None] = print) -> None:
    """Collect, autograde, feedback (generated and released), report; raise GradingFailed at the
    end when some student's grading failed inside the grader (the others get their feedback).
    Refused (GraderBusy) while the grading service or another grader works on the course."""
    with grading_lock(course, f"mllab collect-and-grade {assignment}"):
        _collect_and_grade(course, assignment, say)


def _collect_and_grade(course: Course, assignment: str, say: Callable[[str], None]) -> None:
    root = exchange.ensure_exchange(course)
    say(f"== collecting {assignment} from {root} (nbgrader collect --update)")
    exchange.collect(course, assignment, say=say)
    students = submitted_students(course, assignment)
    if not students:
        raise UsageError(f"no student has submitted {assignment} yet (nothing in {root}/{course_id(course)}/inbound/): "
                         f"students submit with the Assignments tab or `nbgrader submit {assignment} "
                         f"--course {course_id(course)}`; then run this again")
    say(f"== {len(students)} submissions in {course.submitted}/; autograding what is new (mllab autograde)")
    missing = sorted(set(roster_students(course)) - set(students))
    if missing:
        say(f"no submission (yet) from {len(missing)} student(s) on the roster: {', '.join(missing)}. A student who "
            f"never fetched the assignment cannot submit: they fetch it with the Assignments tab or "
            f"`nbgrader fetch_assignment {assignment} --course {course_id(course)}`.")
    outcomes = autograde_class(course, assignment, say=say)
    say(outcome_table(outcomes) + late_summary(course, assignment))
    say(f"== feedback: nbgrader generate_feedback into {course.feedback}/, release_feedback into the exchange")
    steps.generate_feedback(course, assignment)
    exchange.release_feedback(course, assignment)
    html, csv, *_ = write_report(course, assignment)
    say(f"students fetch their feedback with the Assignments tab or `nbgrader fetch_feedback {assignment} "
        f"--course {course_id(course)}`\nclass report: {html} (and {csv})")
    failed = [o.student for o in outcomes if o.status == "error"]
    if failed:
        raise GradingFailed(f"the grading of {', '.join(failed)} failed inside the grader: no grade and no feedback "
                            f"for them yet; run `mllab collect-and-grade {assignment}` again to grade them")


@contextlib.contextmanager
def _scratch_services(folder):
    """The demo's own exchange and SQLite gradebook, whatever $MLLAB_EXCHANGE and $MLLAB_DB_URL say."""
    saved = {name: os.environ.pop(name, None) for name in (exchange.EXCHANGE_VARIABLE, DB_URL_VARIABLE)}
    os.environ[exchange.EXCHANGE_VARIABLE] = str(folder)
    try:
        yield folder
    finally:
        os.environ.pop(exchange.EXCHANGE_VARIABLE, None)
        os.environ.update({name: value for name, value in saved.items() if value is not None})


def demo_round_trip(course: Course, assignments: tuple[str, ...], *, say: Callable[[str], None] = print) -> None:
    """`make demo`'s second part: each assignment's demo class through nbgrader's exchange, in a
    scratch copy of the course (.mllab/demo-round-trip/): hand out; every demo student fetches,
    works and submits; collect-and-grade; every student fetches their feedback; grades.csv."""
    scratch = course.root / ".mllab" / "demo-round-trip"
    shutil.rmtree(scratch, ignore_errors=True)
    copy = copy_course(course.root, scratch / "course")
    with _scratch_services(scratch / "exchange") as folder:
        for assignment in assignments:
            say(f"\n== round trip of {assignment} through the exchange {folder}")
            hand_out(copy, assignment, say=say)
            students = _students_hand_in(copy, assignment, scratch / "students", folder, say)
            collect_and_grade(copy, assignment, say=say)
            for student in students:
                student.fetch_feedback(assignment)
            say(f"each student fetched their own feedback into {scratch / 'students'}/<student>/{assignment}/feedback/")
        grades = steps.export_grades(copy, copy.root / "grades.csv")
    say(f"grades of the round trip: {grades}")


def _students_hand_in(course: Course, assignment: str, homes, folder, say) -> list[ExchangeStudent]:
    students = []
    for demo in demo_class(course, assignment):
        student = ExchangeStudent(demo.student_id, homes / demo.student_id, folder, course_id(course))
        student.fetch(assignment)
        student.work(course.source_notebook(assignment), assignment, demo)
        student.submit(assignment)
        students.append(student)
    say(f"{len(students)} demo students fetched {assignment} into {homes}/<student>/{assignment}/, worked and "
        "submitted it (nbgrader fetch_assignment, submit)")
    return students
