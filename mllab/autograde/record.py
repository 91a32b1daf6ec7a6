"""Write each graded student into the course's gradebook the moment its worker is done.

The coordinator (`mllab autograde` itself) is the only writer, with one connection. For each
student it runs nbgrader's own SaveAutoGrades and AssignLatePenalties on the autograded notebook
the worker staged, all in one transaction, and moves that notebook into
``autograded/<student>/<assignment>/``. A run stopped at any moment leaves every student either
recorded or not, never half: the rerun grades the students without a saved outcome.

Students whose file could not be graded at all get a submission whose grades are all 0, as
nbgrader does for a missing notebook. A student whose grading failed inside the grader gets no
autograded score at all (see :meth:`Recorder.unrecord`).

Deadlines and extensions come from course.toml and extensions.csv (mllab.course.deadlines): the
assignment's duedate and each student's extension are written with the student's grades, and the
late penalty of students not graded again is recomputed on every run, so an extension granted
later removes a penalty without a regrade.
"""

from __future__ import annotations

import contextlib
import shutil
import warnings
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades
from sqlalchemy import text
from sqlalchemy.exc import OperationalError, SAWarning

from mllab.course.deadlines import Extension, check_students, deadlines, gradebook_duedate, read_extensions
from mllab.course.paths import Course, course_config
from mllab.errors import MllabError


class GradebookUnavailable(MllabError):
    """The gradebook cannot be written (read-only, locked, or gone): no student is to blame."""

    exit_code = 7


def staging_dir(course: Course, assignment: str) -> Path:
    return course.root / ".mllab" / "staged" / assignment


class _DeferredCommit:
    """A gradebook session whose ``commit`` only flushes: nbgrader's methods commit as they go,
    and the recorder wants a whole student in one transaction."""

    def __init__(self, session) -> None:
        self._session = session

    def commit(self) -> None:
        self._session.flush()
        self._session.expire_all()  # as a commit would: column properties (scores) are read again

    def __getattr__(self, name: str):
        return getattr(self._session, name)


class _SaveGrades(SaveAutoGrades):
    """nbgrader's SaveAutoGrades, on the recorder's gradebook instead of a connection of its own."""

    def save(self, gradebook: Gradebook, nb, resources: dict) -> None:
        ids = resources["nbgrader"]
        self.notebook_id, self.assignment_id, self.student_id = ids["notebook"], ids["assignment"], ids["student"]
        self.gradebook = gradebook
        super(SaveAutoGrades, self).preprocess(nb, resources)  # the cell loop: _add_score and _add_comment


class _LatePenalty(AssignLatePenalties):
    """nbgrader's AssignLatePenalties (its configured plugin), on the recorder's gradebook."""

    def assign(self, gradebook: Gradebook, notebook: str, assignment: str, student: str) -> None:
        self.init_plugin()
        late = gradebook.find_submission(assignment, student).total_seconds_late
        graded = gradebook.find_submission_notebook(notebook, assignment, student)
        penalty = self.plugin_inst.late_submission_penalty(student, graded.score, late) if late > 0 else None
        graded.late_submission_penalty = None if penalty is None else self._check_late_penalty(graded, penalty)


