"""`nbgrader export` into the CSV files Moodle's and Canvas's grade imports read.

    nbgrader export --exporter=mllab.report.lms_export.MoodleExport --to=moodle.csv
    nbgrader export --exporter=mllab.report.lms_export.CanvasExport --to=canvas.csv

One row per student, one column per assignment: its score after the late penalty (nbgrader's
score minus ``late_submission_penalty``, never below 0), with two decimals and '.' as the
decimal separator. ``--MoodleExport.per_task=True`` (or ``--CanvasExport.per_task=True``) adds
one column per graded cell (``<assignment>: <grade id>``; cells worth 0 points are left out;
cell scores carry no late penalty, nbgrader takes it from the whole submission). A student with
no submission, or without a grade because grading failed inside the grader, gets no grade in
the platform, never a 0. The LMS identity of each student is nbgrader's student table, filled
from the roster (``mllab import-roster roster.csv``, see mllab/course/roster.py).
Students who cannot be matched in the platform, students without a submission and submissions
not graded yet are all listed in warnings that say what to do.

The formats, from the platforms' documentation and source:

* Moodle, "Grade import" (Import grades from CSV):
  https://docs.moodle.org/311/en/Grade_import (also https://docs.moodle.org/27/en/Grade_import).
  A header row, one row per student; on import the teacher maps one column to the user field
  ("Map from" *ID number* to "Map to" *useridnumber*, or *Email address* to *useremail*) and each
  other column to a grade item or to "New grade item". The identity headers here are the ones
  Moodle's own grade export writes (First name, Last name, ID number, Email address). Moodle's
  importer (grade/import/csv/classes/load_data.php in github.com/moodle/moodle) stops the whole
  import at a row whose user it cannot find, and a row with an empty user field takes the previous
  row's user; so a student without the matched field is left out of the file (and named in the
  warning). It reads '-' as "no grade" for existing and new grade items, while an empty cell in a
  new grade item is stored as 0 (Moodle's database layer turns '' into 0 in numeric fields): so
  "no grade" is written '-', the mark Moodle's own export uses. It refuses grades above 100
  unless the site allows unlimited grades (gradepointmax); the export warns when a score is above.
* Canvas, "How do I import grades in the Gradebook?":
  https://community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807
  and the gradebook export it round-trips: the columns Student, ID, SIS User ID, SIS Login ID,
  Section, in that order, then one column per assignment (a column with a new name creates the
  assignment); a second row "Points Possible" gives each assignment's points (optional). Only one
  of Student / ID / SIS User ID is needed to find the student
  (https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades).
  The roster's ``lms_user_id`` goes into SIS User ID (``--CanvasExport.id_column='ID'`` for the
  Canvas user id); the Student column is "Last, First". Canvas shows students it cannot match
  on the import page to be matched by hand, so they are written (with an empty id) and named in
  the warning. An empty cell is no grade.
"""

from __future__ import annotations

import csv
import glob
import json
import os
from dataclasses import dataclass, field

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin
from traitlets import Bool, Enum

IDENTITY = ("first_name", "last_name", "email", "lms_user_id")
ROSTER_FIX = ("add them to the roster (columns id,first_name,last_name,email,lms_user_id) and run "
              "`mllab import-roster roster.csv` (or `nbgrader db student import roster.csv`), "
              "then export again")
MOODLE_MAX = 100.0  # Moodle's gradepointmax unless the site allows unlimited grades


@dataclass(frozen=True)
class Column:
    """One grade column: an assignment's total (cell None) or one graded cell of it."""

    header: str
    assignment: str
    cell: str | None
    max_score: float


@dataclass
class Problems:
    """What the export could not do cleanly, to be reported after the file is written."""

    not_on_roster: list[str] = field(default_factory=list)
    missing_identity: list[str] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)  # student -> their grades, as text
    no_submission: dict[str, list[str]] = field(default_factory=dict)  # assignment -> students
    no_grade: dict[str, list[str]] = field(default_factory=dict)
    not_graded_yet: dict[str, list[str]] = field(default_factory=dict)
    above_max: list[str] = field(default_factory=list)


def number(value: float) -> str:
    """Two decimals, '.' as the decimal separator (the format both platforms read in any locale)."""
    return f"{value:.2f}"


def _has_grade(submission) -> bool:
    """True when some cell of the submission has a score, automatic or manual (as grades_export)."""
    return any(g.auto_score is not None or g.manual_score is not None
               for notebook in submission.notebooks for g in notebook.grades)


def _cell_score(grade) -> float | None:
    if grade.auto_score is None and grade.manual_score is None:
        return None  # not graded (yet): nbgrader's Grade.score would say 0
    return grade.score


def _source_order(coursedir, assignment: str) -> list[str]:
    """The grade ids of the assignment's source notebooks, in notebook order (empty if unreadable)."""
    if coursedir is None:
        return []
    folder = coursedir.format_path(coursedir.source_directory, ".", assignment)
    order = []
    for path in sorted(glob.glob(os.path.join(glob.escape(folder), "*.ipynb"))):
        try:
            with open(path, encoding="utf-8") as handle:
                cells = json.load(handle).get("cells", [])
        except (OSError, ValueError):
            continue
        order += [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in cells]
    return [grade_id for grade_id in order if grade_id]


