"""Is every student recorded the moment it is graded, so that Ctrl-C, SIGTERM, SIGKILL or a dead
worker lose nothing, leave nothing running, and a rerun grades exactly the rest?"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from mllab.course import nbgrader_steps as steps
from mllab.autograde.state import load_outcomes, state_file
from mllab.classes.demo import LOSS_AND_METRIC, write_submissions
from mllab.course.paths import Course
from mllab.course.scores import assignment_scores
from tests.conftest import ASSIGNMENT, autograde_processes, copy_course, is_grading_worker, release_assignment

MLLAB = str(Path(sys.executable).with_name("mllab"))
CLASS = ("perfect", "blank", "mse_sum_naive_softmax", "macro_as_precision", "roc_swapped_dice_iou",
         "ssim_added_reshape")


@dataclass
class Run:
    """One `mllab autograde` process, and what it left."""

    code: int
    stderr: str
    recorded_before: set[str] = field(default_factory=set)  # students recorded when the signal was sent
    graded: dict[str, bool] = field(default_factory=dict)  # student -> graded in this run (not unchanged)


def _start(course: Course, *args: str) -> subprocess.Popen:
    return subprocess.Popen([MLLAB, "autograde", ASSIGNMENT, "--jobs", "2", *args], cwd=course.root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"})


def _recorded(course: Course) -> set[str]:
    path = state_file(course, ASSIGNMENT)
    try:
        return set(json.loads(path.read_text(encoding="utf-8"))["students"])
    except (OSError, ValueError):
        return set()


def _run_until(course: Course, signum: int | None, recorded: int, *args: str) -> Run:
    """Run `mllab autograde`; once ``recorded`` students are recorded, send ``signum`` to it."""
    before = _recorded(course)
    process = _start(course, *args)
    seen: set[str] = set()
    if signum is not None:
        deadline = time.monotonic() + 300
        while len(seen := _recorded(course) - before) < recorded and time.monotonic() < deadline:
            time.sleep(0.2)
        process.send_signal(signum)
    out, err = process.communicate(timeout=600)
    graded = {line.split()[0]: "unchanged" not in line.split()[1] for line in out.splitlines()[1:-1] if line}
    return Run(process.returncode, err, seen, graded)


def _gone(course: Course, seconds: float = 15) -> list[psutil.Process]:
    deadline = time.monotonic() + seconds
    while (alive := autograde_processes(course)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return alive


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory):
    """The class: stopped by Ctrl-C after one student, SIGKILLed after the next, then run to the end."""
    course = copy_course(tmp_path_factory.mktemp("interrupted"))
    release_assignment(course, ASSIGNMENT)
    write_submissions(course, ASSIGNMENT, tuple(s for s in LOSS_AND_METRIC if s.student_id in CLASS))
    sigint = _run_until(course, signal.SIGINT, 1)
    left_after_sigint = _gone(course)
    sigkill = _run_until(course, signal.SIGKILL, 1)
    left_after_sigkill = _gone(course)
    half_written = sorted(str(p) for p in course.autograded.glob(f"*/.{ASSIGNMENT}.old"))
    after_kill = {"recorded": _recorded(course), "autograded": _autograded(course), "scored": _scored(course)}
    last = _run_until(course, None, 0)
    return course, sigint, sigkill, last, left_after_sigint + left_after_sigkill, half_written, after_kill


def _autograded(course: Course) -> set[str]:
    return {p.parent.name for p in course.autograded.glob(f"*/{ASSIGNMENT}") if (p / f"{ASSIGNMENT}.ipynb").is_file()}


def _scored(course: Course) -> set[str]:
    return {s.student for s in assignment_scores(course, ASSIGNMENT)}


def test_ctrl_c_stops_the_run_and_says_how_many_were_recorded_and_how_to_resume(interrupted):
    _, sigint, *_ = interrupted
    assert sigint.code == 130, sigint.stderr
    assert "students were graded and recorded" in sigint.stderr
    assert f"Run `mllab autograde {ASSIGNMENT}` again" in sigint.stderr


def test_no_worker_zygote_or_kernel_survives_ctrl_c_or_sigkill(interrupted):
    *_, survivors, _, _ = interrupted
    assert survivors == []


def test_after_sigkill_every_recorded_student_is_whole_and_nothing_is_half_written(interrupted):
    course, _, sigkill, _, _, half_written, after_kill = interrupted
    assert sigkill.code == -signal.SIGKILL
    assert half_written == []
    assert after_kill["recorded"] == after_kill["autograded"] == after_kill["scored"]
    assert 2 <= len(after_kill["recorded"]) < len(CLASS)
    assert not (course.root / ".mllab" / "autograde" / f"{ASSIGNMENT}.json.partial").exists()


def test_the_rerun_grades_exactly_the_students_without_a_result(interrupted):
    _, _, _, last, _, _, after_kill = interrupted
    assert last.code == 0, last.stderr
    assert {s for s, fresh in last.graded.items() if fresh} == set(CLASS) - after_kill["recorded"]


def test_the_resumed_class_has_the_scores_of_an_uninterrupted_run(interrupted, demo_run):
    course, *_ = interrupted
    scores = {s.student: s.cell_scores for s in assignment_scores(course, ASSIGNMENT)}
    assert scores == {s: demo_run.scores[s].cell_scores for s in CLASS}
    assert _autograded(course) == set(CLASS)
    assert {s: o.status for s, o in load_outcomes(course, ASSIGNMENT).items()} == {s: "graded" for s in CLASS}


def test_a_worker_killed_mid_student_leaves_it_ungraded_and_the_rerun_grades_it(interrupted):
    course, *_ = interrupted
    process = _start(course, "--force", "--student", "perfect")
    deadline = time.monotonic() + 300
    while len(_zygotes_and_kernels(course)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)  # a kernel runs: the probe's, or the student's (either way, the student is not done)
    workers = [p for p in autograde_processes(course) if is_grading_worker(p)]
    assert workers
    for worker in workers:
        worker.kill()
    _, err = process.communicate(timeout=300)
    assert process.returncode == 8, err
    assert "perfect" in err and "no grade (not 0)" in err
    assert load_outcomes(course, ASSIGNMENT)["perfect"].status == "error"
    assert load_outcomes(course, ASSIGNMENT)["perfect"].score is None
    assert not (course.autograded / "perfect" / ASSIGNMENT).exists()
    grades = steps.export_grades(course, course.root / "grades.csv")
    rows = {r["student_id"]: r for r in csv.DictReader(grades.open(encoding="utf-8"))}
    assert rows["perfect"]["score"] == "" and float(rows["blank"]["score"]) == 0.0
    assert _gone(course) == []
    again = _run_until(course, None, 0)
    assert again.code == 0 and again.graded["perfect"] is True, again.stderr
    assert {s.student: s.auto_score for s in assignment_scores(course, ASSIGNMENT)}["perfect"] == 100


def _zygotes_and_kernels(course: Course) -> list[psutil.Process]:
    return [p for p in autograde_processes(course) if "mllab.autograde.zygote" in " ".join(p.cmdline())]


def _hide_mllab_bwrap(folder: Path) -> Path:
    """A bwrap that hides the mllab package from the sandbox: a sandbox that cannot import the checks."""
    import mllab

    script = folder / "bwrap-without-mllab"
    hidden = Path(mllab.__file__).resolve().parent
    script.write_text(f"""#!/usr/bin/env python3
