"""`mllab autograde ASSIGNMENT`: the whole class, in parallel, resumable, one gradebook writer.

1. Choose the students: every submission that is new or changed since the last run (or all
   with ``force``), and any whose last grading hit an internal error.
2. The coordinator opens the gradebook (a refusal, such as an extension for an unknown student,
   stops the run before any worker starts); then the workers start (imports, zygote, a probe
   kernel) and grade the students in parallel, each on a private copy (see :mod:`.worker`).
3. The coordinator records each student the moment its worker is done: the gradebook in one
   transaction, the autograded folder moved into place, then the student's outcome saved (see
   :mod:`.record`). Ctrl-C, SIGTERM or SIGKILL lose no recorded student; a rerun grades the rest.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from mllab.autograde import sandbox
from mllab.autograde.lock import grading_lock
from mllab.autograde.pool import Pool, Started
from mllab.autograde.record import GradebookUnavailable, Recorder, clear_leftovers, staging_dir
from mllab.autograde.seeds import course_secret
from mllab.autograde.snapshot import snapshot_gradebook
from mllab.autograde.state import Outcome, fingerprint, load_outcomes, save_outcomes
from mllab.autograde.worker import Settings
from mllab.errors import MllabError, UsageError
from mllab.course.paths import Course

WALL_LIMIT = 600.0  # seconds one submission may take in all (each cell also has nbgrader's timeout)
MEMORY_LIMIT_GB = 6.0  # address space of one kernel; a memory bomb gets a MemoryError, not the machine


class Interrupted(MllabError):
    """Ctrl-C or SIGTERM: the students recorded so far stay recorded."""

    exit_code = 130


class GradingFailed(MllabError):
    """Some students' grading failed inside the grader: they have no grade yet."""

    exit_code = 8


def submitted_students(course: Course, assignment: str) -> list[str]:
    """Every student with a folder submitted/<student>/<assignment>/."""
    return sorted(p.parent.name for p in course.submitted.glob(f"*/{assignment}") if p.is_dir())


def _check(course: Course, assignment: str, chosen: list[str], known: list[str], jobs: int | None) -> None:
    missing = sorted(set(chosen) - set(known))
    if missing:
        raise UsageError(f"no submission in {course.submitted}/<student>/{assignment}/ for: {', '.join(missing)}")
    if (course.uses_sqlite and not course.gradebook.is_file()) or not course.release_notebook(assignment).is_file():
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
    """A progress bar line with an ETA per finished student."""

    def __init__(self, total: int, say: Callable[[str], None]) -> None:
        self.total, self.say, self.done = total, say, 0
        self.started = time.perf_counter()

    def __call__(self, outcome: Outcome) -> None:
        self.done += 1
        elapsed = time.perf_counter() - self.started
        eta = elapsed / self.done * (self.total - self.done)
        bar = "#" * int(24 * self.done / self.total)
        self.say(f"[{bar:<24}] {self.done}/{self.total}  {outcome.student}: {outcome.status} "
                 f"({outcome.seconds:.1f} s)  elapsed {elapsed:.0f} s, ETA {eta:.0f} s")


@dataclass
class RunTimes:
    """Where a run's time went, for the benchmark (seconds from the start of the run)."""

    started: float = field(default_factory=time.perf_counter)
    pool_started: float | None = None  # the workers were started (what came before is the coordinator's alone)
    first_worker_ready: float | None = None
    last_result: float | None = None  # the last worker result arrived (what comes after is the coordinator's)
    recording: list[float] = field(default_factory=list)  # seconds per recorded student
    busy: list[dict[str, float]] = field(default_factory=list)  # each graded student's worker timings
    total: float = 0.0

    def since_start(self) -> float:
        return time.perf_counter() - self.started

    def serial_seconds(self) -> float:
        """Time in which the coordinator ran and no worker did: before the pool, and after the last result."""
        if self.pool_started is None or self.last_result is None:
            return self.total
        return self.pool_started + (self.total - self.last_result)


LAST_RUN = RunTimes()  # the times of the latest run in this process (read by bench/bench_class.py)


def grading_settings(course: Course, assignment: str, jobs: int, sandboxed: bool, limits: dict) -> Settings:
    work = course.root / ".mllab" / "work" / assignment
    shutil.rmtree(work, ignore_errors=True)  # a fresh copy of the gradebook for every run
    work.mkdir(parents=True)
    snapshot = snapshot_gradebook(course.db_url, work / "gradebook-snapshot.db")
    memory = limits.get("memory_gb", MEMORY_LIMIT_GB)
    return Settings(course=str(course.root), assignment=assignment, workspace=str(work),
                    staging=str(staging_dir(course, assignment)), gradebook=str(snapshot), wall_limit=limits.get("wall_limit", WALL_LIMIT),
                    memory_bytes=int(memory * 2**30) if memory else None, cell_timeout=limits.get("cell_timeout"),
                    threads=1 if jobs > 1 else None, sandboxed=sandboxed)


