"""What the grading service is doing, in ``.mllab/serve/status.json``, for `mllab serve-status`.

The service rewrites the file (atomically) on every round; the reader checks that the pid in it is
still alive, so a service that was killed is not shown as running.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from mllab.course.paths import Course
from mllab.errors import MllabError

LAST = 10  # hand-ins listed under "last graded"


class NotServing(MllabError):
    """No grading service has run in this course."""

    exit_code = 1


def status_file(course: Course) -> Path:
    return course.root / ".mllab" / "serve" / "status.json"


def write_status(course: Course, status: dict) -> None:
    path = status_file(course)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps({**status, "pid": os.getpid(), "updated": time.time()}, indent=1), encoding="utf-8")
    partial.replace(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ago(seconds: float) -> str:
    return f"{seconds:.0f} s ago" if seconds < 120 else f"{seconds / 60:.0f} min ago"


def status_text(course: Course) -> str:
    """The status in a few lines: running or not, queue, in progress, last graded, errors."""
    path = status_file(course)
    try:
        status = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise NotServing(f"no grading service has run in {course.root} ({path} is missing): start one with "
                         "`mllab serve`") from None
    now = time.time()
    state = (f"running (pid {status['pid']}, serving {', '.join(status['assignments'])}, updated "
             f"{_ago(now - status['updated'])})" if _alive(status["pid"]) else
             f"NOT running (pid {status['pid']} has ended; last update {_ago(now - status['updated'])})")
    lines = [f"grading service: {state}",
             f"policy in force: feedback before the deadline {status.get('policy')}, at most "
             f"{status.get('feedback_limit') or 'unlimited'} graded feedbacks per window (course.toml [serve])",
             f"queue: {status['queued']} waiting, {status['deferred']} kept past the feedback limit",
             f"workers ready: {status.get('workers_ready', 0)}; in progress: {len(status['in_progress'])}"]
    lines += [f"  {j['student']} {j['assignment']} (for {now - j['since']:.0f} s)" for j in status["in_progress"]]
    lines.append(f"graded since start: {status['graded']}; errors: {len(status['errors'])}")
    lines += [f"  error: {e}" for e in status["errors"][-LAST:]]
    lines.append("last graded:")
    lines += [f"  {line}" for line in status["last"][-LAST:]] or ["  (none yet)"]
    return "\n".join(lines)
