"""Benchmark: grading a class of 40 with plain nbgrader vs. `mllab autograde --jobs 1/2`.

The class is the demo class and the mutation corpus repeated (correct, partial and blank
notebooks) plus two that are not valid JSON. Each way grades its own copy of the course in the
same run. Prints wall time, seconds per submission, the speed-ups and whether the scores agree.
Run it with `make bench-class`; it takes about half an hour on a 2-core machine. Not a test.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from mllab import nbgrader_steps as steps
from mllab.demo_class import LOSS_AND_METRIC, DemoStudent, write_submissions
from mllab.parallel import autograde_class
from mllab.paths import Course, copy_course, find_course_root
from mllab.scores import assignment_scores

ASSIGNMENT = "loss_and_metric"
CLASS_SIZE = 40
BROKEN = 2


def _class() -> tuple[DemoStudent, ...]:
    kinds = LOSS_AND_METRIC
    return tuple(DemoStudent(f"s{i:02d}_{kinds[i % len(kinds)].student_id}", "", kinds[i % len(kinds)].patches,
                             blank=kinds[i % len(kinds)].blank, model_answers=kinds[i % len(kinds)].model_answers)
                 for i in range(CLASS_SIZE - BROKEN))


def _prepare(root: Path) -> Course:
    course = copy_course(find_course_root(Path(__file__).parent), root)
    steps.generate_release(course, ASSIGNMENT)
    write_submissions(course, ASSIGNMENT, _class())
    for k in range(BROKEN):
        folder = course.submission_dir(f"broken_{k}", ASSIGNMENT)
        folder.mkdir(parents=True)
        (folder / f"{ASSIGNMENT}.ipynb").write_text('{"cells": [', encoding="utf-8")
    return course


def _plain(course: Course) -> None:
    try:
        steps.autograde(course, ASSIGNMENT)
    except Exception:  # nbgrader exits 1 because of the broken notebooks; the rest is graded
        pass


def _scores(course: Course) -> dict[str, float]:
    return {s.student: s.auto_score for s in assignment_scores(course, ASSIGNMENT)}


def main() -> None:
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    ways = {
        "plain nbgrader autograde (sequential)": _plain,
        "mllab autograde --jobs 1": lambda c: autograde_class(c, ASSIGNMENT, jobs=1, say=lambda _: None),
        "mllab autograde --jobs 2": lambda c: autograde_class(c, ASSIGNMENT, jobs=2, say=lambda _: None),
    }
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for index, (label, grade) in enumerate(ways.items()):
            course = _prepare(Path(tmp) / f"way{index}")
            start = time.perf_counter()
            grade(course)
            results[label] = (time.perf_counter() - start, _scores(course))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{CLASS_SIZE} submissions ({BROKEN} invalid JSON)")
    baseline = results["plain nbgrader autograde (sequential)"][0]
    for label, (seconds, _) in results.items():
        print(f"{label:<40} {seconds:7.1f} s  {seconds / CLASS_SIZE:5.1f} s/submission  "
              f"speed-up {baseline / seconds:4.2f}x")
    score_sets = [scores for _, scores in results.values()]
    print("scores identical:", all(s == score_sets[0] for s in score_sets))


if __name__ == "__main__":
    main()
