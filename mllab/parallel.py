"""`mllab autograde`: nbgrader autograde for a whole class, in parallel, resumable.

Each student is graded by nbgrader's own `autograde` app in a private workspace (a copy of the
config, the gradebook and that one submission), so workers never share a SQLite file. When the
workers are done, one `nbgrader autograde --no-execute` pass over the executed notebooks
records every grade in the course's gradebook: a single writer, and nbgrader's own scoring.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from mllab.errors import PipelineError, UsageError
from mllab.nbgrader_steps import run_nbgrader
from mllab.paths import Course

WALL_LIMIT = 900  # seconds one submission may take in all (cells have their own timeout)


@dataclass(frozen=True)
class Outcome:
    """What happened to one student's submission in this run."""

    student: str
    status: str  # "graded", "unchanged" or "failed"
    seconds: float = 0.0
    detail: str = ""


def submitted_students(course: Course, assignment: str) -> list[str]:
    """Every student with a folder submitted/<student>/<assignment>/."""
    return sorted(p.parent.name for p in course.submitted.glob(f"*/{assignment}") if p.is_dir())


def fingerprint(folder: Path) -> str:
    """A hash of every file in a submission folder (names and bytes)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _state_file(course: Course, assignment: str) -> Path:
    return course.root / ".mllab" / "autograde" / f"{assignment}.json"


def _staging(course: Course, assignment: str) -> Path:
    return course.root / ".mllab" / "staged" / assignment


def _load_state(course: Course, assignment: str) -> dict[str, str]:
    path = _state_file(course, assignment)
    return json.loads(path.read_text()) if path.is_file() else {}


def _save_state(course: Course, assignment: str, state: dict[str, str]) -> None:
    path = _state_file(course, assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state, indent=1, sort_keys=True))


def _workspace(course: Course, assignment: str, student: str, root: Path) -> Course:
    """A private course folder holding only what nbgrader needs to grade this student."""
    shutil.copy2(course.root / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copy2(course.gradebook, root / "gradebook.db")
    shutil.copytree(course.source / assignment, root / "source" / assignment)
    shutil.copytree(course.data, root / "data")  # the notebook finds it by walking up
    shutil.copytree(course.submission_dir(student, assignment), root / "submitted" / student / assignment)
    return Course(root)


def _last_error(log: str) -> str:
    lines = [line for line in log.splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or "ERROR" in line]
    return (errors[-1] if errors else lines[-1] if lines else "nbgrader failed").strip()[:300]


def grade_one(course: Course, assignment: str, student: str) -> Outcome:
    """Run nbgrader autograde for one student in a workspace; stage the executed notebook."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"mllab-{student}-") as scratch:
        workspace = _workspace(course, assignment, student, Path(scratch))
        try:
            run_nbgrader(workspace, "autograde", assignment, f"--student={student}", "--force",
                         timeout=WALL_LIMIT)
        except PipelineError as error:
            return Outcome(student, "failed", time.perf_counter() - start, _last_error(str(error)))
        staged = _staging(course, assignment) / student / assignment
        if staged.exists():
            shutil.rmtree(staged)
        shutil.copytree(workspace.autograded / student / assignment, staged)
    return Outcome(student, "graded", time.perf_counter() - start)


def record(course: Course, assignment: str, students: list[str]) -> None:
    """Save the staged students' grades in the course gradebook (one nbgrader process)."""
    if not students:
        return
    staging = _staging(course, assignment)
    for leftover in set(p.name for p in staging.iterdir()) - set(students):
        shutil.rmtree(staging / leftover)  # from an interrupted run: never record stale work
    run_nbgrader(course, "autograde", assignment, "--force", "--no-execute",
                 f"--CourseDirectory.submitted_directory={staging}")
    shutil.rmtree(staging)


def _progress(done: int, total: int, started: float, outcome: Outcome) -> str:
    elapsed = time.perf_counter() - started
    eta = elapsed / done * (total - done)
    bar = "#" * int(20 * done / total)
    return (f"[{bar:<20}] {done}/{total} {outcome.student}: {outcome.status} "
            f"({outcome.seconds:.1f} s) — ETA {eta:.0f} s")


def _to_grade(course: Course, assignment: str, students: list[str], force: bool,
              state: dict[str, str]) -> tuple[list[str], list[Outcome]]:
    todo, unchanged = [], []
    for student in students:
        same = state.get(student) == fingerprint(course.submission_dir(student, assignment))
        graded = (course.autograded / student / assignment).is_dir()
        if same and graded and not force:
            unchanged.append(Outcome(student, "unchanged"))
        else:
            todo.append(student)
    return todo, unchanged


def autograde_class(course: Course, assignment: str, *, jobs: int | None = None, students: list[str] | None = None,
                    force: bool = False, say: Callable[[str], None] = print) -> list[Outcome]:
    """Grade every (or the named) submitted student in parallel; return each student's outcome."""
    known = submitted_students(course, assignment)
    chosen = students or known
    missing = sorted(set(chosen) - set(known))
    if missing:
        raise UsageError(f"no submission in {course.submitted}/<student>/{assignment}/ for: {', '.join(missing)}")
    if not course.gradebook.is_file():
        raise UsageError(f"{course.gradebook} is missing: run `nbgrader generate_assignment {assignment}` first")
    state = _load_state(course, assignment)
    todo, outcomes = _to_grade(course, assignment, chosen, force, state)
    # taken before grading: a submission replaced meanwhile counts as changed next time
    prints = {s: fingerprint(course.submission_dir(s, assignment)) for s in todo}
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        futures = [pool.submit(grade_one, course, assignment, s) for s in todo]
        for done, future in enumerate(as_completed(futures), start=1):
            outcomes.append(future.result())
            say(_progress(done, len(todo), started, outcomes[-1]))
    graded = sorted(o.student for o in outcomes if o.status == "graded")
    record(course, assignment, graded)
    state.update({s: prints[s] for s in graded})
    _save_state(course, assignment, state)
    return sorted(outcomes, key=lambda o: o.student)


def outcome_table(outcomes: list[Outcome]) -> str:
    """One line per student: status, time and, for failures, why."""
    width = max([7, *(len(o.student) for o in outcomes)])
    lines = [f"{'student':<{width}}  {'status':<9}  seconds  detail"]
    lines += [f"{o.student:<{width}}  {o.status:<9}  {o.seconds:7.1f}  {o.detail}" for o in outcomes]
    return "\n".join(lines)
