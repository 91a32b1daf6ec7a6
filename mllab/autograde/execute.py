"""nbgrader's Execute preprocessor with warm kernels and a fair ending when the kernel dies.

Plain nbgrader stops grading a student when the kernel dies (a crash, ``os._exit``, the memory
limit, the wall-clock guard): the student gets no autograded notebook at all. Here the cell that
was running gets an error output saying what happened, every later code cell gets a "not run"
error, and grading goes on. nbgrader's own scoring then gives the points of the test cells that
passed before the kernel died, and none after.
"""

from __future__ import annotations

from pathlib import Path

import psutil
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute

from mllab.autograde import warm_kernel
from mllab.autograde.timing import measure

KERNEL_DIED = "KernelDied"
NOT_RUN = "NotRun"
STOP_REASON: dict[str, str] = {}  # why the worker stopped the running kernels, if it did
LEFTOVERS: dict[str, int] = {}  # how many processes the last notebook left in the sandbox (killed)
RUNNING_CAP = 32 * 1024**2  # characters of output one cell may send while it runs; the rest is dropped
KEPT_SHARE = 0.75  # a kernel using more of its address-space limit than this after a MemoryError keeps it
KEPT_MEMORY = ("the notebook ran out of its memory allowance and kept it (a variable still holds what it "
               "allocated), so no later cell could run reliably; the kernel was stopped")
CAPPED = ("\n... output truncated by the autograder: this cell sent more than {cap:,} characters while it ran; "
          "the rest was dropped ...\n")


def stop_running_kernels(reason: str) -> None:
    """Kill the kernels of this worker (e.g. at the wall-clock limit); the cells say ``reason``."""
    STOP_REASON["reason"] = reason
    warm_kernel.kill_live_kernels()


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _memory_error(cell) -> bool:
    return any(o.get("output_type") == "error" and o.get("ename") == "MemoryError" for o in cell.get("outputs", []))


def _size(content: dict) -> int:
    """Characters in an output message: its text and every representation of its data."""
    return len(str(content.get("text", ""))) + sum(len(str(v)) for v in content.get("data", {}).values())


class GuardedExecute(Execute):
    """Execute with kernels from the worker's zygote; a dead kernel ends the run fairly."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("kernel_manager_class", warm_kernel.WarmKernelManager)
        super().__init__(*args, **kwargs)

    def preprocess(self, nb, resources=None, km=None):
        self._death: str | None = None
        self._received: dict[int, int] = {}
        STOP_REASON.clear()
        try:
            with measure("execute"):
                return super().preprocess(nb, resources, km)
        finally:
            self._after_kernel((resources or {}).get("metadata", {}).get("path"))

    @staticmethod
    def _after_kernel(folder: str | None) -> None:
        """Before nbgrader writes anything: no student process may remain, no link may redirect a write."""
        if warm_kernel.ZYGOTE is not None:
            LEFTOVERS["count"] = LEFTOVERS.get("count", 0) + warm_kernel.ZYGOTE.tidy()
        if folder:
            for path in sorted(Path(folder).rglob("*"), reverse=True):
                if path.is_symlink() or not (path.is_file() or path.is_dir()):
                    path.unlink(missing_ok=True)

    def preprocess_cell(self, cell, resources, index):
        if self._death is not None:
            if cell.cell_type == "code":
                cell.outputs = [_error(NOT_RUN, f"not run: {self._death}")]
            return cell, resources
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            cause = STOP_REASON.get("reason", "the kernel exited or crashed (os._exit, a segfault, or a fatal error)")
            return self._end(cell, resources, KERNEL_DIED, f"the kernel died while running this cell: {cause}",
                             f"the kernel died in an earlier cell: {cause}")
        except ValueError as error:  # jupyter_client refuses a message: e.g. a forked child wrote to the channels
            if "Signature" not in str(error):
                raise
            self._kill_kernel()
            return self._end(cell, resources, KERNEL_DIED,
                             "the kernel sent a message that failed its signature check (a process the notebook "
                             "forked may have written to the kernel's channels); the kernel was stopped",
                             "the kernel was stopped in an earlier cell after a corrupted message")
        except CellTimeoutError:  # past the time limit, and the interrupt did not stop it
            self._kill_kernel()
            return self._end(cell, resources, "CellTimeoutError",
                             "this cell ran past the time limit and ignored the interrupt; the kernel was stopped",
                             "an earlier cell ran past the time limit and could not be interrupted")
        if _memory_error(cell) and self._memory_kept():
            self._kill_kernel()
            return self._end(cell, resources, "MemoryError", KEPT_MEMORY,
                             "an earlier cell ran out of memory and kept it; the kernel was stopped")
        return cell, resources

    def _memory_kept(self) -> bool:
        """Does the kernel still hold most of its address-space limit (after a MemoryError)?

        Whether later cells would still fit in what is left depends on the machine, so a notebook
        that keeps its allowance ends here, like a kernel that died: a score that is the same anywhere.
        """
        limit = warm_kernel.ZYGOTE.memory_bytes if warm_kernel.ZYGOTE is not None else None
        pid = getattr(getattr(self.km, "provisioner", None), "pid", None)
        try:
            return bool(limit and pid) and psutil.Process(pid).memory_info().vms > KEPT_SHARE * limit
        except psutil.Error:
            return False

    def output(self, outs, msg, display_id, cell_index):
        """Keep a cell's outputs until they pass RUNNING_CAP, so no student can fill the grader's memory."""
        before = self._received.get(cell_index, 0)
        self._received[cell_index] = before + _size(msg.get("content", {}))
        if self._received[cell_index] <= RUNNING_CAP:
            return super().output(outs, msg, display_id, cell_index)
        if before <= RUNNING_CAP:
            outs.append(NotebookNode(output_type="stream", name="stdout", text=CAPPED.format(cap=RUNNING_CAP)))
        return None

    def _end(self, cell, resources, ename: str, here: str, later: str):
        """Give this cell an error saying what happened; the later code cells will get ``later``."""
        self._death = later
        cell.outputs.append(_error(ename, here))
        return cell, resources

    def _kill_kernel(self) -> None:
        pgid = getattr(getattr(self.km, "provisioner", None), "pgid", None)
        if pgid:
            warm_kernel.kill_group(pgid)
