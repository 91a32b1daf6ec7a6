"""Do the Moodle and Canvas exports write what each platform's grade import reads, with the roster's ids?

A small real class (three demo submissions, graded by `mllab autograde`'s code), a roster with
a student who never submitted, then the real `nbgrader export` with each exporter.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from mllab.autograde.run import autograde_class
from mllab.classes.demo import LOSS_AND_METRIC, write_submissions
from mllab.course import nbgrader_steps as steps
from mllab.course.roster import COLUMNS, import_roster, read_roster
from mllab.errors import UsageError
from tests.conftest import ASSIGNMENT, copy_course, release_assignment

SUBMITTERS = ("perfect", "blank", "mse_sum_naive_softmax")
ROSTER = [  # mse_sum_naive_softmax handed in but is not on the roster; blank has no LMS id
    ("perfect", "Ada", "Lovelace", "ada@example.org", "S1001"),
    ("blank", "Blaise", "Pascal", "blaise@example.org", ""),
    ("absent", "Carl", "Gauss", "carl@example.org", "S1003"),
]
MOODLE = "mllab.report.lms_export.MoodleExport"
CANVAS = "mllab.report.lms_export.CanvasExport"
NUMBER = re.compile(r"^\d+\.\d\d$")


def write_roster(path: Path, rows) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = copy_course(tmp_path_factory.mktemp("lms") / "course")
    release_assignment(course, ASSIGNMENT)
    write_submissions(course, ASSIGNMENT, tuple(s for s in LOSS_AND_METRIC if s.student_id in SUBMITTERS))
    autograde_class(course, ASSIGNMENT, jobs=2, say=lambda line: None)
    import_roster(course, write_roster(course.root / "roster.csv", ROSTER))
    return course


def export(course, exporter: str, name: str, *options: str) -> tuple[list[list[str]], str]:
    """Run the real `nbgrader export`; the CSV's rows and what nbgrader printed."""
    destination = course.root / name
    done = subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "export", f"--exporter={exporter}",
                           f"--to={destination}", *options], cwd=course.root, env=steps.tool_environment(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    text = destination.read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text))), done.stdout + done.stderr


@pytest.fixture(scope="module")
def moodle(course):
    return export(course, MOODLE, "moodle.csv")


@pytest.fixture(scope="module")
def canvas(course):
    return export(course, CANVAS, "canvas.csv")


def by_column(rows: list[list[str]], key: str) -> dict[str, dict[str, str]]:
    header = rows[0]
    return {row[header.index(key)]: dict(zip(header, row)) for row in rows[1:]}


def total(course, student: str) -> float:
    with Gradebook(course.db_url) as gradebook:
        submission = gradebook.find_submission(ASSIGNMENT, student)
        return max(0.0, submission.score - submission.late_submission_penalty)


def test_moodle_header_is_moodles_identity_columns_then_one_column_per_assignment(moodle):
    rows, _ = moodle
    assert rows[0] == ["First name", "Last name", "ID number", "Email address", ASSIGNMENT]


def test_moodle_rows_carry_the_rosters_id_number_and_email(moodle):
    rows, _ = moodle
    students = by_column(rows, "ID number")
    assert students["S1001"]["Email address"] == "ada@example.org"
    assert (students["S1001"]["First name"], students["S1001"]["Last name"]) == ("Ada", "Lovelace")
    assert students["S1003"]["Email address"] == "carl@example.org"


def test_moodle_score_is_the_total_with_two_decimals_and_a_point(course, moodle):
    rows, _ = moodle
    score = by_column(rows, "ID number")["S1001"][ASSIGNMENT]
    assert NUMBER.match(score) and float(score) == pytest.approx(total(course, "perfect"), abs=0.005)


def test_moodle_student_without_a_submission_gets_moodles_no_grade_mark_not_zero(moodle):
    rows, output = moodle
    assert by_column(rows, "ID number")["S1003"][ASSIGNMENT] == "-"
    assert re.search(r"no submission for loss_and_metric \(no grade, not 0\): absent", output)


