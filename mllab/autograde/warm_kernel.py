"""Kernels forked from a warm zygote, behind jupyter_client's own kernel manager interface.

nbgrader's Execute preprocessor starts kernels through a jupyter_client ``AsyncKernelManager``.
:class:`WarmKernelManager` is that manager with one change: its provisioner asks the worker's
zygote (see :mod:`mllab.autograde.zygote`) to fork an ipykernel instead of starting a new Python.
Connection files, ports, messaging, interrupts and shutdown stay jupyter_client's. A kernel
command that is not a plain ``python -m ipykernel_launcher`` is launched the ordinary way.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

from mllab.autograde import sandbox
from mllab.autograde.sandbox import Sandbox
from mllab.errors import PipelineError


class Zygote:
    """The worker's handle on its zygote process: start it, ask it for kernels, stop it.

    With a :class:`~mllab.autograde.sandbox.Sandbox`, the zygote and every kernel it forks live
    in that sandbox; :meth:`tidy` ends anything a student left running there.
    """

    def __init__(self, memory_bytes: int | None = None, log=None, sandbox: Sandbox | None = None,
                 cpu_seconds: float | None = None) -> None:
        self.memory_bytes = memory_bytes
        self.cpu_seconds = cpu_seconds
        self.sandbox = sandbox
        self._log = log or sys.stderr
        self._lock = threading.Lock()
        self._start()

    def _start(self) -> None:
        read_fd, write_fd = os.pipe()
        argv = [sys.executable, "-m", "mllab.autograde.zygote", str(write_fd)]
        options: dict[str, Any] = {}
        if self.sandbox is not None:
            self.sandbox.prepare()
            uid = [] if self.sandbox.uid is None else [str(self.sandbox.uid)]
            argv = self.sandbox.command(argv + uid, cwd=self.sandbox.scratch)
            options = {**self.sandbox.popen_options(), "env": self.sandbox.kernel_env(dict(os.environ))}
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=self._log, stderr=self._log,
                                        pass_fds=(write_fd,), text=True, **options)
        os.close(write_fd)
        self._replies = os.fdopen(read_fd, "r")
        ready = self._reply()
        self.missing = ready.get("missing", [])
        self.pid = self._host_pid(ready["pid"])

    def _host_pid(self, pid: int) -> int:
        return pid if self.sandbox is None else sandbox.host_pid(self.process.pid, pid)

    def _reply(self) -> dict:
        line = self._replies.readline()
        if not line:
            raise PipelineError(f"the warm kernel process (zygote) exited{self._last_words()}")
        return json.loads(line)

    def _last_words(self) -> str:
        """The last line the zygote wrote to its log (its exception), where the log is a file."""
        name = getattr(self._log, "name", None)
        if not isinstance(name, str) or not os.path.isfile(name):
            return "; see the worker log"
        self._log.flush()
        lines = [line for line in Path(name).read_text(errors="replace").splitlines() if line.strip()]
        return f": {lines[-1].strip()}" if lines else ""

    def fork(self, argv: list[str], cwd: str, env: dict[str, str]) -> int:
        """A new kernel process running ``argv`` (an ipykernel command line); returns its host pid."""
        request = {"argv": argv, "cwd": cwd, "env": env, "memory_bytes": self.memory_bytes,
                   "cpu_seconds": self.cpu_seconds}
        with self._lock:
            if self.process.poll() is not None:  # a student's kernel killed its parent: start again
                self._replies.close()
                self._start()
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            return self._host_pid(self._reply()["pid"])

    def tidy(self) -> int:
        """End every process a student left in the sandbox; returns how many there were.

        Anything besides the zygote itself is a leftover (a daemon, a fork bomb, a subprocess):
        the whole sandbox is killed, which ends every process in its PID namespace, and a fresh
        one starts for the next student.
        """
        if self.sandbox is None or self.process.poll() is not None:
            return 0
        strays = sandbox.strays(self.process.pid, keep=self.pid)
        if strays:
            self.kill()
        return strays

    def kill(self) -> None:
        """Kill the sandbox and all in it; the next :meth:`fork` starts a fresh one."""
        sandbox.kill_namespace(self.process.pid)
        self.process.kill()
        self.process.wait()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            if self.sandbox is not None:
                self.kill()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._replies.close()


ZYGOTE: Zygote | None = None  # the worker's zygote; set by the worker before grading


def can_fork(argv: list[str]) -> bool:
    """Is this a plain ``python -m ipykernel_launcher ...`` command of our own interpreter?"""
    return (ZYGOTE is not None and len(argv) >= 3 and argv[1:3] == ["-m", "ipykernel_launcher"]
            and os.path.realpath(argv[0]) == os.path.realpath(sys.executable))


class ForkedProcess:
    """Enough of ``subprocess.Popen`` for jupyter_client, for a kernel the zygote forked.

    The zygote reaps its children, so a kernel that has ended simply no longer exists.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = -signal.SIGKILL  # the real status went to the zygote
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


LIVE_KERNELS: set[int] = set()  # process groups of the kernels running now (for the wall-clock guard)


class WarmProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, launching through the zygote when it can."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        if not can_fork(cmd):
            if ZYGOTE is not None and ZYGOTE.sandbox is not None:
                raise PipelineError(f"the sandbox runs the course's Python kernel only, not {cmd[:3]}")
            return await super().launch_kernel(cmd, **kwargs)
        env = dict(kwargs.get("env") or os.environ)
        if not kwargs.get("independent"):
            env["JPY_PARENT_PID"] = str(os.getpid())  # as jupyter_client's launcher sets it
        cwd = str(kwargs.get("cwd") or os.getcwd())
        if ZYGOTE.sandbox is not None:
            env = ZYGOTE.sandbox.kernel_env(env)
            ZYGOTE.sandbox.give(Path(cwd))
            ZYGOTE.sandbox.give(Path(self.parent.connection_file))
        self.process = ForkedProcess(ZYGOTE.fork(cmd, cwd, env))
        self.pid = self.pgid = self.process.pid  # the child calls setsid(): its own process group
        self.cwd = cwd
        LIVE_KERNELS.add(self.pgid)
        return self.connection_info

    async def cleanup(self, restart: bool = False) -> None:
        LIVE_KERNELS.discard(self.pgid)
        await super().cleanup(restart=restart)


class WarmKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernels come from the worker's zygote."""

    async def _async_pre_start_kernel(self, **kw: Any):
        if ZYGOTE is not None and ZYGOTE.sandbox is not None:
            self._use_ipc(ZYGOTE.sandbox)
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or str(uuid.uuid4())
            self.provisioner = WarmProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)

    def _use_ipc(self, box: Sandbox) -> None:
        """Talk to the kernel over Unix sockets in the scratch folder: the sandbox has no network."""
        folder = box.ipc
        name = f"kernel-{uuid.uuid4().hex[:12]}"
        self.transport, self.ip = "ipc", str(folder / name)
        self.connection_file = str(folder / f"{name}.json")


def kill_group(pgid: int) -> bool:
    """SIGKILL a whole process group; False if it was already gone."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


def kill_live_kernels() -> None:
    """Kill every kernel process group now running in this worker (the wall-clock guard)."""
    for pgid in list(LIVE_KERNELS):
        if not kill_group(pgid):
            LIVE_KERNELS.discard(pgid)