def _submitted_students(coursedir, assignment: str) -> set[str]:
    """Students with a folder submitted/<student>/<assignment>/."""
    if coursedir is None:
        return set()
    pattern = coursedir.format_path(coursedir.submitted_directory, "*", assignment)
    return {os.path.basename(os.path.dirname(p)) for p in glob.glob(pattern) if os.path.isdir(p)}


class LmsExport(ExportPlugin):
    """Shared by the Moodle and Canvas exports: grade columns, values, and the report of problems."""

    per_task = Bool(False, help="Add one column per graded cell (task) after each assignment's total.").tag(config=True)

    platform = "LMS"
    default_file = "lms.csv"
    no_grade = ""  # what a cell without a grade holds
    writes_unmatched = True  # write students the platform cannot match (else leave them out)

    # --- what each platform defines ---------------------------------------------------------------
    def identity_header(self) -> list[str]:
        raise NotImplementedError

    def identity_cells(self, student) -> list[str]:
        raise NotImplementedError

    def match_fields(self) -> tuple[str, ...]:
        """The student fields the platform needs to find the student (all must be set)."""
        raise NotImplementedError

    def extra_rows(self, columns: list[Column]) -> list[list[str]]:
        return []

    # --- columns and values -----------------------------------------------------------------------
    def _assignments(self, gradebook: Gradebook) -> list:
        wanted = [str(a) for a in self.assignment]
        return [a for a in gradebook.assignments if not wanted or a.name in wanted]

    def _students(self, gradebook: Gradebook) -> list:
        wanted = [str(s) for s in self.student]
        chosen = [s for s in gradebook.students if not wanted or s.id in wanted]
        return sorted(chosen, key=lambda s: ((s.last_name or "").lower(), (s.first_name or "").lower(), s.id))

    def _columns(self, assignments: list) -> list[Column]:
        coursedir = getattr(self.parent, "coursedir", None)
        columns = []
        for assignment in assignments:
            columns.append(Column(assignment.name, assignment.name, None, assignment.max_score))
            if not self.per_task:
                continue
            cells = {c.name: c for notebook in assignment.notebooks for c in notebook.grade_cells if c.max_score}
            order = [g for g in _source_order(coursedir, assignment.name) if g in cells]
            for name in order + sorted(set(cells) - set(order)):
                columns.append(Column(f"{assignment.name}: {name}", assignment.name, name, cells[name].max_score))
        return columns

    def _values(self, gradebook: Gradebook, assignment: str, student: str, columns: list[Column],
                problems: Problems) -> dict[Column, float | None]:
        mine = [c for c in columns if c.assignment == assignment]
        try:
            submission = gradebook.find_submission(assignment, student)
        except MissingEntry:
            problems.no_submission.setdefault(assignment, []).append(student)
            return dict.fromkeys(mine)
        if not _has_grade(submission):
            problems.no_grade.setdefault(assignment, []).append(student)
            return dict.fromkeys(mine)
        grades = {g.name: g for notebook in submission.notebooks for g in notebook.grades}
        penalty = submission.late_submission_penalty or 0.0
        values = {}
        for column in mine:
            if column.cell is None:
                values[column] = max(0.0, submission.score - penalty)
            else:
                values[column] = _cell_score(grades[column.cell]) if column.cell in grades else None
        return values

    def _identified(self, student, problems: Problems) -> bool:
        if not any(getattr(student, f) for f in IDENTITY):
            problems.not_on_roster.append(student.id)
            return False
        if not all(getattr(student, f) for f in self.match_fields()):
            problems.missing_identity.append(student.id)
            return False
        return True

    def _row(self, gradebook: Gradebook, student, columns: list[Column], problems: Problems) -> list[str] | None:
        values = {}
        for assignment in dict.fromkeys(c.assignment for c in columns):
            values.update(self._values(gradebook, assignment, student.id, columns, problems))
        cells = [self.no_grade if values[c] is None else number(values[c]) for c in columns]
        if self.platform == "Moodle" and any(v is not None and v > MOODLE_MAX for v in values.values()):
            problems.above_max.append(student.id)
        if self._identified(student, problems) or self.writes_unmatched:
            return self.identity_cells(student) + cells
        problems.left_out[student.id] = ", ".join(f"{c.header}={v}" for c, v in zip(columns, cells))
        return None

    def export(self, gradebook: Gradebook) -> None:
        destination = self.to or self.default_file
        assignments = self._assignments(gradebook)
        columns = self._columns(assignments)
        problems = Problems()
        rows = [self._row(gradebook, s, columns, problems) for s in self._students(gradebook)]
        coursedir = getattr(self.parent, "coursedir", None)
        for assignment in assignments:
            graded = {s.student.id for s in gradebook.find_assignment(assignment.name).submissions}
            waiting = sorted(_submitted_students(coursedir, assignment.name) - graded)
            if waiting:
                problems.not_graded_yet[assignment.name] = waiting
        with open(destination, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(self.identity_header() + [c.header for c in columns])
            writer.writerows(self.extra_rows(columns))
            writer.writerows(row for row in rows if row is not None)
        written = sum(row is not None for row in rows)
        self.log.info("%s export: %d students, %d grade columns, written to %s", self.platform, written,
                      len(columns), destination)
        for line in self.warnings(problems, destination):
            self.log.warning(line)

    # --- the report ---------------------------------------------------------------------------------
    def unmatched_note(self) -> str:
        raise NotImplementedError

    def warnings(self, problems: Problems, destination: str) -> list[str]:
        lines = []
        if problems.not_on_roster:
            lines.append(f"{self.platform} export: not on the roster (no name, email or LMS id in nbgrader's "
                         f"student table): {', '.join(problems.not_on_roster)}. {self.unmatched_note()} "
                         f"To fix: {ROSTER_FIX}.")
        if problems.missing_identity:
            needed = " and ".join(self.match_fields())
            lines.append(f"{self.platform} export: on the roster without {needed}, which {self.platform} needs to "
                         f"find them: {', '.join(problems.missing_identity)}. {self.unmatched_note()} To fix: fill in "
                         f"{needed} for them in the roster and import it again "
                         "(`mllab import-roster roster.csv`), then export again.")
        if problems.left_out:
            grades = "; ".join(f"{s}: {g}" for s, g in problems.left_out.items())
            lines.append(f"{self.platform} export: their grades, not in {destination}: {grades}")
        for assignment, students in problems.no_submission.items():
            lines.append(f"{self.platform} export: no submission for {assignment} (no grade, not 0): "
                         f"{', '.join(students)}. If they did hand in, collect the submission "
                         f"(`nbgrader collect {assignment}`) and run `mllab autograde {assignment}`.")
        for assignment, students in problems.no_grade.items():
            lines.append(f"{self.platform} export: submitted {assignment} but have no grade (grading failed inside "
                         f"the grader; no grade, not 0): {', '.join(students)}. Run `mllab autograde {assignment} "
                         f"--student {' '.join(students)}`, then export again.")
        for assignment, students in problems.not_graded_yet.items():
            lines.append(f"{self.platform} export: handed in {assignment} but not graded yet, so not in "
                         f"{destination}: {', '.join(students)}. Run `mllab autograde {assignment}`, then export "
                         "again.")
        if problems.above_max:
            lines.append(f"{self.platform} export: scores above {MOODLE_MAX:g} for {', '.join(problems.above_max)}: "
                         "Moodle refuses such grades unless the site allows them (Site administration > Grades > "
                         "General settings: Unlimited grades, Grade point maximum).")
        return lines


class MoodleExport(LmsExport):
    """Moodle's "Import grades from CSV": First name, Last name, ID number, Email address, grades.

    ``match_by`` is the column you will map the users with on Moodle's import page: "idnumber"
    (the roster's lms_user_id, Moodle's ID number, the default) or "email"."""

    match_by = Enum(["idnumber", "email"], default_value="idnumber",
                    help="The Moodle user field the import matches students by.").tag(config=True)

    platform = "Moodle"
    default_file = "moodle.csv"
    no_grade = "-"
    writes_unmatched = False

    def identity_header(self) -> list[str]:
        return ["First name", "Last name", "ID number", "Email address"]

    def identity_cells(self, student) -> list[str]:
        return [student.first_name or "", student.last_name or "", student.lms_user_id or "", student.email or ""]

    def match_fields(self) -> tuple[str, ...]:
        return ("lms_user_id",) if self.match_by == "idnumber" else ("email",)

    def unmatched_note(self) -> str:
        return ("They are left out of the file: Moodle stops the whole import at a row whose user it cannot "
                "find. Their grades are listed below and stay in the gradebook.")


class CanvasExport(LmsExport):
    """Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, grades, and
    a "Points Possible" row (``points_possible = False`` leaves it out)."""

    id_column = Enum(["SIS User ID", "ID", "SIS Login ID"], default_value="SIS User ID",
                     help="The Canvas column that carries the roster's lms_user_id.").tag(config=True)
    points_possible = Bool(True, help="Write Canvas's optional 'Points Possible' row.").tag(config=True)

    platform = "Canvas"
    default_file = "canvas.csv"
    no_grade = ""
    writes_unmatched = True

    HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]

    def identity_header(self) -> list[str]:
        return list(self.HEADER)

    def identity_cells(self, student) -> list[str]:
        name = ", ".join(n for n in (student.last_name, student.first_name) if n) or student.id
        cells = dict.fromkeys(self.HEADER, "")
        cells["Student"] = name
        cells[self.id_column] = student.lms_user_id or ""
        return list(cells.values())

    def match_fields(self) -> tuple[str, ...]:
        return ("lms_user_id",)

    def extra_rows(self, columns: list[Column]) -> list[list[str]]:
        if not self.points_possible:
            return []
        return [["    Points Possible", "", "", "", ""] + [number(c.max_score) for c in columns]]

    def unmatched_note(self) -> str:
        return (f"Their rows are written with an empty {self.id_column}: Canvas lists them on the import page "
                "to be matched by hand.")
