"""Warm workers for each served assignment, and the recording of each result, as in `mllab autograde`.

Each assignment has a pool that stays open for the life of the service: the local workers (forked
warm, each with its zygote of kernels, started at once) or a client of a Dask cluster whose workers
keep their grading plugin. A hand-in is graded from ``submitted/<student>/<assignment>/`` exactly as a
class run grades it, and recorded by the service alone (the one writer), one student per transaction.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace

from mllab.autograde import sandbox
from mllab.autograde.pool import Pool, Started
from mllab.autograde.record import Recorder, clear_leftovers
from mllab.autograde.run import grading_settings, record_outcome
from mllab.autograde.seeds import course_secret
from mllab.autograde.state import Outcome, fingerprint, load_outcomes, save_outcomes
from mllab.course.paths import Course


@dataclass(frozen=True)
class Job:
    """A hand-in being graded."""

    assignment: str
    student: str
    timestamp: str
    fingerprint: str
    started: float


class Graders:
    """The pools of every served assignment; at most ``jobs`` hand-ins are graded at once over all of them."""

    def __init__(self, course: Course, assignments: tuple[str, ...], *, jobs: int | None = None,
                 scheduler: str | None = None, sandboxed: bool = True, limits: dict | None = None) -> None:
        self.course = course
        self.jobs = jobs or os.cpu_count() or 1
        if sandboxed and not scheduler and sandbox.bwrap_executable() is None:
            raise sandbox.SandboxUnavailable(sandbox.unavailable_message("bubblewrap (bwrap) is not installed"))
        course_secret(course)  # made once here, before any worker reads it
        self.pools = {}
        self.running: dict[tuple[str, str], Job] = {}
        self.warm = 0  # workers that have started (local pools start all of theirs at once)
        try:
            for assignment in assignments:
                self.pools[assignment] = self._pool(assignment, scheduler, sandboxed, limits or {})
        except BaseException:
            self.stop()
            raise

    def _pool(self, assignment: str, scheduler: str | None, sandboxed: bool, limits: dict):
        clear_leftovers(self.course, assignment)
        settings = grading_settings(self.course, assignment, self.jobs, sandboxed, limits)
        if scheduler:
            from mllab.autograde.cluster import DaskPool

            return DaskPool([], settings, scheduler, {})
        logs = self.course.root / ".mllab" / "logs" / "serve" / assignment
        return Pool([], settings, self.jobs, logs, keep_open=True)

    @property
    def free(self) -> int:
        return self.jobs - len(self.running)

    def recorded_before(self, assignment: str, student: str) -> Outcome | None:
        """The outcome already recorded for exactly what submitted/ holds (a restart after recording)."""
        last = load_outcomes(self.course, assignment).get(student)
        current = fingerprint(self.course.submission_dir(student, assignment))
        if last is not None and last.fingerprint == current and last.status != "error":
            return last
        return None

    def start(self, assignment: str, student: str, timestamp: str) -> None:
        """Grade what submitted/ holds for the student (collected just before)."""
        recorder = Recorder(self.course, assignment)
        try:
            recorder.prepare([student])
        finally:
            recorder.close()
        prints = fingerprint(self.course.submission_dir(student, assignment))
        self.running[(assignment, student)] = Job(assignment, student, timestamp, prints, time.time())
        self.pools[assignment].add(student, prints)

    def finished(self) -> list[tuple[Job, Outcome]]:
        """The hand-ins whose grading ended since the last call, each recorded (or marked an error)."""
        done = []
        for assignment, pool in self.pools.items():
            for item in pool.ready():
                if isinstance(item, Started):
                    self.warm += 1
                elif isinstance(item, Outcome):
                    job = self.running.pop((assignment, item.student))
                    done.append((job, self._record(job, replace(item, fingerprint=job.fingerprint))))
        return done

    def _record(self, job: Job, outcome: Outcome) -> Outcome:
        recorder = Recorder(self.course, job.assignment)
        try:
            outcome = record_outcome(recorder, self.course, job.assignment, outcome)
            if outcome.status != "error":
                outcome = outcome.with_score(recorder.code_score(job.student))
        finally:
            recorder.close()
        save_outcomes(self.course, job.assignment, {**load_outcomes(self.course, job.assignment),
                                                     job.student: outcome})
        return outcome

    def stop(self) -> None:
        """Kill every worker now (with its zygote and kernels); hand-ins in progress are graded after a restart."""
        for pool in self.pools.values():
            pool.stop()
        self.pools.clear()
