"""Benchmark: classes of 40 and 12 graded by plain nbgrader and by `mllab autograde --jobs 2`.

The class: the demo students (correct, partial, blank) repeated, plus four broken hand-ins that
plain nbgrader also survives (invalid JSON, an empty file, a deleted test cell, an edited test
cell; the other broken cases of mllab.classes.broken defeat plain nbgrader, so scores would differ).
Each way grades its own copy of the course, in the same run. Prints wall time, seconds per
submission, speed-ups and whether all scores agree; for each `mllab autograde` way also where the
time went: the start-up (until the first worker is ready), each worker's busy time per student split
into executing the notebook, the judge, nbgrader's own steps and copying files, the recording time
per student, and the serial fraction (time in which the coordinator ran and no worker did).
Options: `--sizes 40,12` (the default), `--jobs-1` (also `--jobs 1`), `--dask` (also on a Dask
cluster of 2 worker processes on this machine, started before the clock runs; prints its cost
against the local pool), `--sandbox` (then the sandbox's cost: `--jobs 1` without and with
bubblewrap; `--sandbox-only` runs just this part).
Run it with `make bench-class`. Not a test.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from mllab.autograde import run
from mllab.autograde.local_cluster import Cluster
from mllab.autograde.run import autograde_class
from mllab.course import nbgrader_steps as steps
from mllab.classes.broken import CASES, write_broken_class
from mllab.classes.demo import LOSS_AND_METRIC, DemoStudent, write_submissions
from mllab.errors import PipelineError
from mllab.course.paths import Course, copy_course, find_course_root
from mllab.course.scores import assignment_scores

ASSIGNMENT = "loss_and_metric"
SIZES = (40, 12)
BROKEN = tuple(c for c in CASES if c.student_id in
               ("invalid_json", "empty_file", "deleted_test", "edited_test"))


def _class(size: int) -> tuple[DemoStudent, ...]:
    kinds = LOSS_AND_METRIC
    return tuple(DemoStudent(f"s{i:02d}_{kinds[i % len(kinds)].student_id}", "", kinds[i % len(kinds)].patches,
                             blank=kinds[i % len(kinds)].blank, model_answers=kinds[i % len(kinds)].model_answers)
                 for i in range(size))


def _prepare(root: Path, students: tuple[DemoStudent, ...], broken: tuple = ()) -> Course:
    course = copy_course(find_course_root(Path(__file__).parent), root)
    steps.generate_release(course, ASSIGNMENT)
    write_submissions(course, ASSIGNMENT, students)
    write_broken_class(course, ASSIGNMENT, broken)
    return course


def _plain(course: Course) -> None:
    try:
        steps.autograde(course, ASSIGNMENT)
    except PipelineError:  # nbgrader exits 1 because of the broken notebooks; the rest is graded
        pass


def _scores(course: Course) -> dict[str, float]:
    return {s.student: s.auto_score for s in assignment_scores(course, ASSIGNMENT)}


LOCAL, DASK = "mllab autograde --jobs 2", "mllab autograde on Dask, 2 workers"
WAYS = {
    "plain nbgrader autograde": _plain,
    LOCAL: lambda c: autograde_class(c, ASSIGNMENT, jobs=2, say=lambda _: None),
}
JOBS_1 = {"mllab autograde --jobs 1": lambda c: autograde_class(c, ASSIGNMENT, jobs=1, say=lambda _: None)}
# The sandbox's cost: the same worker with and without bubblewrap (and the judge runs in both).
SANDBOX_WAYS = {
    "--jobs 1 --unsafe-no-sandbox": lambda c: autograde_class(c, ASSIGNMENT, jobs=1, sandboxed=False,
                                                              say=lambda _: None),
    "--jobs 1 (sandboxed)": lambda c: autograde_class(c, ASSIGNMENT, jobs=1, say=lambda _: None),
}


def _time(ways: dict, folder: Path, students: tuple, broken: tuple) -> dict[str, tuple[float, dict]]:
    results = {}
    for index, (label, grade) in enumerate(ways.items()):
        course = _prepare(folder / f"way{index}", students, broken)
        start = time.perf_counter()
        grade(course)
        results[label] = (time.perf_counter() - start, _scores(course))
        if label.startswith("mllab"):
            _print_split(label, run.LAST_RUN)
    return results


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _print_split(label: str, times: run.RunTimes) -> None:
    """Where the time of one `mllab autograde` run went."""
    busy = [t for t in times.busy if "autograde" in t]
    parts = {"executing the notebook": [t.get("execute", 0.0) for t in busy],
             "the judge": [t.get("judge", 0.0) for t in busy],
             "nbgrader's own steps": [t["autograde"] - t.get("execute", 0.0) - t.get("judge", 0.0) for t in busy],
             "copying files": [t.get("copy", 0.0) for t in busy],
             "cleaning up after the student": [t.get("cleanup", 0.0) for t in busy]}
    print(f"  [{label}] start-up until the first worker is ready: {times.first_worker_ready or 0:.1f} s")
    print(f"  [{label}] worker busy time per student: {_mean([t['worker'] for t in busy]):.2f} s, of which")
    for part, values in parts.items():
        print(f"      {part:<30} {_mean(values):5.2f} s")
    print(f"  [{label}] recording per student: mean {_mean(times.recording):.3f} s, "
          f"max {max(times.recording, default=0):.3f} s")
    print(f"  [{label}] serial fraction: {times.serial_seconds():.1f} s of {times.total:.1f} s "
          f"= {100 * times.serial_seconds() / times.total:.1f} %")


def _print(title: str, results: dict[str, tuple[float, dict]], size: int) -> None:
    print(f"\n{title} ({size} submissions)")
    baseline = next(iter(results.values()))[0]
    for label, (seconds, _) in results.items():
        print(f"  {label:<28} {seconds:7.1f} s  {seconds / size:5.2f} s/submission  speed-up {baseline / seconds:4.2f}x")
    score_sets = [scores for _, scores in results.values()]
    agree = all(s == score_sets[0] for s in score_sets)
    print(f"  scores identical: {agree}" + ("" if agree else f"  {score_sets}"))


def _print_dask_cost(results: dict[str, tuple[float, dict]]) -> None:
    local, dask = results[LOCAL][0], results[DASK][0]
    print(f"  Dask against the local pool: {(dask / local - 1) * 100:+.1f} % wall time")


def _dask_way(cluster) -> dict:
    return {DASK: lambda c: autograde_class(c, ASSIGNMENT, scheduler=cluster.address, say=lambda _: None)}


def _print_sandbox_cost(results: dict[str, tuple[float, dict]], size: int) -> None:
    (bare, _), (boxed, _) = results.values()
    print(f"  sandbox cost: {(boxed - bare) / size:+.2f} s per submission ({(boxed / bare - 1) * 100:+.1f} %)")


def main() -> None:
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    args = sys.argv[1:]
    sizes = SIZES
    if "--sizes" in args:
        sizes = tuple(int(n) for n in args[args.index("--sizes") + 1].split(","))
    ways = {**WAYS, **(JOBS_1 if "--jobs-1" in args else {})}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        if "--dask" in args:
            cluster = Cluster(Path(tmp) / "cluster", workers=2, first_uid=65000)
            stack.callback(cluster.stop)
            ways.update(_dask_way(cluster))
        for size in sizes if "--sandbox-only" not in args else ():
            students = _class(size - len(BROKEN))
            results = _time(ways, Path(tmp) / f"class{size}", students, BROKEN)
            _print("class: correct, partial, blank and broken", results, size)
            if DASK in results:
                _print_dask_cost(results)
        if "--sandbox" in args or "--sandbox-only" in args:
            size = sizes[0]
            sandbox = _time(SANDBOX_WAYS, Path(tmp) / "sandbox", _class(size - len(BROKEN)), BROKEN)
            _print("the sandbox's cost", sandbox, size)
            _print_sandbox_cost(sandbox, size)


if __name__ == "__main__":
    main()
