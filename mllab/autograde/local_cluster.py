"""A real Dask cluster on this machine's loopback: a `dask scheduler` and `dask worker` processes.

For trying `mllab autograde --scheduler` on one machine, and for the tests and the benchmark that
compare it with the local pool (a real course starts its cluster with dask-jobqueue, Kubernetes, ...).

Workers run under their nanny (which restarts a worker that dies), with one thread each, and a
sandbox uid range of their own. Everything is stopped by :meth:`Cluster.stop`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil

from mllab.autograde.sandbox import UID_ENV

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """``workers`` Dask workers and their scheduler; ``settings`` are DASK_* environment overrides."""

    def __init__(self, folder: Path, workers: int = 2, first_uid: int = 64000, **settings: str) -> None:
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", UID_ENV: str(first_uid),
               **{f"DASK_DISTRIBUTED__{k.upper()}": v for k, v in settings.items()}}
        self.processes = [self._start(["scheduler", "--host", "127.0.0.1", "--port", self.address.rsplit(":", 1)[1],
                                       "--no-dashboard"], "scheduler", env)]
        for k in range(1, workers + 1):
            self.processes.append(self._start(["worker", self.address, "--nthreads", "1", "--name", f"mllab-{k}",
                                               "--no-dashboard", "--local-directory", str(folder / f"w{k}")],
                                              f"worker-{k}", env))
        self.wait_for_workers(workers)

    def _start(self, args: list[str], name: str, env: dict) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "w", encoding="utf-8")
        return subprocess.Popen([str(BIN / "dask"), *args], env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)

    def wait_for_workers(self, count: int, timeout: float = 120) -> None:
        from distributed import Client

        with Client(self.address, timeout="60s", set_as_default=False) as client:
            client.wait_for_workers(count, timeout=timeout)

    def worker_processes(self) -> list[psutil.Process]:
        """The worker processes (the nannies' children), which grade."""
        return [child for nanny in self.processes[1:] for child in psutil.Process(nanny.pid).children()]

    def stop(self) -> None:
        for process in reversed(self.processes):
            try:
                os.killpg(process.pid, 9)
            except ProcessLookupError:
                pass
            process.wait()