import os, sys
args = sys.argv[1:]
if "--" in args:
    at = args.index("--")
    args[at:at] = ["--tmpfs", "{hidden}"]
os.execv("/usr/bin/bwrap", ["bwrap", *args])
""", encoding="utf-8")
    script.chmod(0o755)
    return script


def _dump(course: Course) -> list[str]:
    with sqlite3.connect(course.gradebook) as db:
        return list(db.iterdump())


def test_a_sandbox_that_cannot_import_mllab_stops_the_run_with_its_cause_and_writes_nothing(tmp_path):
    course = copy_course(tmp_path / "course")
    release_assignment(course, ASSIGNMENT)
    write_submissions(course, ASSIGNMENT, tuple(s for s in LOSS_AND_METRIC if s.student_id in ("perfect", "blank")))
    before = _dump(course)
    done = subprocess.run([MLLAB, "autograde", ASSIGNMENT, "--jobs", "2"], cwd=course.root, capture_output=True,
                          text=True, timeout=600, env={**os.environ, "MLLAB_BWRAP": str(_hide_mllab_bwrap(tmp_path)),
                                                       "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"})
    assert done.returncode == 6, done.stderr
    assert "could not run a Python kernel in its sandbox that imports the course's checks" in done.stderr
    # The kernels' path names the package's folder, which the sandbox shows empty: Python misses
    # mllab.autograde (or mllab itself, where the folder is not on the path).
    assert re.search(r"No module named 'mllab(\.autograde)?'", done.stderr), done.stderr
    assert _dump(course) == before
    assert not state_file(course, ASSIGNMENT).exists() and list(course.autograded.glob(f"*/{ASSIGNMENT}")) == []
    assert autograde_processes(course) == []


def _forked_workers(course: Course) -> dict[int, int]:
    """Each worker the run's forker made: worker pid -> forker pid."""
    return {p.pid: p.ppid() for p in autograde_processes(course) if is_grading_worker(p)
            and "mllab.autograde.forker" in " ".join(p.cmdline())}


def _has_zygote(pid: int) -> bool:
    try:
        return any("mllab.autograde.zygote" in " ".join(p.cmdline()) for p in psutil.Process(pid).children(True))
    except psutil.Error:
        return False


def test_a_killed_forker_costs_only_the_students_in_progress_and_plain_workers_grade_the_rest(tmp_path, demo_run):
    course = copy_course(tmp_path / "course")
    release_assignment(course, ASSIGNMENT)
    write_submissions(course, ASSIGNMENT, tuple(s for s in LOSS_AND_METRIC if s.student_id in CLASS[:3]))
    process = _start(course)
    deadline = time.monotonic() + 300
    while len(workers := _forked_workers(course)) < 2 or not all(map(_has_zygote, workers)):
        assert time.monotonic() < deadline, "the two workers did not start"
        time.sleep(0.05)  # each has its zygote: the forker has long answered the coordinator for both
    assert len(set(workers.values())) == 1, workers  # both workers come from one forker
    psutil.Process(next(iter(workers.values()))).kill()  # its workers die with it, mid-student
    _, err = process.communicate(timeout=300)
    outcomes = load_outcomes(course, ASSIGNMENT)
    assert process.returncode == 8, err
    assert sorted(o.status for o in outcomes.values()) == ["error", "error", "graded"], outcomes
    graded = next(s for s, o in outcomes.items() if o.status == "graded")
    assert {s.student: s.cell_scores for s in assignment_scores(course, ASSIGNMENT)} == {
        graded: demo_run.scores[graded].cell_scores}  # the errors have no grade
    assert _gone(course) == []
