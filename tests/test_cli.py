"""Does the mllab command explain wrong arguments instead of crashing?"""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


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
