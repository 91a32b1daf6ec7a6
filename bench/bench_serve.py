"""Benchmark of the grading service (`mllab serve`), against the batch path in the same run.

1. A lone hand-in to a warm service, five times: seconds from `nbgrader submit` returning to the
   feedback page being where `nbgrader fetch_feedback` finds it (median), next to the same
   notebooks' busy time in a worker (from the outcome the service recorded).
2. A deadline rush: 40 students hand in within one minute (one `nbgrader submit` every 1.5 s, as
   the students' own processes on this machine). Latency from each submit to its released feedback
   (p50, p95, max) and the time from the first submit to the last feedback; next to
   `mllab collect-and-grade` of the same 40 notebooks after the fact, in another copy of the course.
3. The same rush with the service SIGKILLed after 10 feedbacks and started again at once: the same
   figures, whether every student got feedback, and whether the scores equal those of the first rush.

Each part has its own copy of the course and exchange. The students fetch and work before the clock
runs. Run it with `make bench-serve`. Not a test: it prints its figures.
"""

from __future__ import annotations

import concurrent.futures
import os
import platform
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nbgrader.utils import notebook_hash

from mllab.classes.demo import LOSS_AND_METRIC, DemoStudent
from mllab.classes.exchange_students import ExchangeStudent
from mllab.course.exchange import EXCHANGE_VARIABLE
from mllab.course.paths import Course, copy_course, find_course_root

ASSIGNMENT = "loss_and_metric"
COURSE_ID = "loss_and_metric_lab"
BIN = Path(sys.executable).parent
RUSH, SPACING, KILL_AFTER = 40, 1.5, 10


def _class(size: int) -> list[DemoStudent]:
    kinds = [s for s in LOSS_AND_METRIC if not s.blank]
    return [DemoStudent(f"s{i:02d}_{kinds[i % len(kinds)].student_id}", "", kinds[i % len(kinds)].patches,
                        model_answers=kinds[i % len(kinds)].model_answers) for i in range(size)]


class Setting:
    """A course copy with its exchange, handed out, and students who fetched and worked."""

    def __init__(self, folder: Path, size: int) -> None:
        self.course = copy_course(find_course_root(Path(__file__).parent), folder / "course")
        self.exchange = folder / "exchange"
        self.env = {**os.environ, EXCHANGE_VARIABLE: str(self.exchange), "PATH": f"{BIN}:{os.environ['PATH']}"}
        self.mllab("hand-out", ASSIGNMENT)
        demos = _class(size)
        self.students = [ExchangeStudent(d.student_id, folder / "homes" / d.student_id, self.exchange, COURSE_ID)
                         for d in demos]
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda pair: self._ready(*pair), zip(self.students, demos)))

    def _ready(self, student: ExchangeStudent, demo: DemoStudent) -> None:
        student.fetch(ASSIGNMENT)
        student.work(self.course.source_notebook(ASSIGNMENT), ASSIGNMENT, demo)

    def mllab(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "mllab"), *args], cwd=self.course.root, env=self.env, capture_output=True,
                              text=True, check=True)

    def start(self) -> subprocess.Popen:
        log = open(self.course.root / "serve-stderr.txt", "a", encoding="utf-8")
        process = subprocess.Popen([str(BIN / "mllab"), "serve", ASSIGNMENT, "--jobs", "2"], cwd=self.course.root,
                                   env=self.env, stdout=log, stderr=log)
        while "workers ready: 2" not in _status(self):
            time.sleep(0.2)
        return process

    def feedback_file(self, student: ExchangeStudent) -> Path:
        """Where fetch_feedback looks for the feedback of the student's latest hand-in."""
        latest = sorted((student.cache / COURSE_ID).iterdir())[-1]
        secret = (latest / "submission_secret.txt").read_text(encoding="utf-8")
        return self.exchange / COURSE_ID / "feedback" / f"{notebook_hash(secret=secret, notebook_id=ASSIGNMENT)}.html"


def _status(setting: Setting) -> str:
    done = subprocess.run([str(BIN / "mllab"), "serve-status"], cwd=setting.course.root, env=setting.env,
                          capture_output=True, text=True)
    return done.stdout


def _wait_for(path: Path, since: float) -> float:
    while not path.exists():
        time.sleep(0.05)
    return time.perf_counter() - since


def _busy(setting: Setting) -> dict[str, float]:
    """student -> the worker's busy seconds for their last graded hand-in (the recorded outcome)."""
    import json

    stored = json.loads((setting.course.root / ".mllab" / "autograde" / f"{ASSIGNMENT}.json").read_text())
    return {student: fields["seconds"] for student, fields in stored["students"].items()}


