"""Run nbgrader's own apps on the course: generate the release, autograde, feedback, export.

Each step is nbgrader's command-line app run in the course directory, with the environment's
``bin/`` first on PATH (nbgrader calls the ``alembic`` executable and the ``python3`` kernel).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from mllab.errors import PipelineError
from mllab.course.paths import Course

LOG_TAIL = 40


def tool_environment() -> dict[str, str]:
    """The environment for nbgrader: this interpreter's bin/ first on PATH, warnings quiet."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("PYTHONWARNINGS", "ignore")
    return env


def _run(command: list[str], cwd: Path, timeout: float | None) -> tuple[int, str]:
    """Run a command in its own process group; on timeout kill the whole group (kernels too)."""
    process = subprocess.Popen(command, cwd=cwd, env=tool_environment(), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        log, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        log, _ = process.communicate()
        return -1, log + f"\nERROR: stopped after the wall limit of {timeout:.0f} s"
    return process.returncode, log


def run_nbgrader(course: Course, *args: str, timeout: float | None = None) -> str:
    """Run ``nbgrader ARGS`` in the course directory; return its log, raise PipelineError on failure."""
    command = [str(Path(sys.executable).parent / "nbgrader"), *args]
    code, log = _run(command, course.root, timeout)
    if code != 0:
        tail = "\n".join(log.splitlines()[-LOG_TAIL:])
        raise PipelineError(f"`nbgrader {' '.join(args)}` failed (exit {code}):\n{tail}")
    return log


def generate_release(course: Course, assignment: str) -> tuple[Path, list[str]]:
    """Refresh the source notebook's generated cells (and the README's links) from course.toml and
    data/, then ``nbgrader generate_assignment``: the student version in release/<assignment>/.
    Returns the release notebook and the files the refresh rewrote."""
    from mllab.course.assignments import assignment_names
    from mllab.course.notebook_setup import sync_course

    refreshed = sync_course(course.root, assignment, assignment_names(course.root))
    run_nbgrader(course, "generate_assignment", assignment, "--force")
    return course.release_notebook(assignment), refreshed


def autograde(course: Course, assignment: str, student: str | None = None) -> str:
    """``nbgrader autograde`` every submission (or the students matching the glob ``student``:
    nbgrader's ``--student`` takes one value), regrading from scratch."""
    selection = [f"--student={student}"] if student else []
    return run_nbgrader(course, "autograde", assignment, "--force", *selection)


def generate_feedback(course: Course, assignment: str) -> Path:
    """``nbgrader generate_feedback``: HTML per student in feedback/<student>/<assignment>/."""
    run_nbgrader(course, "generate_feedback", assignment, "--force")
    return course.feedback


def export_grades(course: Course, destination: Path) -> Path:
    """``nbgrader export``: one CSV row per student and assignment."""
    run_nbgrader(course, "export", f"--to={destination}")
    return destination
