"""A warm process that forks ready-made Python kernels: imports paid once per worker, not per student.

Run as ``python -m mllab.autograde.zygote CONTROL_FD``. It imports the course's heavy libraries
(torch, torchmetrics, matplotlib, ...), then reads one JSON request per line on stdin:
``{"argv": [...], "cwd": "...", "env": {...}, "memory_bytes": N}``. For each it forks a child that
becomes an ipykernel exactly as ``python -m ipykernel_launcher ARGS`` would, in a new session, and
writes ``{"pid": PID}`` to CONTROL_FD. The kernel outputs of the notebook are the same as with a
cold kernel; only the imports are already done. It exits when stdin closes.
"""

from __future__ import annotations

import importlib
import json
import os
import random
import resource
import signal
import sys

# What the course's notebooks and hidden checks import; a module that is missing is skipped.
PRELOAD = (
    "numpy", "scipy", "pandas", "torch", "torchmetrics", "torchmetrics.image", "torchmetrics.classification",
    "torchmetrics.segmentation", "matplotlib", "matplotlib.figure",
    "skimage", "skimage.io", "skimage.transform", "skimage.metrics", "cv2", "PIL.Image",
    "ipykernel.kernelapp", "ipykernel.ipkernel", "IPython.core.interactiveshell",
    "mllab.checks.loss_and_metric",
)
# Not pyplot: importing it picks the backend, which a kernel does only once it runs (MPLBACKEND).
KERNEL_MODULE = "ipykernel_launcher"
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


def _limit_memory(memory_bytes: int | None) -> None:
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def _become_kernel(request: dict, control_fd: int, base_path: list[str]) -> None:
    """In the forked child: set up the process like a fresh kernel launch, then run ipykernel."""
    os.setsid()
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
    _limit_memory(request.get("memory_bytes"))
    _reseed()
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


def _fork(request: dict, control_fd: int, base_path: list[str]) -> int:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            _become_kernel(request, control_fd, base_path)
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        except BaseException:  # noqa: BLE001 - the child must never return into the zygote's loop
            import traceback

            traceback.print_exc()
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    return pid


def serve(control_fd: int) -> None:
    """Fork one kernel per request line on stdin until stdin closes."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped automatically: no zombies
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the terminal is for the parent
    base_path = sys.path[1:]  # without the zygote's own working directory
    with os.fdopen(control_fd, "w", buffering=1, closefd=False) as control:
        control.write(json.dumps({"ready": True, "missing": preload()}) + "\n")
        for line in sys.stdin:
            request = json.loads(line)
            control.write(json.dumps({"pid": _fork(request, control_fd, base_path)}) + "\n")


if __name__ == "__main__":
    serve(int(sys.argv[1]))
