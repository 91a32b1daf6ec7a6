"""Do deadlines, extensions and the late rule work as the course states them: a late submission
without an extension loses exactly the configured penalty, with one it loses nothing, an extension
granted later removes the penalty on the next run, and the feedback page and the report say so?
Do bad deadlines and extension files get a clear message?"""

from __future__ import annotations

import csv
import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mllab.classes.demo import LOSS_AND_METRIC, write_submissions
from mllab.course.deadlines import EXTENSIONS_FILE, deadlines, read_extensions
from mllab.course.late_penalty import PercentPerStartedDay
from mllab.course.assignments import assignment_names
from mllab.course.scores import assignment_scores
from mllab.errors import UsageError
from tests.conftest import ASSIGNMENT, REPO, copy_course, page_text

BIN = Path(sys.executable).parent
SUBMITTED_AT = "2026-11-20 12:00:00.000000 UTC"  # nbgrader's timestamp.txt format
DEADLINE = "2026-11-19T07:00:00+01:00"  # 06:00 UTC: the submissions are 30 hours late, 2 started days
HEADER = "student_id,assignment,extra_days,new_deadline,reason\n"


def _with_deadline(course, value: str = DEADLINE):
    """``value`` as the due date of ASSIGNMENT in the course's course.toml."""
    path = course.root / "course.toml"
    text, count = re.subn(rf"^(\[assignments\.{ASSIGNMENT}\]\n)due = .*$", lambda m: f"{m.group(1)}due = {value}",
                          path.read_text(encoding="utf-8"), count=1, flags=re.M)
    assert count == 1, "the table of ASSIGNMENT starts with its due date"
    path.write_text(text, encoding="utf-8")


