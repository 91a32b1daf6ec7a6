"""Does the mllab command explain wrong arguments instead of crashing?"""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO, copy_course, release_assignment


def _mllab(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "mllab.cli", *args], cwd=cwd, capture_output=True,
                          text=True, check=False)


def test_an_unknown_assignment_is_named_with_the_known_ones():
    done = _mllab("scores", "no_such_assignment")
    assert done.returncode == 2
    assert "unknown assignment 'no_such_assignment'" in done.stderr
    assert "loss_and_metric" in done.stderr


def test_running_outside_a_course_says_where_to_run(tmp_path):
    done = _mllab("demo-class", "loss_and_metric", cwd=tmp_path)
    assert done.returncode == 2
    assert "no course directory found" in done.stderr


def test_an_unknown_command_gets_argparse_usage():
    done = _mllab("grade-everything")
    assert done.returncode == 2
    assert "usage: mllab" in done.stderr


def test_autograde_names_a_student_without_a_submission():
    done = _mllab("autograde", "loss_and_metric", "--student", "nobody_at_all")
    assert done.returncode == 2
    assert "no submission" in done.stderr and "nobody_at_all" in done.stderr


def test_autograde_refuses_a_nonsense_limit_before_grading_anyone(tmp_path):
    course = copy_course(tmp_path)
    done = _mllab("autograde", "loss_and_metric", "--wall-limit", "-5", cwd=course.root)
    assert done.returncode == 2
    assert "--wall-limit must be a positive number of seconds" in done.stderr


def test_autograde_before_the_release_says_to_release_first(tmp_path):
    course = copy_course(tmp_path)
    folder = course.submission_dir("someone", "loss_and_metric")
    folder.mkdir(parents=True)
    (folder / "loss_and_metric.ipynb").write_text("{}", encoding="utf-8")
    done = _mllab("autograde", "loss_and_metric", cwd=course.root)
    assert done.returncode == 2
    assert "run `mllab release loss_and_metric` first" in done.stderr


def test_a_report_before_any_grading_says_what_to_run(tmp_path):
    course = copy_course(tmp_path)
    done = _mllab("report", "loss_and_metric", cwd=course.root)
    assert done.returncode == 2
    assert "mllab autograde loss_and_metric" in done.stderr


def test_autograde_on_a_gradebook_another_program_holds_says_so_before_any_worker_starts(tmp_path):
    import sqlite3

    from mllab.classes.demo import LOSS_AND_METRIC, write_submissions

    course = copy_course(tmp_path)
    release_assignment(course, "loss_and_metric")
    write_submissions(course, "loss_and_metric", LOSS_AND_METRIC[:1])
    before = course.gradebook.read_bytes()
    holder = sqlite3.connect(course.gradebook, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a writer mid-transaction, as a formgrader saving a grade would be
    try:
        done = _mllab("autograde", "loss_and_metric", cwd=course.root)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert done.returncode == 7, done.stderr
    assert "cannot write the gradebook" in done.stderr and "database is locked" in done.stderr
    assert "no other program holds it" in done.stderr and "No student's grade was changed" in done.stderr
    assert not (course.root / ".mllab" / "logs").exists()  # no worker was started
    assert course.gradebook.read_bytes() == before
