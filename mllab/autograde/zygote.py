"""A warm process that forks ready-made Python kernels: imports paid once per worker, not per student.

Run as ``python -m mllab.autograde.zygote CONTROL_FD [UID]`` (UID: the uid to drop to, in a
sandbox started by root). It imports the course's heavy libraries (torch, torchmetrics,
matplotlib, ...), then reads one JSON request per line on stdin: ``{"argv": [...], "cwd": "...",
"env": {...}, "memory_bytes": N, "cpu_seconds": N}``. For each it forks a child that becomes an
ipykernel exactly as ``python -m ipykernel_launcher ARGS`` would, in a new session, and
writes ``{"pid": PID}`` to CONTROL_FD. The kernel outputs of the notebook are the same as with a
cold kernel; only the imports are already done. It exits when stdin closes.
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
import json
import os
import pkgutil
import random
import resource
import signal
import sys

CHECKS_PACKAGE = "mllab.checks"
SHARED_CHECKS = ("common", "contracts", "salt")  # every assignment's checks module imports these


def checks_modules(folders: list[str] | None = None) -> tuple[str, ...]:
    """The modules of the checks package (in ``folders``, by default the installed one) that hold
    hidden checks: every assignment's, without naming one."""
    folders = folders or importlib.util.find_spec(CHECKS_PACKAGE).submodule_search_locations
    names = sorted(module.name for module in pkgutil.iter_modules(folders))
    return tuple(f"{CHECKS_PACKAGE}.{name}" for name in names if name not in SHARED_CHECKS)


# What the course's notebooks and hidden checks import; a module that is missing is skipped.
PRELOAD = (
    "numpy", "scipy", "pandas", "torch", "torchmetrics", "torchmetrics.image", "torchmetrics.classification",
    "torchmetrics.segmentation", "matplotlib", "matplotlib.figure", "matplotlib.font_manager",
    "skimage", "skimage.io", "skimage.transform", "skimage.metrics", "cv2", "PIL.Image",
    "ipykernel.kernelapp", "ipykernel.ipkernel", "IPython.core.interactiveshell",
    # What a kernel imports as it starts (its debugger, IPython's history database and magics): a
    # forked kernel is then ready in about 0.05 s instead of 0.25 s.
    "ipykernel.debugger", "sqlite3", "pdb", "IPython.core.debugger", "IPython.core.completerlib",
    "IPython.extensions.storemagic", "tornado.queues",
    "sklearn.metrics", "scipy.optimize", "scipy.spatial",
    *checks_modules(),
)
# Not pyplot: importing it picks the backend, which a kernel does only once it runs (MPLBACKEND).
KERNEL_MODULE = "ipykernel_launcher"
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38
PR_SET_PDEATHSIG = 1
INLINE = "module://matplotlib_inline.backend_inline"


def preload(names: tuple[str, ...] = PRELOAD) -> list[str]:
    """Import what the kernels will need; return the names that could not be imported."""
    missing = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - an optional library that is absent or broken is simply not preloaded
            missing.append(name)
    return missing


def _reseed() -> None:
    """Give each kernel its own random state, as a freshly started interpreter would have."""
    random.seed()
    for name, reseed in (("numpy", lambda m: m.random.seed()), ("torch", lambda m: m.seed())):
        if name in sys.modules:
            reseed(sys.modules[name])


def _limit(request: dict) -> None:
    """The kernel's own limits: address space (memory) and CPU seconds."""
    for limit, key in ((resource.RLIMIT_AS, "memory_bytes"), (resource.RLIMIT_CPU, "cpu_seconds")):
        if request.get(key):
            resource.setrlimit(limit, (int(request[key]), int(request[key])))


def _set_dumpable(dumpable: bool) -> None:
    """A non-dumpable zygote cannot be ptraced or read through /proc by the kernels it forks."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, int(dumpable), 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: nothing to protect against in the same way
        pass


def die_with_parent(parent: int | None = None) -> None:
    """Ask Linux to SIGKILL this process when its parent dies (a killed grader leaves nothing behind).

    Set after every change of uid, which clears it. ``parent``: the pid the parent had; if it is
    no longer the parent, it died before the request took effect."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux
        return
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def _become_kernel(request: dict, control_fd: int, base_path: list[str], zygote: int) -> None:
    """In the forked child: set up the process like a fresh kernel launch, then run ipykernel."""
    os.setsid()
    die_with_parent(zygote)
    for signum in (signal.SIGCHLD, signal.SIGTERM):  # SIGPIPE stays ignored, as Python sets it
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.close(control_fd)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.path[:] = base_path
    os.environ.setdefault("MPLBACKEND", INLINE)  # as ipykernel does, then as matplotlib reads it on import
    if "matplotlib" in sys.modules:
        sys.modules["matplotlib"].rcParams["backend"] = os.environ["MPLBACKEND"]
    parent = f"--IPKernelApp.parent_handle={os.environ.get('JPY_PARENT_PID') or 0}"  # read at import
    sys.argv = [KERNEL_MODULE + ".py", *request["argv"][3:], parent]
    _limit(request)
    _set_dumpable(True)
    _reseed()
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


def fork_child(become) -> int:
    """Fork; the child runs ``become()`` and exits with its code, never returning into the parent's
    loop. Returns the child's pid (in the parent)."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            become()
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        except BaseException:  # noqa: BLE001 - whatever happens, the child ends here
            import traceback

            traceback.print_exc()
            code = 1
        exit_now(code)
    return pid


def _fork(request: dict, control_fd: int, base_path: list[str]) -> int:
    zygote = os.getpid()
    return fork_child(lambda: _become_kernel(request, control_fd, base_path, zygote))


def drop_privileges(uid: int | None) -> None:
    """In a sandbox started by root: become ``uid`` for good, with no way back to privileges."""
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)  # setuid binaries stay powerless
    except (OSError, AttributeError):
        pass


def serve(control_fd: int) -> None:
    """Fork one kernel per request line on stdin until stdin closes."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped automatically: no zombies
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the terminal is for the parent
    base_path = sys.path[1:]  # without the zygote's own working directory
    _set_dumpable(False)
    with os.fdopen(control_fd, "w", buffering=1, closefd=False) as control:
        control.write(json.dumps({"ready": True, "pid": os.getpid(), "missing": preload()}) + "\n")
        for line in sys.stdin:
            request = json.loads(line)
            control.write(json.dumps({"pid": _fork(request, control_fd, base_path)}) + "\n")


def exit_now(code: int = 0) -> None:
    """Leave without the interpreter's clean-up: with torch & co loaded it takes over a second of CPU,
    and a grading process has nothing left to save once its output is flushed."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    drop_privileges(int(sys.argv[2]) if len(sys.argv) > 2 else None)
    die_with_parent()
    serve(int(sys.argv[1]))
    exit_now()
