"""The parent's side of the workers: start them, hand out students, pass each result on as it comes.

Workers are forked by one warm forker process per run (see :mod:`.forker`), so nbgrader's and
the judge's imports are paid once, not once per worker; if the forker is gone, a worker starts
the plain way. Each worker is its own process group (worker and zygote). A worker that stops
answering within the per-submission limit (plus a grace period) is killed; that student is marked
and a fresh worker takes the rest of the queue. The forker dies with the parent and the workers
with the forker (``PR_SET_PDEATHSIG``), so a killed `mllab autograde` leaves no worker, zygote or
kernel behind. Workers write their logs to .mllab/logs/<assignment>/.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from mllab.autograde.forker import MESSAGE_BYTES
from mllab.autograde.state import Outcome
from mllab.autograde.warm_kernel import ForkedProcess, kill_group
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


class ForkedWorker(ForkedProcess):
    """A worker the run's forker made: not our child, so it is watched by pid; spoken to over two pipes."""

    def __init__(self, pid: int, stdin, stdout) -> None:
        super().__init__(pid)
        self.stdin, self.stdout = stdin, stdout

    def poll(self) -> int | None:
        if self.returncode is None and _zombie(self.pid):
            self.returncode = -signal.SIGKILL  # orphaned and not reaped yet: it has ended all the same
        return super().poll()


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


class Forker:
    """The run's forker process (:mod:`mllab.autograde.forker`): workers forked from it start warm.

    Start it from the thread that lives as long as the run: its parent-death signal is tied to that
    thread. If it has died (killed with the workers), :meth:`fork` says so and the caller starts
    the worker the plain way.
    """

    def __init__(self, settings: Settings, log: Path) -> None:
        log.parent.mkdir(parents=True, exist_ok=True)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with open(log, "a", encoding="utf-8") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "mllab.autograde.forker", settings.to_json(), str(os.getpid()),
                 str(theirs.fileno())], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                pass_fds=(theirs.fileno(),), env=_worker_environment(), start_new_session=True)
        theirs.close()
        self.channel = ours
        self.closed = False
        self._lock = threading.Lock()

    def fork(self, settings: Settings, log) -> ForkedWorker | None:
        """A new worker with ``log`` as its stderr, or None if the forker is gone.
        Once the pool closed the forker, no worker starts at all."""
        if self.closed:
            raise WorkerGone("the run is stopping")
        stdin_read, stdin_write = os.pipe()
        stdout_read, stdout_write = os.pipe()
        try:
            with self._lock:
                socket.send_fds(self.channel, [settings.to_json().encode()], [stdin_read, stdout_write, log.fileno()])
                reply = self.channel.recv(MESSAGE_BYTES)
        except OSError:
            reply = b""
        finally:
            os.close(stdin_read)
            os.close(stdout_write)
        if not reply:
            os.close(stdin_write)
            os.close(stdout_read)
            if self.closed:
                raise WorkerGone("the run is stopping")
            return None
        return ForkedWorker(json.loads(reply)["pid"], os.fdopen(stdin_write, "w"), os.fdopen(stdout_read, "r"))

    def close(self) -> None:
        """No more workers: the forker is killed, and with it any worker it made that is still alive."""
        self.closed = True
        self.channel.close()
        if self.process.poll() is None:  # not once it is reaped: its pid could be another process's by then
            kill_group(self.process.pid)
        self.process.wait()