def _scores(setting: Setting) -> dict[str, float]:
    with sqlite3.connect(setting.course.root / ".mllab" / "serve" / "ledger.db") as db:
        rows = db.execute("SELECT student, score FROM handins WHERE state = 'done' ORDER BY timestamp").fetchall()
    return dict(rows)


def lone(folder: Path) -> None:
    setting = Setting(folder, 5)
    service = setting.start()
    latencies = []
    for student in setting.students:
        student.submit(ASSIGNMENT)
        begin = time.perf_counter()
        latencies.append(_wait_for(setting.feedback_file(student), begin))
        time.sleep(1)
    service.send_signal(signal.SIGTERM)
    service.wait()
    busy = statistics.median(_busy(setting).values())
    latency = statistics.median(latencies)
    print(f"\n1. a lone hand-in to a warm service (median of {len(latencies)})")
    print(f"   submit returned -> feedback fetchable: {latency:.2f} s (all: {', '.join(f'{x:.1f}' for x in latencies)})")
    print(f"   busy time of the same notebooks in a worker: {busy:.2f} s; ratio {latency / busy:.2f} (target 1.5)")


def _rush(setting: Setting, service: subprocess.Popen, kill_after: int | None = None) -> dict:
    """Every student submits, one every SPACING s; returns latencies, drain time and the restarts."""
    submitted, latencies = {}, {}
    first = time.perf_counter()

    def hand_in(index_student):
        index, student = index_student
        time.sleep(max(0.0, first + index * SPACING - time.perf_counter()))
        student.submit(ASSIGNMENT)
        submitted[student.student_id] = time.perf_counter()

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        pending = list(pool.map(lambda pair: pair, enumerate(setting.students)))
        futures = [pool.submit(hand_in, pair) for pair in pending]
        killed = False
        while len(latencies) < len(setting.students):
            for student in setting.students:
                name = student.student_id
                if name in submitted and name not in latencies and setting.feedback_file(student).exists():
                    latencies[name] = time.perf_counter() - submitted[name]
            if kill_after is not None and not killed and len(latencies) >= kill_after:
                service.kill()
                service.wait()
                killed = True
                service = setting.start()
            time.sleep(0.05)
        for future in futures:
            future.result()
    drained = time.perf_counter() - first
    service.send_signal(signal.SIGTERM)
    service.wait()
    values = sorted(latencies.values())
    return {"p50": statistics.median(values), "p95": values[int(0.95 * (len(values) - 1))], "max": values[-1],
            "drained": drained, "count": len(values), "last_submit": max(submitted.values()) - first}


def _print_rush(title: str, figures: dict) -> None:
    print(f"\n{title}")
    print(f"   submit -> released feedback: p50 {figures['p50']:.1f} s, p95 {figures['p95']:.1f} s, "
          f"max {figures['max']:.1f} s ({figures['count']} of {RUSH} students got feedback)")
    print(f"   first submit -> last feedback: {figures['drained']:.1f} s (the last submit came at "
          f"{figures['last_submit']:.1f} s)")


def batch(folder: Path) -> float:
    setting = Setting(folder, RUSH)
    for student in setting.students:
        student.submit(ASSIGNMENT)
    begin = time.perf_counter()
    setting.mllab("collect-and-grade", ASSIGNMENT)
    return time.perf_counter() - begin


def main() -> None:
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; {time.strftime('%Y-%m-%d %H:%M')}")
    with tempfile.TemporaryDirectory(prefix="mllab-bench-serve-") as tmp:
        root = Path(tmp)
        lone(root / "lone")
        rush_setting = Setting(root / "rush", RUSH)
        rush = _rush(rush_setting, rush_setting.start())
        _print_rush(f"2. a deadline rush: {RUSH} hand-ins, one every {SPACING} s", rush)
        seconds = batch(root / "batch")
        print(f"   mllab collect-and-grade of the same {RUSH} notebooks after the fact: {seconds:.1f} s; "
              f"the rush drained in {rush['drained'] / seconds:.2f}x that (target 1.1x), "
              f"{(rush['drained'] - rush['last_submit']) / seconds:.2f}x counted from the last submit")
        killed_setting = Setting(root / "killed", RUSH)
        killed = _rush(killed_setting, killed_setting.start(), kill_after=KILL_AFTER)
        _print_rush(f"3. the same rush, the service SIGKILLed after {KILL_AFTER} feedbacks and started again", killed)
        same = _scores(killed_setting) == _scores(rush_setting)
        print(f"   scores equal to the first rush: {same}; missing: "
              f"{sorted(set(_scores(rush_setting)) - set(_scores(killed_setting))) or 'none'}")


if __name__ == "__main__":
    main()
