"""Does `mllab serve` refuse a wrong start with a message that says what to do, before any worker
starts, and does `mllab serve-status` say when no service has run? (No grading here: the service's
work is in test_grading_service.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mllab.course.exchange import EXCHANGE_VARIABLE
from mllab.course.feedback_policy import Policy, load_policy
from mllab.errors import UsageError
from tests.conftest import copy_course

BIN = Path(sys.executable).parent


def _mllab(course, exchange: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, EXCHANGE_VARIABLE: str(exchange), "PATH": f"{BIN}:{os.environ['PATH']}"}
    return subprocess.run([str(BIN / "mllab"), *args], cwd=course.root, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def course(tmp_path):
    return copy_course(tmp_path / "course")


def test_serve_with_nothing_handed_out_says_to_hand_out_first(course, tmp_path):
    done = _mllab(course, tmp_path / "exchange", "serve")
    assert done.returncode == 2
    assert "mllab hand-out ASSIGNMENT" in done.stderr


def test_serve_refuses_a_poll_or_jobs_that_make_no_sense(course, tmp_path):
    for args, word in ((("--poll", "0"), "--poll"), (("--jobs", "0"), "--jobs")):
        done = _mllab(course, tmp_path / "exchange", "serve", "loss_and_metric", *args)
        assert done.returncode == 2 and word in done.stderr, done.stderr


def test_serve_status_before_any_service_says_how_to_start_one(course, tmp_path):
    done = _mllab(course, tmp_path / "exchange", "serve-status")
    assert done.returncode == 1
    assert "no grading service has run" in done.stderr and "mllab serve" in done.stderr


@pytest.mark.parametrize("line, named", [
    ('feedback_before_deadline = "everything"', "feedback_before_deadline"),
    ("feedback_limit = -1", "feedback_limit"),
    ("feedback_window_hours = 0", "feedback_window_hours"),
])
def test_a_wrong_serve_setting_is_named_with_what_to_write(tmp_path, line, named):
    (tmp_path / "course.toml").write_text(f"[serve]\n{line}\n", encoding="utf-8")
    with pytest.raises(UsageError, match=named):
        load_policy(tmp_path)


def test_the_policy_defaults_to_tasks_with_five_feedbacks_a_day(tmp_path):
    (tmp_path / "course.toml").write_text("[repository]\ngithub = \"a/b\"\nbranch = \"main\"\n", encoding="utf-8")
    assert load_policy(tmp_path) == Policy("tasks", 5)
    assert "At most 5 graded feedbacks in any 24 hours" in load_policy(tmp_path).describe()
    assert "At most" not in Policy("none", 5).describe()  # nothing to limit when nothing is shown
