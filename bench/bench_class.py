"""Benchmark: a class of 40 graded by plain nbgrader and by `mllab autograde --jobs 1` and `--jobs 2`.

The class: the demo students (correct, partial, blank) repeated, plus four broken hand-ins that
plain nbgrader also survives (invalid JSON, an empty file, a deleted test cell, an edited test
cell; the other broken cases of mllab.classes.broken defeat plain nbgrader, so scores would differ).
Each way grades its own copy of the course, in the same run. Prints wall time, seconds per
submission, speed-ups and whether all scores agree.
Then the sandbox's cost: the same class with `--jobs 1`, without and with the bubblewrap sandbox
(`--sandbox-only` runs just this part). Run it with `make bench-class`. Not a test.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from mllab.course import nbgrader_steps as steps
from mllab.autograde.run import autograde_class
from mllab.classes.broken import CASES, write_broken_class
from mllab.classes.demo import LOSS_AND_METRIC, DemoStudent, write_submissions
from mllab.errors import PipelineError
from mllab.course.paths import Course, copy_course, find_course_root
from mllab.course.scores import assignment_scores

ASSIGNMENT = "loss_and_metric"
CLASS_SIZE = 40
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


WAYS = {
    "plain nbgrader autograde": _plain,
    "mllab autograde --jobs 1": lambda c: autograde_class(c, ASSIGNMENT, jobs=1, say=lambda _: None),
    "mllab autograde --jobs 2": lambda c: autograde_class(c, ASSIGNMENT, jobs=2, say=lambda _: None),
}
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
    return results


def _print(title: str, results: dict[str, tuple[float, dict]], size: int) -> None:
    print(f"\n{title} ({size} submissions)")
    baseline = next(iter(results.values()))[0]
    for label, (seconds, _) in results.items():
        print(f"  {label:<28} {seconds:7.1f} s  {seconds / size:5.2f} s/submission  speed-up {baseline / seconds:4.2f}x")
    score_sets = [scores for _, scores in results.values()]
    agree = all(s == score_sets[0] for s in score_sets)
    print(f"  scores identical: {agree}" + ("" if agree else f"  {score_sets}"))


def _print_sandbox_cost(results: dict[str, tuple[float, dict]], size: int) -> None:
    (bare, _), (boxed, _) = results.values()
    print(f"  sandbox cost: {(boxed - bare) / size:+.2f} s per submission ({(boxed / bare - 1) * 100:+.1f} %)")


def main() -> None:
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    only_sandbox = "--sandbox-only" in sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        students = _class(CLASS_SIZE - len(BROKEN))
        if not only_sandbox:
            _print("class: correct, partial, blank and broken", _time(WAYS, Path(tmp) / "class", students, BROKEN),
                   CLASS_SIZE)
        sandbox = _time(SANDBOX_WAYS, Path(tmp) / "sandbox", students, BROKEN)
        _print("the sandbox's cost", sandbox, CLASS_SIZE)
        _print_sandbox_cost(sandbox, CLASS_SIZE)


if __name__ == "__main__":
    main()
