"""Benchmark: how long `mllab report` takes for a class of 300, and how big its page is.

In a private copy of the course: the demo class of loss_and_metric is really graded (`mllab
autograde`), then 300 generated students are added, each a copy of a randomly chosen graded demo
student: their autograded notebook (with the judge's findings) and their grades in the gradebook,
written through nbgrader's Gradebook API. The report of that class is then written three times,
and the median time and the page's size are printed. Run it with `make bench-report`. It asserts
nothing and only prints figures.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

from mllab.autograde.run import autograde_class
from mllab.classes.demo import write_demo_class
from mllab.course import nbgrader_steps as steps
from mllab.course.paths import Course, copy_course, find_course_root
from mllab.report.write import write_report

ASSIGNMENT = "loss_and_metric"
REPEATS = 3


def _grades(gradebook, student: str) -> dict[str, float | None]:
    submission = gradebook.find_submission(ASSIGNMENT, student)
    return {g.name: g.auto_score for nb in submission.notebooks for g in nb.grades}


def _add_generated(course: Course, templates: list[str], count: int, seed: int) -> None:
    """``count`` students, each a copy of a random template: autograded notebook and gradebook grades."""
    from nbgrader.api import Gradebook

    chooser = random.Random(seed)
    warnings.filterwarnings("ignore", message=".*not in session.*")  # nbgrader's add_submission, harmless
    with Gradebook(course.db_url) as gradebook:
        scores = {t: _grades(gradebook, t) for t in templates}
        for i in range(count):
            student, template = f"generated_{i:03d}", chooser.choice(templates)
            shutil.copytree(course.autograded / template, course.autograded / student)
            shutil.copytree(course.submitted / template, course.submitted / student)
            gradebook.update_or_create_student(student)
            submission = gradebook.add_submission(ASSIGNMENT, student)
            for nb in submission.notebooks:
                for grade in nb.grades:
                    grade.auto_score = scores[template].get(grade.name)
            gradebook.db.commit()


def _timed_report(course: Course) -> tuple[float, int]:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        html, *_ = write_report(course, ASSIGNMENT)
        times.append(time.perf_counter() - start)
    return statistics.median(times), html.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300, help="generated students (default 300)")
    parser.add_argument("--profile", action="store_true", help="also print where one report's time goes (cProfile)")
    args = parser.parse_args()
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    with tempfile.TemporaryDirectory() as tmp:
        course = copy_course(find_course_root(Path(__file__).parent), Path(tmp))
        steps.generate_release(course, ASSIGNMENT)
        templates = write_demo_class(course, ASSIGNMENT)
        autograde_class(course, ASSIGNMENT, say=lambda line: None)
        _add_generated(course, templates, args.students, seed=2026)
        seconds, size = _timed_report(course)
        if args.profile:
            cProfile.runctx("write_report(course, ASSIGNMENT)", globals(), {"course": course}, sort="cumulative")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}")
    print(f"class report of {args.students + len(templates)} graded students ({args.students} generated from "
          f"{len(templates)} really graded demo students), median of {REPEATS}:")
    print(f"  written in {seconds:.2f} s; page {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
