"""A bubblewrap sandbox for students' kernels: own folder only, no network, bounded, no leftovers.

The worker's zygote (and so every kernel it forks) runs inside ``bwrap`` with new user, PID,
network, IPC and UTS namespaces. What the sandbox sees is built from nothing:

* read-only: the Python installation and virtualenv, the ``mllab`` package (the checks the test
  cells call), the course's ``data/`` copy, and the system's ``/usr`` and ``/etc``;
* writable: the worker's ``autograded/`` folder (which holds only the student being graded) and a
  scratch folder for HOME, TMPDIR and the kernel's IPC sockets, emptied between students;
* nothing else: not ``source/``, not the gradebook, not other students, not the instructor's home.

Started as root, bwrap sets the sandbox up with root's rights, and the zygote then drops to a uid
of its own (one per worker), so that the process limit counts only the sandbox's processes and
no capability is left. Started by another user, bwrap uses an unprivileged user namespace. Killing the sandbox's first process ends every process in its
PID namespace, double-forked daemons included: the kernel guarantees it.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from mllab.errors import MllabError

FIRST_UID = 61000  # sandbox uids when started as root: first_uid() + worker slot
UID_ENV = "MLLAB_SANDBOX_FIRST_UID"  # another first uid, for two runs at once on one machine
MAX_PROCESSES = 256  # tasks (processes and threads) one sandbox may hold at once
MAX_FILE_BYTES = 512 * 1024**2  # no single file a kernel writes may be larger
SYSTEM_READONLY = ("/usr", "/etc")
SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


class SandboxUnavailable(MllabError):
    """bubblewrap is missing or cannot create namespaces on this machine."""

    exit_code = 6


def first_uid() -> int:
    """The uid of worker slot 0's sandbox when started as root: FIRST_UID, or $MLLAB_SANDBOX_FIRST_UID.
    Two `mllab autograde` runs at once on one machine should each get their own range."""
    value = os.environ.get(UID_ENV, str(FIRST_UID))
    if not value.isdigit() or not 1000 <= int(value) < 2**31 - 1000:
        raise SandboxUnavailable(f"{UID_ENV}={value!r} is not a uid between 1000 and 2**31 - 1000: "
                                 "unset it, or give the first uid of a range no account uses")
    return int(value)


def bwrap_executable() -> str | None:
    """``$MLLAB_BWRAP`` if set, else ``bwrap`` on PATH (None when there is none)."""
    chosen = os.environ.get("MLLAB_BWRAP") or shutil.which("bwrap")
    return chosen if chosen and os.access(chosen, os.X_OK) else None


def python_paths() -> list[Path]:
    """The interpreter, the virtualenv and the mllab package: all a kernel needs to import."""
    import sys

    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), package_root() / "mllab"}
    return sorted(p for p in paths if p.is_dir())


def package_root() -> Path:
    """The folder holding the mllab package this grader imports. Kernels put it first on their path, so
    that the hidden checks they run are the grader's own (an assignment added in a copy of the course
    repository is graded with that copy's checks, not with those of another installation)."""
    import mllab

    return Path(mllab.__file__).resolve().parent.parent


