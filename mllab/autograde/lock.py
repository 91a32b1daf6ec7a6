"""One grader of the course at a time: `mllab serve`, `mllab autograde` and `mllab collect-and-grade`.

They all collect into ``submitted/``, stage into ``.mllab/staged/`` and record into the gradebook,
so two of them at once would grade one student twice or move one another's files away. Each holds
this lock (an ``flock`` on ``.mllab/grading.lock``) while it works; the kernel drops it when the
process ends, even on SIGKILL, so a crash never leaves the course locked. The lock is re-entrant
within one process (collect-and-grade calls autograde). The file says who holds it, for the message.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
from collections.abc import Iterator

from mllab.course.paths import Course
from mllab.errors import MllabError


class GraderBusy(MllabError):
    """Another grader (usually the grading service) works on the course right now."""

    exit_code = 9


_held: dict[str, list[int]] = {}  # lock path -> [file descriptor, depth] in this process


def lock_path(course: Course):
    return course.root / ".mllab" / "grading.lock"


def _holder(path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return f"`{info['command']}` (pid {info['pid']}, since {info['since']})"
    except (OSError, ValueError, KeyError):
        return "another mllab command"


def _advice(command: str) -> str:
    if "serve" in command:
        return ("the grading service grades every hand-in as it arrives; see what it does with `mllab serve-status`, "
                "or stop it (SIGTERM or Ctrl-C) before grading by hand")
    return "wait until it ends, then run this again"


@contextlib.contextmanager
def grading_lock(course: Course, command: str) -> Iterator[None]:
    """Hold the course's grading lock for ``command``; raise GraderBusy at once if another process holds it."""
    path = lock_path(course)
    key = str(path)
    if key in _held:
        _held[key][1] += 1
        try:
            yield
        finally:
            _held[key][1] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        holder = _holder(path)
        raise GraderBusy(f"{holder} is grading this course ({course.root}) right now: {_advice(holder)}") from None
    since = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps({"command": command, "pid": os.getpid(), "since": since}).encode(), 0)
    _held[key] = [fd, 1]
    try:
        yield
    finally:
        del _held[key]
        os.close(fd)  # closing the descriptor drops the flock