def test_moodle_leaves_out_students_it_cannot_match_and_names_them_with_their_grades(moodle):
    rows, output = moodle
    assert len(rows) == 3 and all(row[2] for row in rows[1:])  # header, perfect, absent: each with an ID number
    assert "not on the roster" in output and "mse_sum_naive_softmax" in output
    assert re.search(r"on the roster without lms_user_id.*: blank\.", output)
    assert re.search(r"blank: loss_and_metric=0\.00", output)  # nothing lost: the grade is in the warning
    assert "mllab import-roster roster.csv" in output and "nbgrader db student import" in output


def test_moodle_matched_by_email_writes_students_without_an_lms_id(course):
    rows, output = export(course, MOODLE, "moodle-email.csv", "--MoodleExport.match_by=email")
    students = by_column(rows, "Email address")
    assert students["blaise@example.org"][ASSIGNMENT] == "0.00" and students["blaise@example.org"]["ID number"] == ""
    assert "without lms_user_id" not in output and "mse_sum_naive_softmax" in output


def test_canvas_header_is_canvas_gradebook_columns_then_one_column_per_assignment(canvas):
    rows, _ = canvas
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ASSIGNMENT]


def test_canvas_points_possible_row_gives_each_assignments_points(course, canvas):
    rows, _ = canvas
    with Gradebook(course.db_url) as gradebook:
        points = gradebook.find_assignment(ASSIGNMENT).max_score
    assert rows[1] == ["    Points Possible", "", "", "", "", f"{points:.2f}"]


def test_canvas_sis_user_id_is_the_rosters_lms_user_id(course, canvas):
    rows, _ = canvas
    students = by_column(rows[:1] + rows[2:], "Student")
    assert students["Lovelace, Ada"]["SIS User ID"] == "S1001"
    assert students["Gauss, Carl"]["SIS User ID"] == "S1003"
    assert {s["ID"] for s in students.values()} == {""}
    score = students["Lovelace, Ada"][ASSIGNMENT]
    assert NUMBER.match(score) and float(score) == pytest.approx(total(course, "perfect"), abs=0.005)


def test_canvas_student_without_a_submission_gets_an_empty_cell_not_zero(canvas):
    rows, output = canvas
    students = by_column(rows[:1] + rows[2:], "Student")
    assert students["Gauss, Carl"][ASSIGNMENT] == ""
    assert students["Pascal, Blaise"][ASSIGNMENT] == "0.00"  # blank handed in an empty notebook: a real 0
    assert "no submission for loss_and_metric" in output


def test_canvas_writes_students_it_cannot_match_and_warns(canvas):
    rows, output = canvas
    students = by_column(rows[:1] + rows[2:], "Student")
    assert students["mse_sum_naive_softmax"]["SIS User ID"] == ""
    assert NUMBER.match(students["mse_sum_naive_softmax"][ASSIGNMENT])
    assert students["Pascal, Blaise"]["SIS User ID"] == ""
    assert "WARNING" in output and "not on the roster" in output and "matched by hand" in output


def test_per_task_adds_one_column_per_graded_cell_in_notebook_order(course):
    rows, _ = export(course, CANVAS, "canvas-tasks.csv", "--CanvasExport.per_task=True")
    tasks = [h for h in rows[0] if h.startswith(f"{ASSIGNMENT}: ")]
    with Gradebook(course.db_url) as gradebook:
        cells = {c.name: c.max_score for n in gradebook.find_assignment(ASSIGNMENT).notebooks for c in n.grade_cells}
    assert sorted(tasks) == sorted(f"{ASSIGNMENT}: {name}" for name, points in cells.items() if points)
    assert rows[0].index(ASSIGNMENT) < rows[0].index(tasks[0])
    perfect = by_column(rows[:1] + rows[2:], "Student")["Lovelace, Ada"]
    earned = [float(perfect[t]) for t in tasks if perfect[t]]
    assert sum(earned) == pytest.approx(float(perfect[ASSIGNMENT]), abs=0.05)  # no late penalty here
    assert all(NUMBER.match(perfect[t]) or perfect[t] == "" for t in tasks)
    points = dict(zip(rows[0], rows[1]))
    assert all(float(points[f"{ASSIGNMENT}: {name}"]) == cells[name] for name in cells if cells[name])