@dataclass(frozen=True)
class Sandbox:
    """Where a worker's kernels may read and write, and under which uid they run."""

    writable: tuple[Path, ...]
    readonly: tuple[Path, ...]
    scratch: Path
    ipc: Path
    uid: int | None = None
    max_processes: int = MAX_PROCESSES
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_worker(cls, workspace: Path, slot: int) -> "Sandbox":
        """The sandbox of one worker: its autograded folder and scratch writable, data read-only."""
        scratch = workspace / "sandbox"
        ipc = Path(tempfile.mkdtemp(prefix="mllab-ipc-"))  # short: a Unix socket path has at most 107 bytes
        readonly = [*python_paths()] + ([workspace / "data"] if (workspace / "data").is_dir() else [])
        return cls(writable=(workspace / "autograded", scratch, ipc), readonly=tuple(readonly), scratch=scratch,
                   ipc=ipc, uid=first_uid() + slot if os.geteuid() == 0 else None)

    # ------------------------------------------------------------------ the bwrap command line

    def command(self, argv: list[str], *, cwd: Path) -> list[str]:
        """``argv`` wrapped in bwrap with this sandbox's view of the file system."""
        bwrap = bwrap_executable()
        if bwrap is None:
            raise SandboxUnavailable(unavailable_message("bubblewrap (bwrap) is not installed"))
        # root: no user namespace, so that the zygote can drop to a uid whose processes are counted
        unshare = ["--unshare-all"] if self.uid is None else [
            "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
        args = [bwrap, *unshare, "--die-with-parent", "--new-session", "--hostname", "sandbox",
                "--proc", "/proc", "--dev", "/dev"]
        args += _system_mounts()
        for folder in _parents(self.readonly + self.writable):
            args += ["--perms", "0755", "--dir", str(folder)]  # traversable by the sandbox's uid
        for path in self.readonly:
            args += ["--ro-bind", str(path), str(path)]
        for path in self.writable:
            args += ["--bind", str(path), str(path)]
        args += ["--remount-ro", "/", "--chdir", str(cwd), "--"]
        return args + argv

    def popen_options(self) -> dict:
        """How to start bwrap: with the limits on processes, file size and core dumps set."""
        nproc = self.max_processes if self.uid is not None else _own_tasks() + self.max_processes
        return {"preexec_fn": lambda: _limit(nproc)}  # counted here: preexec_fn must stay trivial

    # ------------------------------------------------------------------ folders and environment

    def prepare(self) -> None:
        """Create the writable folders, owned by the sandbox's uid."""
        for path in (*self.writable, *self.scratch_dirs().values()):
            path.mkdir(parents=True, exist_ok=True)
            self.give(path)

    def scratch_dirs(self) -> dict[str, Path]:
        return {name: self.scratch / name for name in ("home", "tmp", "matplotlib", "ipython")}

    def wipe_scratch(self) -> None:
        """Empty the scratch folders between students (nothing of one student reaches the next)."""
        for path in self.scratch_dirs().values():
            shutil.rmtree(path, ignore_errors=True)
        empty(self.ipc)
        self.prepare()

    def remove(self) -> None:
        """Delete the IPC folder in /tmp when the worker is done."""
        shutil.rmtree(self.ipc, ignore_errors=True)

    def give(self, path: Path) -> None:
        """Hand ``path`` (recursively) to the sandbox's uid, so its kernel may write there."""
        if self.uid is None:
            return
        for item in [path, *path.rglob("*")] if path.is_dir() else [path]:
            os.lchown(item, self.uid, self.uid)

    def kernel_env(self, env: dict[str, str]) -> dict[str, str]:
        """The kernel's environment: no instructor variables, HOME and TMPDIR in the scratch folder."""
        dirs = self.scratch_dirs()
        kept = {k: v for k, v in env.items() if k in KEPT_VARIABLES or k.endswith("_NUM_THREADS")}
        return {**kept, "HOME": str(dirs["home"]), "TMPDIR": str(dirs["tmp"]), "MPLCONFIGDIR": str(dirs["matplotlib"]),
                "IPYTHONDIR": str(dirs["ipython"]), "JUPYTER_RUNTIME_DIR": str(self.ipc),
                "PYTHONPATH": str(package_root()), **self.extra_env}


KEPT_VARIABLES = {"PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "MPLBACKEND", "PYTHONHASHSEED", "JPY_PARENT_PID",
                  "JPY_SESSION_NAME", "PYDEVD_DISABLE_FILE_VALIDATION", "MLLAB_CHECK_SEED"}


def empty(folder: Path) -> None:
    """Remove what is in ``folder`` but keep the folder itself: a sandbox may have it mounted."""
    for item in folder.glob("*"):
        if item.is_dir() and not item.is_symlink():
            shutil.rmtree(item, ignore_errors=True)
        else:
            item.unlink(missing_ok=True)


def _limit(nproc: int) -> None:
    """In the forked child, before bwrap starts: limits every process of the sandbox inherits."""
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _system_mounts() -> list[str]:
    args: list[str] = []
    for name in SYSTEM_LINKS:
        if os.path.islink(name):
            args += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            args += ["--ro-bind", name, name]
    for name in SYSTEM_READONLY:
        args += ["--ro-bind", name, name]
    return args


def _parents(paths: tuple[Path, ...]) -> list[Path]:
    """The folders above the mount points (not mount points themselves), outermost first."""
    above = {parent for path in paths for parent in path.parents if parent != Path("/")}
    return sorted(above - set(paths), key=lambda folder: len(folder.parts))


def _own_tasks() -> int:
    """How many tasks this uid runs now (the process limit of an unprivileged sandbox adds to it)."""
    uid = os.getuid()
    return sum(p.info["num_threads"] or 1 for p in psutil.process_iter(["uids", "num_threads"])
               if p.info["uids"] and p.info["uids"].real == uid)


def unavailable_message(reason: str) -> str:
    return (f"cannot start the sandbox for students' code: {reason}.\n"
            "mllab autograde runs every kernel in a bubblewrap sandbox (no access to source/, the gradebook, "
            "other students or the network). Install it with `apt-get install bubblewrap` (Debian/Ubuntu) and "
            "make sure unprivileged user namespaces are enabled (`sysctl user.max_user_namespaces` > 0, and "
            "`kernel.unprivileged_userns_clone=1` where that setting exists).\n"
            "Only if every submission is trusted: grade without isolation with --unsafe-no-sandbox.")


def probe(sandbox: Sandbox) -> None:
    """Start a trivial command in the sandbox; raise SandboxUnavailable with the reason if it fails."""
    sandbox.prepare()
    try:
        done = subprocess.run(sandbox.command(["/bin/true"], cwd=sandbox.scratch), capture_output=True, text=True,
                              timeout=60, **sandbox.popen_options())
    except OSError as error:
        raise SandboxUnavailable(unavailable_message(str(error))) from None
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip().splitlines()
        raise SandboxUnavailable(unavailable_message(reason[-1] if reason else f"bwrap exited with {done.returncode}"))


# ---------------------------------------------------------------------- processes inside

def namespace_pid(process: psutil.Process) -> int | None:
    """The pid a process has in its innermost PID namespace (from /proc/<pid>/status)."""
    try:
        with open(f"/proc/{process.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("NSpid:"):
                    return int(line.split()[-1])
    except (OSError, ValueError):
        return None
    return None


def inside(root: int) -> list[psutil.Process]:
    """Every process in the sandbox started as ``root`` (bwrap), outermost first."""
    try:
        return psutil.Process(root).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def strays(root: int, *, keep: int) -> int:
    """How many processes run in the sandbox besides its init and the process ``keep``."""
    try:
        init = {p.pid for p in psutil.Process(root).children()}
    except psutil.NoSuchProcess:
        return 0
    return sum(1 for p in inside(root) if p.pid not in init and p.pid != keep)


def kill_namespace(root: int) -> None:
    """SIGKILL the sandbox's init: the kernel then kills every process of its PID namespace."""
    try:
        for init in psutil.Process(root).children():
            init.kill()
    except psutil.NoSuchProcess:
        pass


def host_pid(root: int, pid_inside: int) -> int:
    """The host pid of the process the sandbox knows as ``pid_inside``."""
    for process in inside(root):
        if namespace_pid(process) == pid_inside:
            return process.pid
    raise ProcessLookupError(f"no process {pid_inside} in the sandbox")
