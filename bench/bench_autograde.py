"""Benchmark: what running and autograding the lab costs on this machine.

Prints, in one run on a private copy of the course:
  * the time to execute each assignment's instructor notebook top to bottom (nbclient);
  * the time plain `nbgrader autograde` takes for one submission (the perfect demo student);
  * how much of that is kernel start plus the heavy imports (a notebook with only those).
Run it with `make bench`. It is not a test: it asserts nothing and only prints figures.
"""

from __future__ import annotations

import os
import platform
import sys
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from mllab.course import nbgrader_steps as steps
from mllab.classes.demo import write_demo_class
from mllab.course.assignments import assignment_names
from mllab.course.paths import copy_course, find_course_root

ASSIGNMENT = "loss_and_metric"
REPEATS = 3
IMPORTS = "import torch, torchmetrics, numpy, matplotlib.pyplot, skimage.io, cv2"


def _timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _execute(notebook_path: Path) -> None:
    notebook = nbformat.read(notebook_path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(notebook_path.parent)}}).execute()


def _imports_only(folder: Path) -> Path:
    path = folder / "imports_only.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(IMPORTS)]), path)
    return path


def _median(action) -> float:
    return statistics.median(_timed(action) for _ in range(REPEATS))


def main() -> None:
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    with tempfile.TemporaryDirectory() as tmp:
        course = copy_course(find_course_root(Path(__file__).parent), Path(tmp))
        steps.generate_release(course, ASSIGNMENT)
        write_demo_class(course, ASSIGNMENT)
        figures = {
            "kernel start + imports (torch, torchmetrics, …)": _median(lambda: _execute(_imports_only(Path(tmp)))),
            **{f"instructor notebook {a}, top to bottom (nbclient)": _median(lambda a=a: _execute(course.source_notebook(a)))
               for a in assignment_names(course.root)},
            "plain `nbgrader autograde`, one submission": _median(lambda: steps.autograde(course, ASSIGNMENT, "perfect")),
        }
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"median of {REPEATS} runs")
    for label, seconds in figures.items():
        print(f"{label:<68} {seconds:6.1f} s")


if __name__ == "__main__":
    main()