@contextmanager
def _stop_on_signals():
    """SIGINT and SIGTERM set an event instead of stopping mid-write; the loop checks it between students."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def record_outcome(recorder: Recorder, course: Course, assignment: str, outcome: Outcome) -> Outcome:
    """Write one student's result: grades, autograded folder, then (by the caller) its outcome."""
    staged = staging_dir(course, assignment) / outcome.student / assignment
    try:
        if outcome.status == "ungradable":
            recorder.record_zero(outcome.student)
        elif outcome.status == "error" or not staged.is_dir():
            recorder.unrecord(outcome.student)
            if outcome.status != "error":
                return replace(outcome, status="error", detail="the worker staged no autograded notebook")
        else:
            recorder.record(outcome.student, staged)
    except GradebookUnavailable:
        raise
    except Exception as error:  # noqa: BLE001 - a failure of ours is this student's error, not a zero
        recorder.unrecord(outcome.student)
        return replace(outcome, status="error", detail=f"recording the grades failed: {error}"[:300])
    return outcome


def _start_pool(course: Course, assignment: str, todo: list[str], prints: dict[str, str], settings: Settings,
                jobs: int, scheduler: str | None):
    """Local worker processes, or the workers of the Dask cluster at ``scheduler``."""
    if scheduler:
        from mllab.autograde.cluster import DaskPool

        return DaskPool(todo, settings, scheduler, prints)
    return Pool(todo, settings, jobs, course.root / ".mllab" / "logs" / assignment)


def _grade_and_record(course: Course, assignment: str, todo: list[str], prints: dict[str, str],
                      last: dict[str, Outcome], settings: Settings, jobs: int, say: Callable[[str], None],
                      times: RunTimes, scheduler: str | None = None) -> dict[str, Outcome]:
    """Start the workers, then record each student as its result arrives; stop cleanly on a signal."""
    recorder = Recorder(course, assignment)  # first: a gradebook or extensions.csv it refuses starts no worker
    try:
        recorder.prove_writable()
        times.pool_started = times.since_start()
        pool = _start_pool(course, assignment, todo, prints, settings, jobs, scheduler)
    except BaseException:
        recorder.close()
        raise
    recorded: dict[str, Outcome] = {}
    with _stop_on_signals() as stop:
        try:
            _drain(pool, recorder, course, assignment, prints, last, recorded, stop, say, times)
        finally:
            recorder.close()
            if stop.is_set():
                pool.stop()
    if stop.is_set():
        left = len(todo) - len(recorded)
        raise Interrupted(f"stopped: {len(recorded)} of {len(todo)} students were graded and recorded, {left} were "
                          f"not. Run `mllab autograde {assignment}` again to grade the {left} left (without "
                          "--force, which would grade the recorded ones again).")
    return recorded


def _drain(pool: Pool, recorder: Recorder, course: Course, assignment: str, prints: dict[str, str],
           last: dict[str, Outcome], recorded: dict[str, Outcome], stop: threading.Event,
           say: Callable[[str], None], times: RunTimes) -> None:
    progress = Progress(len(prints), say)
    try:
        for item in pool.results():
            if stop.is_set():
                return
            if isinstance(item, Started) and times.first_worker_ready is None:
                times.first_worker_ready = times.since_start()
                recorder.prepare(list(prints))  # only once a worker proved it can grade: a failed start writes nothing
            if not isinstance(item, Outcome):
                continue
            times.last_result = times.since_start()
            times.busy.append({**item.timings, "worker": item.seconds})
            begin = time.perf_counter()
            outcome = record_outcome(recorder, course, assignment, replace(item, fingerprint=prints[item.student]))
            recorded[outcome.student] = outcome
            save_outcomes(course, assignment, {**last, **recorded})
            times.recording.append(time.perf_counter() - begin)
            progress(outcome)
    except BaseException:
        pool.stop()
        raise