class WorkerProcess:
    """One worker process (forked warm by the run's forker, or a fresh `python -m mllab.autograde.worker`)
    and its line protocol."""

    def __init__(self, settings: Settings, log: Path, forker: Forker | None = None) -> None:
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log, "a", encoding="utf-8")
        try:
            forked = forker.fork(settings, self._log) if forker else None
        except WorkerGone:
            self._log.close()
            raise
        self.process = forked or subprocess.Popen(
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
        for stream in (self.process.stdin, self.process.stdout, self._log):
            with contextlib.suppress(OSError):
                stream.close()

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


_SLOT_DONE = object()  # what a slot's thread puts last, once its worker has exited


class Pool:
    """``jobs`` workers grading ``students``; :meth:`results` yields each outcome as it arrives.

    With ``keep_open`` (the grading service), every slot starts its worker at once and then waits for
    students given later with :meth:`add`, until :meth:`stop`; :meth:`ready` takes what has arrived.
    """

    def __init__(self, students: list[str], settings: Settings, jobs: int, logs: Path, *,
                 keep_open: bool = False) -> None:
        self.todo: queue.Queue = queue.Queue()
        for student in students:
            self.todo.put(student)
        self.settings, self.logs, self.keep_open = settings, logs, keep_open
        self.arrived: queue.Queue = queue.Queue()
        self.stopping = threading.Event()
        self.workers: dict[int, WorkerProcess] = {}
        self.forker = Forker(settings, logs / "forker.log")  # from this thread: see Forker
        count = jobs if keep_open else min(jobs, len(students))
        self.slots = [threading.Thread(target=self._slot, args=(k,), daemon=True) for k in range(count)]
        for slot in self.slots:
            slot.start()

    def add(self, student: str, fingerprint: str = "") -> None:  # noqa: ARG002 - the Dask pool's key needs it
        """One more student to grade (``keep_open`` pools)."""
        self.todo.put(student)

    def ready(self) -> list[Outcome | Started]:
        """What has arrived since the last call, without waiting; a worker that cannot start raises."""
        items = []
        while True:
            try:
                item = self.arrived.get_nowait()
            except queue.Empty:
                return items
            if isinstance(item, WorkerCannotStart):
                raise item
            if item is not _SLOT_DONE:
                items.append(item)

    def results(self, poll: float = 0.5) -> Iterator[Outcome | Started | None]:
        """Outcomes and worker starts as they come; ``None`` every ``poll`` seconds while waiting.
        Ends the moment the last slot is done (each slot says so last, after its worker exited)."""
        done = 0
        while done < len(self.slots):
            try:
                item = self.arrived.get(timeout=poll)
            except queue.Empty:
                yield None
                continue
            if item is _SLOT_DONE:
                done += 1
                continue
            if isinstance(item, WorkerCannotStart):
                raise item
            yield item
        self.forker.close()

    def stop(self) -> None:
        """Hand out no more students and kill every worker now (with its zygote and kernels)."""
        self.stopping.set()
        self.forker.close()
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
            if self.keep_open:
                self._warm(index, settings, log)
            while not self.stopping.is_set():
                student = self._next()
                if student is None:
                    break
                self.arrived.put(self._grade(index, student, settings, log, limit))
        except WorkerCannotStart as error:
            self.arrived.put(error)
        finally:
            worker = self.workers.pop(index, None)
            if worker:
                worker.close()
            self.arrived.put(_SLOT_DONE)

    def _next(self) -> str | None:
        """The next student, or None when there is none (a keep_open pool waits for one until it stops)."""
        while not self.stopping.is_set():
            try:
                return self.todo.get(timeout=0.2) if self.keep_open else self.todo.get_nowait()
            except queue.Empty:
                if not self.keep_open:
                    return None
        return None

    def _warm(self, index: int, settings: Settings, log: Path) -> None:
        """Start this slot's worker before any student comes (a worker that fails to start is retried per student)."""
        start = time.perf_counter()
        try:
            self.workers[index] = WorkerProcess(settings, log, self.forker)
        except WorkerGone:
            return
        self.arrived.put(Started(time.perf_counter() - start))

    def _grade(self, index: int, student: str, settings: Settings, log: Path, limit: float) -> Outcome:
        start = time.perf_counter()
        try:
            if index not in self.workers:
                self.workers[index] = WorkerProcess(settings, log, self.forker)
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