def _mllab(course, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    return subprocess.run([str(BIN / "mllab"), *args], cwd=course.root, env=env, capture_output=True, text=True,
                          timeout=900, check=check)


@pytest.mark.parametrize("seconds, taken", [(0, 0.0), (1, 10.0), (24 * 3600, 10.0), (30 * 3600, 20.0),
                                            (7 * 24 * 3600, 70.0), (7 * 24 * 3600 + 1, 100.0)])
def test_the_late_rule_takes_ten_percent_per_started_day_and_everything_after_a_week(seconds, taken):
    assert PercentPerStartedDay().late_submission_penalty("s", 100.0, seconds) == pytest.approx(taken)


@pytest.mark.parametrize("value, message", [('"2026-12-01 23:59"', "no UTC offset"),
                                            ('"the first of December"', "is not a date and time")])
def test_a_deadline_without_offset_or_unreadable_says_how_to_write_it(tmp_path, value, message):
    course = copy_course(tmp_path / "course")
    _with_deadline(course, value)
    with pytest.raises(UsageError, match=message) as raised:
        deadlines(course.root)
    assert "2026-12-14T23:59:00+01:00" in str(raised.value)


@pytest.mark.parametrize("row, message", [
    ("s1,no_such_lab,2,,ill", "line 2: unknown assignment 'no_such_lab'"),
    ("s1,loss_and_metric,2,2026-12-20T12:00:00+01:00,ill", "exactly one"),
    ("s1,loss_and_metric,two,,ill", "'two' is not a number of days"),
    ("s1,loss_and_metric,,20.12.2026,ill", "is not a date and time"),
    ("s1,loss_and_metric,2,,ill\ns1,loss_and_metric,3,,ill", "line 3: a second extension for s1"),
])
def test_a_bad_extensions_file_names_the_line_and_what_to_fix(tmp_path, row, message):
    course = copy_course(tmp_path / "course")
    _with_deadline(course)
    (course.root / EXTENSIONS_FILE).write_text(HEADER + row + "\n", encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        read_extensions(course.root)


def test_a_new_deadline_becomes_the_extension_past_the_deadline(tmp_path):
    course = copy_course(tmp_path / "course")
    _with_deadline(course)
    (course.root / EXTENSIONS_FILE).write_text(HEADER + "s1,loss_and_metric,,2026-11-21T07:00:00+01:00,flu\n",
                                               encoding="utf-8")
    extension = read_extensions(course.root)[("s1", ASSIGNMENT)]
    assert extension.extra.total_seconds() == 2 * 24 * 3600 and extension.reason == "flu"


@pytest.fixture(scope="module")
def late_class(tmp_path_factory):
    """Two copies of the perfect notebook, both 30 h late; only `excused` has an extension (2 days)."""
    course = copy_course(tmp_path_factory.mktemp("late") / "course")
    _with_deadline(course)
    _mllab(course, "release", ASSIGNMENT)
    perfect = next(s for s in LOSS_AND_METRIC if s.student_id == "perfect")
    students = tuple(dataclasses.replace(perfect, student_id=name) for name in ("tardy", "excused"))
    write_submissions(course, ASSIGNMENT, students)
    for name in ("tardy", "excused"):
        (course.submission_dir(name, ASSIGNMENT) / "timestamp.txt").write_text(SUBMITTED_AT, encoding="utf-8")
    (course.root / EXTENSIONS_FILE).write_text(HEADER + "excused,loss_and_metric,2,,hospital\n", encoding="utf-8")
    first = _mllab(course, "autograde", ASSIGNMENT, "--jobs", "2")
    _mllab(course, "report", ASSIGNMENT)
    subprocess.run([str(BIN / "nbgrader"), "generate_feedback", ASSIGNMENT, "--force"], cwd=course.root, check=True,
                   capture_output=True, env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}, timeout=600)
    return course, first, {s.student: s for s in assignment_scores(course, ASSIGNMENT)}


def test_a_late_submission_loses_exactly_the_penalty_and_one_with_an_extension_nothing(late_class):
    course, first, scores = late_class
    assert scores["tardy"].auto_score == scores["excused"].auto_score == 100
    assert scores["tardy"].late.penalty == pytest.approx(20.0)  # 2 started days: 20 % of 100 points
    assert scores["tardy"].late.seconds_late == 30 * 3600
    assert scores["excused"].late.penalty == 0 and scores["excused"].late.seconds_late == 0
    assert "tardy: Submitted 1 day 6 h late" in first.stdout and "20 points taken" in first.stdout
    assert "excused" not in first.stdout.split("late submissions")[1]


def test_the_feedback_page_and_the_report_show_the_lateness(late_class):
    course, _, _ = late_class
    tardy = page_text(course.feedback_dir("tardy", ASSIGNMENT) / f"{ASSIGNMENT}.html")
    assert "Deadline. Submitted 1 day 6 h late (deadline 2026-11-19 06:00 UTC): 20 points taken" in tardy
    excused = page_text(course.feedback_dir("excused", ASSIGNMENT) / f"{ASSIGNMENT}.html")
    assert "Submitted on time (deadline 2026-11-19 06:00 UTC, extended by 2 days to 2026-11-21 06:00 UTC)" in excused
    rows = {r["student"]: r for r in csv.DictReader((course.root / "reports" / f"{ASSIGNMENT}.csv").open())}
    assert rows["tardy"]["late_penalty"] == "20" and rows["excused"]["late_penalty"] == "0"
    report = page_text(course.root / "reports" / f"{ASSIGNMENT}.html")
    assert "Late submissions" in report and "tardy Submitted 1 day 6 h late" in report


def test_an_extension_granted_later_removes_the_penalty_on_the_next_run(late_class):
    course, _, _ = late_class
    extensions = course.root / EXTENSIONS_FILE
    before = extensions.read_text(encoding="utf-8")
    extensions.write_text(before + "tardy,loss_and_metric,1.5,,bus strike\n", encoding="utf-8")
    try:
        again = _mllab(course, "autograde", ASSIGNMENT)
        assert "unchanged" in again.stdout and "late submissions" not in again.stdout
        late = {s.student: s.late for s in assignment_scores(course, ASSIGNMENT)}["tardy"]
        assert late.penalty == 0 and late.extension.total_seconds() == 1.5 * 24 * 3600
    finally:
        extensions.write_text(before, encoding="utf-8")
        _mllab(course, "autograde", ASSIGNMENT)


def test_an_extension_for_an_unknown_student_stops_before_grading_and_changes_nothing(late_class):
    course, _, _ = late_class
    extensions = course.root / EXTENSIONS_FILE
    before, gradebook = extensions.read_text(encoding="utf-8"), course.gradebook.read_bytes()
    extensions.write_text(before + "tardie,loss_and_metric,1,,typo\n", encoding="utf-8")
    try:
        refused = _mllab(course, "autograde", ASSIGNMENT, "--force", check=False)
    finally:
        extensions.write_text(before, encoding="utf-8")
    assert refused.returncode == 2, refused.stderr
    assert "unknown student(s) tardie" in refused.stderr and "nbgrader db student add" in refused.stderr
    assert course.gradebook.read_bytes() == gradebook


@pytest.mark.parametrize("assignment", assignment_names(REPO))
def test_the_release_header_shows_the_deadline_and_the_late_rule(repo, assignment):
    import nbformat

    due = deadlines(repo.root, as_written=True)[assignment]
    header = nbformat.read(repo.release_notebook(assignment), as_version=4).cells[0].source
    assert f"**Due:** {due:%A %d %B %Y, %H:%M} (UTC+01:00)" in header
    assert "loses 10 % of its score per started day late, and earns nothing after 7 days" in header


def test_the_due_line_follows_the_colab_line_and_goes_when_the_deadline_goes():
    from mllab.course.notebook_setup import _header_source

    plain = "# Title\n\n[Open in Colab](x) · run it\n\nText"
    with_due = _header_source(plain, "[Open in Colab](x) · run it", "**Due:** soon")
    assert with_due == "# Title\n\n[Open in Colab](x) · run it\n\n**Due:** soon\n\nText"
    assert _header_source(with_due, "[Open in Colab](x) · run it", "**Due:** soon") == with_due
    assert _header_source(with_due, "[Open in Colab](x) · run it", None) == plain