def autograde_class(course: Course, assignment: str, *, jobs: int | None = None, students: list[str] | None = None,
                    force: bool = False, say: Callable[[str], None] = print, sandboxed: bool = True,
                    scheduler: str | None = None, **limits) -> list[Outcome]:
    """Grade every (or the named) submitted student; return each student's outcome with its score.

    Each kernel runs in a bubblewrap sandbox unless ``sandboxed`` is False. ``limits`` may set
    ``wall_limit`` (s per submission), ``cell_timeout`` (s per cell) and ``memory_gb`` (per kernel;
    0 for none). A student whose grading failed inside the grader has status ``error`` and no score.
    ``scheduler``: the address (or scheduler file) of a Dask cluster to grade on instead of local workers.
    """
    with grading_lock(course, f"mllab autograde {assignment}"):
        return _autograde_class(course, assignment, jobs=jobs, students=students, force=force, say=say,
                                sandboxed=sandboxed, scheduler=scheduler, **limits)


def _autograde_class(course: Course, assignment: str, *, jobs: int | None, students: list[str] | None,
                     force: bool, say: Callable[[str], None], sandboxed: bool, scheduler: str | None,
                     **limits) -> list[Outcome]:
    global LAST_RUN
    LAST_RUN = times = RunTimes()
    known = submitted_students(course, assignment)
    chosen = students or known
    _check(course, assignment, chosen, known, jobs)
    jobs = jobs or os.cpu_count() or 1
    last = load_outcomes(course, assignment)
    todo, unchanged, prints = _split(course, assignment, chosen, force, last)
    fresh: dict[str, Outcome] = {}
    if todo and sandboxed and not scheduler and sandbox.bwrap_executable() is None:
        raise sandbox.SandboxUnavailable(sandbox.unavailable_message("bubblewrap (bwrap) is not installed"))
    if todo:
        clear_leftovers(course, assignment)
        course_secret(course)  # made once here, before the workers read it
        settings = grading_settings(course, assignment, jobs, sandboxed, limits)
        fresh = _grade_and_record(course, assignment, todo, {s: prints[s] for s in todo}, last, settings, jobs,
                                  say, times, scheduler)
    _refresh_lateness(course, assignment, [o.student for o in unchanged])
    scores = _code_scores(course, assignment)
    outcomes = {o.student: o.with_score(None if o.status == "error" else scores.get(o.student))
                for o in [*unchanged, *fresh.values()]}
    save_outcomes(course, assignment, {**last, **outcomes})
    times.total = times.since_start()
    return sorted(outcomes.values(), key=lambda o: o.student)


def _refresh_lateness(course: Course, assignment: str, students: list[str]) -> None:
    """Deadline, extensions and late penalties of the students not graded again (they may have changed)."""
    if students:
        recorder = Recorder(course, assignment)
        try:
            recorder.refresh_lateness(students)
        finally:
            recorder.close()


def _code_scores(course: Course, assignment: str) -> dict[str, float]:
    """Each recorded student's autograded points, read from the gradebook."""
    recorder = Recorder(course, assignment)
    try:
        return recorder.code_scores()
    finally:
        recorder.close()


def outcome_table(outcomes: list[Outcome]) -> str:
    """One line per student: status, score, time and what happened."""
    width = max([7, *(len(o.student) for o in outcomes)])
    lines = [f"{'student':<{width}}  {'status':<11}  {'score':>6}  {'seconds':>7}  detail"]
    for o in outcomes:
        status = "unchanged" if o.unchanged else o.status
        score = "" if o.score is None else f"{o.score:g}"
        lines.append(f"{o.student:<{width}}  {status:<11}  {score:>6}  {o.seconds:7.1f}  {o.detail}")
    return "\n".join(lines)


def late_summary(course: Course, assignment: str) -> str:
    """The late submissions and the points the course's late rule took ('' when none was late)."""
    from mllab.course.scores import assignment_scores, lateness_lines

    late = lateness_lines(assignment_scores(course, assignment))
    return ("\nlate submissions (grant an extension in extensions.csv, then run this again):\n  "
            + "\n  ".join(late)) if late else ""


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
                               say=say, sandboxed=not args.unsafe_no_sandbox, scheduler=args.scheduler, **limits)
    attention = [o.student for o in outcomes if o.status != "graded"]
    ending = (f"{len(attention)} of {len(outcomes)} need attention: {', '.join(attention)} "
              f"(see the detail above, or `mllab report {assignment}`)" if attention
              else f"all {len(outcomes)} graded normally")
    ending += late_summary(course, assignment)
    failed = [o.student for o in outcomes if o.status == "error"]
    if failed:
        say(outcome_table(outcomes) + "\n" + ending)
        raise GradingFailed(f"the grading of {len(failed)} student(s) failed inside the grader: {', '.join(failed)}. "
                            f"They have no grade (not 0). The reason is in the table above and in the workers' logs "
                            f"({course.root / '.mllab' / 'logs' / assignment}); run `mllab autograde {assignment}` "
                            "again to grade them.")
    return outcome_table(outcomes) + "\n" + ending