def test_score_is_nbgraders_score_minus_the_late_penalty(course):
    with Gradebook(course.db_url) as gradebook:
        notebook = gradebook.find_submission(ASSIGNMENT, "perfect").notebooks[0]
        before, notebook.late_submission_penalty = notebook.late_submission_penalty, 12.5
        gradebook.db.commit()
    try:
        rows, _ = export(course, MOODLE, "moodle-late.csv")
        with Gradebook(course.db_url) as gradebook:
            raw = gradebook.find_submission(ASSIGNMENT, "perfect").score
        assert by_column(rows, "ID number")["S1001"][ASSIGNMENT] == f"{raw - 12.5:.2f}"
    finally:
        with Gradebook(course.db_url) as gradebook:
            gradebook.find_submission(ASSIGNMENT, "perfect").notebooks[0].late_submission_penalty = before
            gradebook.db.commit()


def test_a_submission_not_graded_yet_is_reported(course):
    folder = course.submission_dir("late_comer", ASSIGNMENT)
    folder.mkdir(parents=True)
    try:
        _, output = export(course, CANVAS, "canvas-waiting.csv")
    finally:
        folder.rmdir()
        folder.parent.rmdir()
    assert re.search(r"handed in loss_and_metric but not graded yet.*: late_comer\. Run `mllab autograde", output)


def test_a_roster_with_a_duplicate_id_is_refused_naming_the_line_and_nothing_changes(course, tmp_path):
    roster = write_roster(tmp_path / "roster.csv", [*ROSTER, ("perfect", "Ada", "Byron", "", "S9999")])
    with Gradebook(course.db_url) as gradebook:
        before = sorted((s.id, s.last_name, s.lms_user_id) for s in gradebook.students)
    with pytest.raises(UsageError, match=r"roster.csv line 5: id 'perfect' again, first on line 2: one row per "
                                         r"student"):
        import_roster(course, roster)
    with Gradebook(course.db_url) as gradebook:
        assert sorted((s.id, s.last_name, s.lms_user_id) for s in gradebook.students) == before


def test_a_roster_with_an_empty_id_or_a_shared_lms_id_names_each_line(tmp_path):
    roster = write_roster(tmp_path / "roster.csv", [*ROSTER, ("", "No", "Body", "", ""),
                                                    ("dora", "Dora", "Other", "dora@example.org", "S1001")])
    with pytest.raises(UsageError) as raised:
        read_roster(roster)
    message = str(raised.value)
    assert "line 5: empty id" in message and "submitted/" in message
    assert "line 6: lms_user_id 'S1001' again, first on line 2" in message


def test_a_roster_with_an_unknown_column_is_refused(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,first_name,last_name,email,lms_id\nada,Ada,Lovelace,ada@example.org,S1\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"line 1: unknown column 'lms_id'.*lms_user_id"):
        read_roster(roster)


def test_a_roster_saved_by_a_spreadsheet_with_a_byte_order_mark_is_read(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("\ufeffid,email,lms_user_id\nada,ada@example.org,S1\n", encoding="utf-8")
    entries = read_roster(roster)
    assert [(e.id, e.email, e.lms_user_id, e.line) for e in entries] == [("ada", "ada@example.org", "S1", 2)]


def test_the_roster_command_imports_and_refuses_bad_rosters_with_exit_code_2(course, tmp_path):
    bad = write_roster(tmp_path / "bad.csv", [ROSTER[0], ROSTER[0]])
    done = subprocess.run([str(Path(sys.executable).parent / "mllab"), "import-roster", str(bad)], cwd=course.root,
                          env=steps.tool_environment(), capture_output=True, text=True, timeout=120)
    assert done.returncode == UsageError.exit_code and "line 3: id 'perfect' again" in done.stderr
    good = write_roster(tmp_path / "good.csv", ROSTER)
    done = subprocess.run([str(Path(sys.executable).parent / "mllab"), "import-roster", str(good)], cwd=course.root,
                          env=steps.tool_environment(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "imported 3 students" in done.stdout
