"""The parent's side of the workers: start them, hand out students, survive a worker that dies.

Each worker is its own process group (worker and zygote). A worker that stops answering within
the per-submission limit (plus a grace period) is killed; that student is marked and a fresh
worker takes the rest of the queue. Workers write their logs to .mllab/logs/<assignment>/.
"""

from __future__ import annotations

import json
import queue
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from mllab.autograde.state import Outcome
from mllab.autograde.warm_kernel import kill_group
from mllab.autograde.worker import Settings
from mllab.course.nbgrader_steps import tool_environment

STARTUP_LIMIT = 300  # seconds a worker may take to import nbgrader and warm its zygote
GRACE = 120  # seconds past the per-submission limit before the parent kills a silent worker


class WorkerGone(Exception):
    """The worker process ended or stopped answering."""


class WorkerProcess:
    """One `python -m mllab.autograde.worker` process and its line protocol."""

    def __init__(self, settings: Settings, log: Path) -> None:
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log, "a", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mllab.autograde.worker", settings.to_json()], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self._log, text=True, env=tool_environment(), start_new_session=True)
        self._read(STARTUP_LIMIT)

    def _read(self, limit: float) -> dict:
        ready, _, _ = select.select([self.process.stdout], [], [], limit)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            self.kill()
            raise WorkerGone("no answer" if not ready else "the worker exited")
        return json.loads(line)

    def grade(self, student: str, limit: float) -> Outcome:
        try:
            self.process.stdin.write(student + "\n")
            self.process.stdin.flush()
        except BrokenPipeError as error:
            raise WorkerGone("the worker exited") from error
        return Outcome(**self._read(limit))

    def kill(self) -> None:
        kill_group(self.process.pid)  # the worker and its zygote (kernels have their own sessions)
        self.process.wait()
        self._log.close()

    def close(self) -> None:
        try:
            self.process.stdin.close()
            self.process.wait(timeout=30)
        except (subprocess.TimeoutExpired, BrokenPipeError):
            pass
        self.kill()


def _lost(student: str, seconds: float, why: str, log: Path) -> Outcome:
    detail = f"the grading worker {why} while grading this submission (its log: {log})"
    return Outcome(student, "error", seconds=seconds, detail=detail)


def _slot(index: int, students: queue.Queue, settings: Settings, logs: Path, report: Callable[[Outcome], None]) -> None:
    """One worker slot: grade students from the queue, replacing the worker if it dies."""
    log = logs / f"worker-{index}.log"
    worker = None
    limit = settings.wall_limit + GRACE
    while True:
        try:
            student = students.get_nowait()
        except queue.Empty:
            break
        start = time.perf_counter()
        try:
            worker = worker or WorkerProcess(settings, log)
            report(worker.grade(student, limit))
        except WorkerGone as gone:
            worker = None
            report(_lost(student, time.perf_counter() - start, "stopped (" + str(gone) + ")", log))
        except Exception as error:  # noqa: BLE001 - one student's failure must not stop the class
            report(_lost(student, time.perf_counter() - start, f"failed: {error}", log))
    if worker:
        worker.close()


def grade_in_workers(students: list[str], settings: Settings, jobs: int, logs: Path,
                     report: Callable[[Outcome], None]) -> None:
    """Grade ``students`` with ``jobs`` workers in parallel; ``report`` is called per outcome."""
    todo: queue.Queue = queue.Queue()
    for student in students:
        todo.put(student)
    slots = [threading.Thread(target=_slot, args=(k, todo, replace(settings, workspace=f"{settings.workspace}/{k}", slot=k),
                                                  logs, report), daemon=True)
             for k in range(min(jobs, len(students)))]
    for slot in slots:
        slot.start()
    for slot in slots:
        slot.join()
