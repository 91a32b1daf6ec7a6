"""The parent's side of the workers: start them, hand out students, pass each result on as it comes.

Each worker is its own process group (worker and zygote). A worker that stops answering within
the per-submission limit (plus a grace period) is killed; that student is marked and a fresh
worker takes the rest of the queue. Workers die with the parent (``PR_SET_PDEATHSIG``), so a
killed `mllab autograde` leaves no worker, zygote or kernel behind. Workers write their logs to
.mllab/logs/<assignment>/.
"""

from __future__ import annotations

import json
import os
import queue
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from mllab.autograde.state import Outcome
from mllab.autograde.warm_kernel import kill_group
from mllab.autograde.worker import Settings
from mllab.errors import MllabError
from mllab.course.nbgrader_steps import tool_environment
from mllab.course.paths import DB_URL_VARIABLE

STARTUP_LIMIT = 300  # seconds a worker may take to import nbgrader and warm its zygote
GRACE = 120  # seconds past the per-submission limit before the parent kills a silent worker


class WorkerGone(Exception):
    """The worker process ended or stopped answering."""


class WorkerCannotStart(MllabError):
    """A worker could not make a sandboxed kernel that imports the checks: nothing can be graded."""

    exit_code = 6


@dataclass(frozen=True)
class Started:
    """A worker is ready: how long its start took (for the benchmark's start-up time)."""

    seconds: float


class WorkerProcess:
    """One `python -m mllab.autograde.worker` process and its line protocol."""

    def __init__(self, settings: Settings, log: Path) -> None:
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log, "a", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mllab.autograde.worker", settings.to_json(), str(os.getpid())], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self._log, text=True, env=_worker_environment(), start_new_session=True)
        ready = self._read(STARTUP_LIMIT)
        if not ready.get("ready"):
            self.kill()
            raise WorkerCannotStart(ready.get("error", "the worker could not start"))

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


def _worker_environment() -> dict[str, str]:
    """nbgrader's environment without the gradebook's address: workers never touch the database."""
    return {k: v for k, v in tool_environment().items() if k != DB_URL_VARIABLE}


def _lost(student: str, seconds: float, why: str, log: Path) -> Outcome:
    detail = f"the grading worker {why} while grading this submission (its log: {log})"
    return Outcome(student, "error", seconds=seconds, detail=detail)


class Pool:
    """``jobs`` workers grading ``students``; :meth:`results` yields each outcome as it arrives."""

    def __init__(self, students: list[str], settings: Settings, jobs: int, logs: Path) -> None:
        self.todo: queue.Queue = queue.Queue()
        for student in students:
            self.todo.put(student)
        self.settings, self.logs = settings, logs
        self.arrived: queue.Queue = queue.Queue()
        self.stopping = threading.Event()
        self.workers: dict[int, WorkerProcess] = {}
        self.slots = [threading.Thread(target=self._slot, args=(k,), daemon=True)
                      for k in range(min(jobs, len(students)))]
        for slot in self.slots:
            slot.start()

    def results(self, poll: float = 0.5) -> Iterator[Outcome | Started | None]:
        """Outcomes and worker starts as they come; ``None`` every ``poll`` seconds while waiting."""
        while any(slot.is_alive() for slot in self.slots) or not self.arrived.empty():
            try:
                item = self.arrived.get(timeout=poll)
            except queue.Empty:
                yield None
                continue
            if isinstance(item, WorkerCannotStart):
                raise item
            yield item

    def stop(self) -> None:
        """Hand out no more students and kill every worker now (with its zygote and kernels)."""
        self.stopping.set()
        for worker in list(self.workers.values()):
            kill_group(worker.process.pid)
        for slot in self.slots:
            slot.join(timeout=30)

    def _slot(self, index: int) -> None:
        """One worker slot: grade students from the queue, replacing the worker if it dies.

        The worker is started from this thread, which lives as long as the worker: the worker's
        parent-death signal is tied to the thread that started it.
        """
        log = self.logs / f"worker-{index}.log"
        settings = replace(self.settings, workspace=f"{self.settings.workspace}/{index}", slot=index)
        limit = settings.wall_limit + GRACE
        try:
            while not self.stopping.is_set():
                try:
                    student = self.todo.get_nowait()
                except queue.Empty:
                    break
                self.arrived.put(self._grade(index, student, settings, log, limit))
        except WorkerCannotStart as error:
            self.arrived.put(error)
        finally:
            worker = self.workers.pop(index, None)
            if worker:
                worker.close()

    def _grade(self, index: int, student: str, settings: Settings, log: Path, limit: float) -> Outcome:
        start = time.perf_counter()
        try:
            if index not in self.workers:
                self.workers[index] = WorkerProcess(settings, log)
                self.arrived.put(Started(time.perf_counter() - start))
                start = time.perf_counter()
            return self.workers[index].grade(student, limit)
        except WorkerGone as gone:
            self.workers.pop(index, None)
            why = "was stopped" if self.stopping.is_set() else f"stopped ({gone})"
            return _lost(student, time.perf_counter() - start, why, log)
        except WorkerCannotStart:
            raise
        except Exception as error:  # noqa: BLE001 - one student's failure must not stop the class
            return _lost(student, time.perf_counter() - start, f"failed: {error}", log)
