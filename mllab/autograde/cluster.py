"""`mllab autograde --scheduler ADDRESS`: the same grading, spread over the workers of a Dask cluster.

Each Dask worker (started with ``--nthreads 1``) gets :class:`GradingPlugin`, which sets up what
makes the local pool fast once per worker: a private workspace, the warm zygote and the bubblewrap
sandbox, proven by a probe kernel (:func:`mllab.autograde.worker.start`). A task grades one
student there and returns the outcome and the staged autograded files as bytes; workers read the
course folder (a shared file system) but never write it, and never open the gradebook.

:class:`DaskPool` has the local :class:`~mllab.autograde.pool.Pool`'s interface, so the coordinator
records each result the moment it arrives, exactly as with local workers. Each task's key names
(assignment, student, submission fingerprint): Dask delivers a task's result once even when it ran
it twice (a worker that died, or one paused past the scheduler's timeout), and a task whose
workers keep dying ends, after ``distributed.scheduler.allowed-failures`` tries, as ``KilledWorker``:
that student gets status ``error`` with the reason, and the rest of the class is graded.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path

from mllab.autograde.pool import STARTUP_LIMIT, Started, WorkerCannotStart
from mllab.autograde.state import Outcome
from mllab.autograde.worker import Settings

PLUGIN = "mllab-grading"
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

try:  # distributed is only needed with --scheduler
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # pragma: no cover - the pinned requirements install it
    WorkerPlugin = object


def _slot(worker) -> int:
    """A number that tells this worker's sandbox uid from its neighbours' on one machine."""
    digits = re.search(r"(\d+)$", str(worker.name))
    return int(digits.group(1)) % 1000 if digits else worker.port % 1000


class GradingPlugin(WorkerPlugin):
    """Set up a grading worker (workspace, zygote, sandbox, probe) once per Dask worker."""

    def __init__(self, settings: dict) -> None:
        self.settings = settings
        self.grader = None
        self.local: Settings | None = None
        self.problem: str | None = None  # why the set-up failed, if it did

    def wait_until_ready(self, timeout: float = STARTUP_LIMIT):
        """The grading worker, once the set-up is done (a task may arrive while it still runs)."""
        deadline = time.monotonic() + timeout
        while self.grader is None and self.problem is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.grader is None:
            raise WorkerCannotStart(self.problem or "the grading set-up of this worker did not finish in time")
        return self.grader

    async def setup(self, worker) -> None:
        """In a thread: the set-up takes seconds, and the worker must go on answering the scheduler."""
        import asyncio

        from mllab.autograde.worker import start

        folder = Path(worker.local_directory) / "mllab"
        shutil.rmtree(folder, ignore_errors=True)
        self.local = replace(Settings(**self.settings), workspace=str(folder / "work"),
                             staging=str(folder / "staged"), slot=_slot(worker))
        for name in THREAD_VARIABLES:
            os.environ[name] = "1"  # one grading thread per worker: its kernels use one core
        try:
            self.grader = await asyncio.to_thread(start, self.local)
        except Exception as error:
            self.problem = str(error)
            raise

    def teardown(self, worker) -> None:
        from mllab.autograde.worker import stop_zygote

        stop_zygote()


def grade_on_worker(student: str) -> dict:
    """The task: grade one student on this worker; the outcome and the staged files as bytes."""
    from distributed import get_worker

    plugin = get_worker().plugins[PLUGIN]
    grader = plugin.wait_until_ready()
    begin = time.perf_counter()
    outcome = grader.grade(student)
    seconds = round(time.perf_counter() - begin, 2)
    staged = Path(plugin.local.staging) / student
    files = {str(p.relative_to(staged)): p.read_bytes() for p in staged.rglob("*") if p.is_file()}
    shutil.rmtree(staged, ignore_errors=True)
    return {"outcome": {**asdict(outcome), "seconds": seconds}, "files": files}


def _unpack(result: dict, staging: Path) -> Outcome:
    """Write the returned files where the coordinator records from; the outcome."""
    outcome = Outcome(**result["outcome"])
    folder = staging / outcome.student
    shutil.rmtree(folder, ignore_errors=True)
    for name, data in result["files"].items():
        target = (folder / name).resolve()
        if folder.resolve() in target.parents:  # never outside the student's staging folder
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    return outcome


def _failed(student: str, error: BaseException) -> Outcome:
    from distributed.scheduler import KilledWorker

    if isinstance(error, KilledWorker):
        detail = ("this submission's grading killed every worker it ran on (Dask's allowed-failures were "
                  f"used up): {error}. Look at it by hand; the rest of the class was graded")
    else:
        detail = f"the grading task failed on its Dask worker: {type(error).__name__}: {error}"
    return Outcome(student, "error", detail=detail[:400])


class DaskPool:
    """The students of one run as Dask tasks; :meth:`results` yields each outcome as it arrives."""

    def __init__(self, students: list[str], settings: Settings, scheduler: str, prints: dict[str, str]) -> None:
        from distributed import Client
        from distributed.comm.core import CommClosedError

        self.staging = Path(settings.staging)
        self.staging.mkdir(parents=True, exist_ok=True)
        target = {"scheduler_file": scheduler} if Path(scheduler).is_file() else {"address": scheduler}
        self.client = Client(**target, timeout="60s", set_as_default=False)
        try:
            self.client.register_plugin(GradingPlugin(asdict(settings)), name=PLUGIN)
        except (CommClosedError, OSError):
            pass  # a worker died while it set up: the scheduler sets the plugin up on its successor
        except Exception as error:  # noqa: BLE001 - the worker's own message says what is wrong
            self.client.close()
            raise WorkerCannotStart(f"a Dask worker could not set up grading: {error}") from None
        self.assignment = settings.assignment
        self.futures = {}
        self.announced = False
        for student in students:
            self.add(student, prints[student])

    def add(self, student: str, fingerprint: str) -> None:
        """One more student to grade (the grading service adds them as they hand in)."""
        key = f"mllab-{self.assignment}-{student}-{fingerprint[:16]}-{uuid.uuid4().hex[:8]}"
        self.futures[self.client.submit(grade_on_worker, student, pure=False, key=key)] = student

    def ready(self) -> list[Outcome | Started]:
        """The outcomes that have arrived since the last call, without waiting (first: one Started per
        worker of the cluster, whose workers are warm already)."""
        done = [future for future in self.futures if future.done()]
        started = [] if self.announced else [Started(0.0)] * len(self.client.scheduler_info()["workers"])
        self.announced = True
        return started + [self._outcome(future, self.futures.pop(future)) for future in done]

    def _outcome(self, future, student: str) -> Outcome:
        if future.status == "finished":
            return _unpack(future.result(), self.staging)
        return _failed(student, future.exception())

    def results(self, poll: float = 0.5) -> Iterator[Outcome | Started | None]:
        yield Started(0.0)
        pending = dict(self.futures)
        while pending:
            done = [future for future in pending if future.done()]
            if not done:
                time.sleep(poll)
                yield None
            for future in done:
                yield self._outcome(future, pending.pop(future))
        self.client.close()

    def stop(self) -> None:
        """Cancel what is not graded yet and let go of the cluster (its workers stay up)."""
        self.client.cancel(list(self.futures))
        self.client.close()