class Recorder:
    """The coordinator's one gradebook connection, recording one student per transaction."""

    def __init__(self, course: Course, assignment: str) -> None:
        config = course_config(course)
        self.course, self.assignment = course, assignment
        self.coursedir = CourseDirectory(config=config)
        self.saver, self.late = _SaveGrades(config=config), _LatePenalty(config=config)
        self.deadline = deadlines(course.root).get(assignment)
        self.extensions: dict[str, Extension] = {
            s: e for (s, a), e in read_extensions(course.root).items() if a == assignment}
        try:
            self.gradebook = Gradebook(self.coursedir.db_url, self.coursedir.course_id)
            self.notebooks = [n.name for n in self.gradebook.find_assignment(assignment).notebooks]
            known = {s.id for s in self.gradebook.students}
        except OperationalError as error:
            raise GradebookUnavailable(_unavailable(self.coursedir.db_url, error)) from None
        except BaseException:
            self.close()
            raise
        submitted = {p.parent.name for p in course.submitted.glob(f"*/{assignment}")}
        try:
            check_students({(s, assignment): e for s, e in self.extensions.items()}, assignment,
                           known | submitted, course.root)
        except MllabError:
            self.close()
            raise

    def prove_writable(self) -> None:
        """A write rolled back at once: a read-only or locked gradebook is found before any worker starts."""
        session = self.gradebook.db
        try:
            session.execute(text("UPDATE course SET id = id"))
        except OperationalError as error:
            raise GradebookUnavailable(_unavailable(self.coursedir.db_url, error)) from None
        finally:
            session.rollback()

    def close(self) -> None:
        if hasattr(self, "gradebook"):
            self.gradebook.close()

    @contextlib.contextmanager
    def _transaction(self):
        session = self.gradebook.db
        self.gradebook.db = _DeferredCommit(session)
        try:
            with warnings.catch_warnings():  # nbgrader on SQLAlchemy 2 warns that backrefs no longer cascade
                warnings.simplefilter("ignore", SAWarning)
                yield self.gradebook
            session.commit()
        except OperationalError as error:
            session.rollback()
            raise GradebookUnavailable(_unavailable(self.coursedir.db_url, error)) from None
        except BaseException:
            session.rollback()
            raise
        finally:
            self.gradebook.db = session

    def prepare(self, students: list[str]) -> None:
        """Create the students before any result arrives (one transaction), and prove the gradebook writable."""
        with self._transaction() as gradebook:
            gradebook.db.execute(text("UPDATE course SET id = id"))  # a write, even when nothing is new
            self._sync_duedate(gradebook)
            for student in students:
                gradebook.update_or_create_student(student)

    def refresh_lateness(self, students: list[str]) -> None:
        """The deadline, extension and late penalty of students graded before (one transaction)."""
        with self._transaction() as gradebook:
            self._sync_duedate(gradebook)
            for student in students:
                try:
                    submission = gradebook.find_submission(self.assignment, student)
                except MissingEntry:
                    continue
                self._extend(gradebook, student)
                for notebook in submission.notebooks if self.late.enabled else ():
                    self.late.assign(gradebook, notebook.name, self.assignment, student)

    def record(self, student: str, staged: Path) -> None:
        """Save the grades of a student's staged autograded folder and move the folder into place."""
        with self._transaction() as gradebook:
            self._submission(gradebook, student)
            for name in self.notebooks:
                notebook = staged / f"{name}.ipynb"
                if notebook.is_file():
                    self._save(gradebook, student, name, nbformat.read(notebook, as_version=4))
                else:
                    _zero(gradebook, name, self.assignment, student)
            _move_into_place(staged, self._autograded(student))

    def record_zero(self, student: str) -> None:
        """A student with no gradable notebook: a submission with every grade 0, as nbgrader gives."""
        with self._transaction() as gradebook:
            self._submission(gradebook, student)
            for name in self.notebooks:
                _zero(gradebook, name, self.assignment, student)
            shutil.rmtree(self._autograded(student), ignore_errors=True)

    def unrecord(self, student: str) -> None:
        """An internal failure: no autograded score (not 0). Manual grades a TA gave are kept."""
        with self._transaction() as gradebook:
            try:
                submission = gradebook.find_submission(self.assignment, student)
            except MissingEntry:
                submission = None
            for grade in [g for n in submission.notebooks for g in n.grades] if submission else []:
                grade.auto_score = None
                grade.needs_manual_grade = grade.manual_score is None and grade.cell_type != "code"
            shutil.rmtree(self._autograded(student), ignore_errors=True)

    def code_scores(self) -> dict[str, float]:
        """Every student's autograded points on the assignment (what `mllab autograde` shows)."""
        assignment = self.gradebook.find_assignment(self.assignment)
        return {submission.student_id: submission.code_score for submission in assignment.submissions}

    def code_score(self, student: str) -> float | None:
        """One student's autograded points on the assignment (None when not recorded)."""
        try:
            return self.gradebook.find_submission(self.assignment, student).code_score
        except MissingEntry:
            return None

    def _submission(self, gradebook: Gradebook, student: str) -> None:
        gradebook.update_or_create_student(student)
        folder = self.course.submission_dir(student, self.assignment)
        timestamp = self.coursedir.get_existing_timestamp(str(folder))
        gradebook.update_or_create_submission(self.assignment, student,
                                              **({"timestamp": timestamp} if timestamp else {}))
        self._extend(gradebook, student)

    def _sync_duedate(self, gradebook: Gradebook) -> None:
        """course.toml's deadline into the gradebook (without one there, the gradebook's stays)."""
        if self.deadline is not None:
            gradebook.update_or_create_assignment(self.assignment, duedate=gradebook_duedate(self.deadline))

    def _extend(self, gradebook: Gradebook, student: str) -> None:
        """The student's extension from extensions.csv, or none (the file is the one source), through
        nbgrader's own grant_extension (its commit only flushes inside the recorder's transaction)."""
        extension = self.extensions.get(student)
        minutes = extension.extra.total_seconds() / 60 if extension else 0
        gradebook.grant_extension(self.assignment, student, minutes=minutes)

    def _save(self, gradebook: Gradebook, student: str, notebook: str, nb) -> None:
        resources = {"nbgrader": {"notebook": notebook, "assignment": self.assignment, "student": student,
                                  "db_url": self.coursedir.db_url}}
        self.saver.save(gradebook, nb, resources)
        if self.late.enabled:
            self.late.assign(gradebook, notebook, self.assignment, student)

    def _autograded(self, student: str) -> Path:
        return self.course.autograded / student / self.assignment


def _zero(gradebook: Gradebook, notebook: str, assignment: str, student: str) -> None:
    for grade in gradebook.find_submission_notebook(notebook, assignment, student).grades:
        grade.auto_score = 0
        grade.needs_manual_grade = False


def _move_into_place(staged: Path, final: Path) -> None:
    """Replace ``final`` with ``staged``; an interrupted move leaves the old folder aside, never a mix."""
    old = final.with_name(f".{final.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        final.rename(old)
    shutil.move(str(staged), str(final))
    shutil.rmtree(old, ignore_errors=True)
    with contextlib.suppress(OSError):
        staged.parent.rmdir()  # the student's folder in the staging area, now empty


def clear_leftovers(course: Course, assignment: str) -> None:
    """What an interrupted run left half-way: staged folders and set-aside autograded folders."""
    shutil.rmtree(staging_dir(course, assignment), ignore_errors=True)
    for old in course.autograded.glob(f"*/.{assignment}.old"):
        shutil.rmtree(old, ignore_errors=True)


def _unavailable(db_url: str, error: OperationalError) -> str:
    from sqlalchemy.engine import make_url

    where = db_url.removeprefix("sqlite:///") if db_url.startswith("sqlite") else \
        make_url(db_url).render_as_string(hide_password=True)
    return (f"cannot write the gradebook {where}: {error.orig}. No student's grade was changed by this failure. "
            "Make sure the file and its folder are writable by you and that no other program holds it "
            "(another `mllab autograde` or `nbgrader` run, a formgrader saving a grade), then run the same "
            "command again: students already recorded are kept.")
