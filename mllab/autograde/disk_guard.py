"""A watch on the files a student's kernel writes: a submission may not fill the grader's disk.

The process limit, address-space limit and file-size limit bound one process and one file, not
how many files a kernel writes. While a notebook runs, this thread adds up the blocks and files
in the folders the sandbox may write, and stops the kernels when either passes its limit.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

DISK_LIMIT = 2 * 1024**3  # bytes on disk a notebook may write (its working copy and scratch)
FILE_LIMIT = 20_000  # files (and folders) it may create
INTERVAL = 0.5  # seconds between two looks


def usage(folders: Iterable[Path]) -> tuple[int, int]:
    """(bytes on disk, entries) under ``folders``, without following links."""
    size = entries = 0
    stack = [str(folder) for folder in folders]
    while stack:
        try:
            with os.scandir(stack.pop()) as items:
                for item in items:
                    entries += 1
                    info = item.stat(follow_symlinks=False)
                    size += info.st_blocks * 512
                    if item.is_dir(follow_symlinks=False):
                        stack.append(item.path)
        except OSError:  # a folder that vanished or cannot be read while the kernel works
            continue
    return size, entries


class DiskGuard(threading.Thread):
    """Calls ``stop(reason)`` once if the folders grow past the limits; ``close()`` ends the watch."""

    def __init__(self, folders: list[Path], stop: Callable[[str], None], *, limit: int = DISK_LIMIT,
                 files: int = FILE_LIMIT) -> None:
        super().__init__(daemon=True)
        self.folders, self.stop, self.limit, self.files = folders, stop, limit, files
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(INTERVAL):
            size, entries = usage(self.folders)
            if size > self.limit or entries > self.files:
                self.stop(f"grading stopped: the notebook wrote {size / 1024**2:,.0f} MB in {entries:,} files "
                          f"(the limit is {self.limit / 1024**2:,.0f} MB and {self.files:,} files)")
                return

    def close(self) -> None:
        self._done.set()
