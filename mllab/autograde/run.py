"""`mllab autograde ASSIGNMENT`: the whole class, in parallel, resumable, one gradebook writer.

1. Choose the students: every submission that is new or changed since the last run (or all
   with ``force``), and any whose last grading hit an internal error.
2. Workers grade them in parallel (see :mod:`mllab.autograde.worker`), each on a private copy.
3. One recording pass writes every grade into the course's gradebook (see :mod:`.record`).
4. The outcome of every student is saved for the next run and for `mllab report`.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from mllab.autograde import sandbox
from mllab.autograde.pool import grade_in_workers
from mllab.autograde.record import record_graded, record_zero, staging_dir
from mllab.autograde.seeds import course_secret
from mllab.autograde.state import Outcome, fingerprint, load_outcomes, save_outcomes
from mllab.autograde.worker import Settings
from mllab.errors import UsageError
from mllab.course.paths import Course

WALL_LIMIT = 600.0  # seconds one submission may take in all (each cell also has nbgrader's timeout)
MEMORY_LIMIT_GB = 6.0  # address space of one kernel; a memory bomb gets a MemoryError, not the machine
UNGRADED = ("ungradable", "error")


def submitted_students(course: Course, assignment: str) -> list[str]:
    """Every student with a folder submitted/<student>/<assignment>/."""
    return sorted(p.parent.name for p in course.submitted.glob(f"*/{assignment}") if p.is_dir())


def _check(course: Course, assignment: str, chosen: list[str], known: list[str], jobs: int | None) -> None:
    missing = sorted(set(chosen) - set(known))
    if missing:
        raise UsageError(f"no submission in {course.submitted}/<student>/{assignment}/ for: {', '.join(missing)}")
    if not course.gradebook.is_file() or not course.release_notebook(assignment).is_file():
        raise UsageError(f"{course.gradebook} or the release is missing: run `mllab release {assignment}` first")
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs must be at least 1, not {jobs}")


def _split(course: Course, assignment: str, chosen: list[str], force: bool,
           last: dict[str, Outcome]) -> tuple[list[str], list[Outcome], dict[str, str]]:
    """Who to grade now, who is unchanged, and the fingerprints taken before grading."""
    todo, unchanged, prints = [], [], {}
    for student in chosen:
        prints[student] = fingerprint(course.submission_dir(student, assignment))
        before = last.get(student)
        same = before is not None and before.fingerprint == prints[student] and before.status != "error"
        if same and not force:
            unchanged.append(replace(before, unchanged=True))
        else:
            todo.append(student)
    return todo, unchanged, prints


class Progress:
    """A progress bar line with an ETA per finished student (thread-safe)."""

    def __init__(self, total: int, say: Callable[[str], None]) -> None:
        self.total, self.say, self.done = total, say, 0
        self.started = time.perf_counter()
        self.lock = threading.Lock()
        self.outcomes: list[Outcome] = []

    def __call__(self, outcome: Outcome) -> None:
        with self.lock:
            self.done += 1
            self.outcomes.append(outcome)
            elapsed = time.perf_counter() - self.started
            eta = elapsed / self.done * (self.total - self.done)
            bar = "#" * int(24 * self.done / self.total)
            self.say(f"[{bar:<24}] {self.done}/{self.total}  {outcome.student}: {outcome.status} "
                     f"({outcome.seconds:.1f} s)  elapsed {elapsed:.0f} s, ETA {eta:.0f} s")


def _settings(course: Course, assignment: str, jobs: int, sandboxed: bool, limits: dict) -> Settings:
    work = course.root / ".mllab" / "work" / assignment
    shutil.rmtree(work, ignore_errors=True)  # a fresh copy of the gradebook for every run
    memory = limits.get("memory_gb", MEMORY_LIMIT_GB)
    return Settings(course=str(course.root), assignment=assignment, workspace=str(work),
                    staging=str(staging_dir(course, assignment)), wall_limit=limits.get("wall_limit", WALL_LIMIT),
                    memory_bytes=int(memory * 2**30) if memory else None, cell_timeout=limits.get("cell_timeout"),
                    threads=1 if jobs > 1 else None, sandboxed=sandboxed)


def check_sandbox(course: Course) -> None:
    """Refuse to grade (SandboxUnavailable, with what to do) when the sandbox cannot start here."""
    probe_dir = course.root / ".mllab" / "sandbox-probe"
    box = sandbox.Sandbox.for_worker(probe_dir, 0)
    try:
        sandbox.probe(box)
    finally:
        box.remove()
        shutil.rmtree(probe_dir, ignore_errors=True)


def _scores(course: Course, assignment: str) -> dict[str, float]:
    from mllab.course.scores import assignment_scores

    return {s.student: s.auto_score for s in assignment_scores(course, assignment)}


def autograde_class(course: Course, assignment: str, *, jobs: int | None = None, students: list[str] | None = None,
                    force: bool = False, say: Callable[[str], None] = print, sandboxed: bool = True,
                    **limits) -> list[Outcome]:
    """Grade every (or the named) submitted student; return each student's outcome with its score.

    Each kernel runs in a bubblewrap sandbox unless ``sandboxed`` is False. ``limits`` may set ``wall_limit`` (s per submission), ``cell_timeout`` (s per cell) and
    ``memory_gb`` (per kernel; 0 for none).
    """
    known = submitted_students(course, assignment)
    chosen = students or known
    _check(course, assignment, chosen, known, jobs)
    jobs = jobs or os.cpu_count() or 1
    last = load_outcomes(course, assignment)
    todo, unchanged, prints = _split(course, assignment, chosen, force, last)
    progress = Progress(len(todo), say)
    if todo and sandboxed:
        check_sandbox(course)
    if todo:
        course_secret(course)  # made once here, before the workers read it
        shutil.rmtree(staging_dir(course, assignment), ignore_errors=True)
        settings = _settings(course, assignment, jobs, sandboxed, limits)
        grade_in_workers(todo, settings, jobs, course.root / ".mllab" / "logs" / assignment, progress)
    fresh = [replace(o, fingerprint=prints[o.student]) for o in progress.outcomes]
    unrecorded = record_graded(course, assignment, sorted(o.student for o in fresh if o.status not in UNGRADED))
    fresh = [replace(o, status="error", detail=unrecorded[o.student]) if o.student in unrecorded else o
             for o in fresh]
    record_zero(course, assignment, sorted(o.student for o in fresh if o.status in UNGRADED))
    scores = _scores(course, assignment)
    outcomes = {o.student: o.with_score(scores.get(o.student)) for o in [*unchanged, *fresh]}
    save_outcomes(course, assignment, {**last, **outcomes})
    return sorted(outcomes.values(), key=lambda o: o.student)


def outcome_table(outcomes: list[Outcome]) -> str:
    """One line per student: status, score, time and what happened."""
    width = max([7, *(len(o.student) for o in outcomes)])
    lines = [f"{'student':<{width}}  {'status':<11}  {'score':>6}  {'seconds':>7}  detail"]
    for o in outcomes:
        status = "unchanged" if o.unchanged else o.status
        score = "" if o.score is None else f"{o.score:g}"
        lines.append(f"{o.student:<{width}}  {status:<11}  {score:>6}  {o.seconds:7.1f}  {o.detail}")
    return "\n".join(lines)


def _limits(wall_limit: float | None, cell_timeout: int | None, memory_limit: float | None) -> dict:
    for name, value in (("--wall-limit", wall_limit), ("--cell-timeout", cell_timeout)):
        if value is not None and value <= 0:
            raise UsageError(f"{name} must be a positive number of seconds, not {value}")
    if memory_limit is not None and memory_limit < 0:
        raise UsageError(f"--memory-limit must be a number of GB (0 for no limit), not {memory_limit}")
    given = {"wall_limit": wall_limit, "cell_timeout": cell_timeout, "memory_gb": memory_limit}
    return {key: value for key, value in given.items() if value is not None}


def autograde_from_cli(course: Course, assignment: str, args, say: Callable[[str], None]) -> str:
    """`mllab autograde`: grade, then the per-student table and a line on what needs attention."""
    limits = _limits(args.wall_limit, args.cell_timeout, args.memory_limit)
    if args.unsafe_no_sandbox:
        say("WARNING: --unsafe-no-sandbox: students' code runs with your permissions and can read source/, "
            "the gradebook and other submissions. Use it only for submissions you trust.")
    outcomes = autograde_class(course, assignment, jobs=args.jobs, students=args.student, force=args.force,
                               say=say, sandboxed=not args.unsafe_no_sandbox, **limits)
    attention = [o.student for o in outcomes if o.status != "graded"]
    ending = (f"{len(attention)} of {len(outcomes)} need attention: {', '.join(attention)} "
              f"(see the detail above, or `mllab report {assignment}`)" if attention
              else f"all {len(outcomes)} graded normally")
    return outcome_table(outcomes) + "\n" + ending
