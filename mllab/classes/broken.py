"""Broken and hostile submissions, made from the perfect demo student, for tests and benchmarks.

Each case is one way a real hand-in goes wrong: a damaged file, a renamed or converted notebook,
stripped or edited nbgrader metadata, or code that loops, crashes, eats memory or prints 50 MB.
Each says what a fair grader must answer: the status, and the points the student keeps.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from mllab.classes.demo import demo_class, submission
from mllab.course.paths import Course

ANCHOR = "test_cosine_lib"  # hostile code is placed right after this test cell (tasks 1-3 done)


@dataclass(frozen=True)
class BrokenCase:
    """One broken submission: how to write it and what a fair grader gives it."""

    student_id: str
    what: str
    status: str  # the status `mllab autograde` must report
    keeps: str  # "all" points, "none", or "before" the hostile cell (the test cells above it)
    write: Callable[[Path, nbformat.NotebookNode, str], None]


def _save(nb, folder: Path, name: str) -> None:
    nbformat.write(nb, folder / name)


def _with_cells(source: str, count: int = 1) -> Callable:
    """The perfect notebook with extra (ungraded) code cells right after the anchor test cell."""
    def write(folder: Path, perfect, name: str) -> None:
        nb = copy.deepcopy(perfect)
        at = _grade_cell(nb, ANCHOR) + 1
        nb.cells[at:at] = [nbformat.v4.new_code_cell(source) for _ in range(count)]
        _save(nb, folder, name)
    return write


def _with_cell(source: str) -> Callable:
    return _with_cells(source)


def _bytes(text: str) -> Callable:
    return lambda folder, perfect, name: (folder / name).write_text(text, encoding="utf-8")


def _renamed(new_name: str) -> Callable:
    return lambda folder, perfect, name: _save(perfect, folder, new_name)


def _with_extra(folder: Path, perfect, name: str) -> None:
    _save(perfect, folder, name)
    _save(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), folder, "scratch.ipynb")


def _v3(folder: Path, perfect, name: str) -> None:
    (folder / name).write_text(nbformat.writes(nbformat.convert(copy.deepcopy(perfect), 3), version=3),
                               encoding="utf-8")


def _stripped(folder: Path, perfect, name: str) -> None:
    nb = copy.deepcopy(perfect)
    for cell in nb.cells:
        for key in ("nbgrader", "deletable", "editable"):
            cell.metadata.pop(key, None)
    _save(nb, folder, name)


def _grade_cell(nb, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _deleted_test(folder: Path, perfect, name: str) -> None:
    nb = copy.deepcopy(perfect)
    del nb.cells[_grade_cell(nb, "test_mse_own")]
    _save(nb, folder, name)


def _edited_test(folder: Path, perfect, name: str) -> None:
    nb = copy.deepcopy(perfect)
    nb.cells[_grade_cell(nb, "test_ce_own")].source = "print('all tests passed')"
    nb.cells[_grade_cell(nb, "test_accuracy_own")].metadata.nbgrader.points = 99
    _save(nb, folder, name)


def _duplicated(folder: Path, perfect, name: str) -> None:
    nb = copy.deepcopy(perfect)
    at = _grade_cell(nb, "mse_mae_own")
    nb.cells.insert(at + 1, copy.deepcopy(nb.cells[at]))
    _save(nb, folder, name)


CASES = (
    BrokenCase("invalid_json", "not valid JSON (a cut-off upload)", "ungradable", "none", _bytes('{"cells": [')),
    BrokenCase("empty_file", "an empty file", "ungradable", "none", _bytes("")),
    BrokenCase("wrong_name", "the notebook saved as 'loss_and_metric (1).ipynb'", "repaired", "all",
               _renamed("loss_and_metric (1).ipynb")),
    BrokenCase("extra_notebook", "an extra scratch notebook next to the right one", "repaired", "all", _with_extra),
    BrokenCase("nbformat_v3", "saved in the old nbformat 3", "repaired", "all", _v3),
    BrokenCase("stripped_metadata", "every nbgrader cell metadata removed", "repaired", "all", _stripped),
    BrokenCase("deleted_test", "a test cell deleted", "repaired", "all", _deleted_test),
    BrokenCase("edited_test", "a test cell replaced by a print, another's points set to 99", "repaired", "all",
               _edited_test),
    BrokenCase("duplicated_cells", "a solution cell pasted twice", "repaired", "all", _duplicated),
    BrokenCase("infinite_loop", "a `while True: pass` cell", "timeout", "all", _with_cell("while True:\n    pass")),
    BrokenCase("kernel_exit", "a cell calling os._exit(3)", "kernel-died", "before",
               _with_cell("import os\nos._exit(3)")),
    BrokenCase("segfault", "a cell that dereferences a null pointer", "kernel-died", "before",
               _with_cell("import ctypes\nctypes.string_at(0)")),
    # np.empty reserves the address space the kernel's limit counts without writing a page, so the
    # bomb reaches the limit in milliseconds on any machine (np.ones could hit the 10 s cell limit
    # first on a busy one, and then leave later cells enough memory to pass).
    BrokenCase("memory_bomb", "a cell that keeps allocating 400 MB blocks and keeps them", "memory", "before",
               _with_cell("import numpy as np\nblocks = []\nwhile True:\n    blocks.append(np.empty(50_000_000))")),
    BrokenCase("huge_output", "a cell printing 50 MB", "repaired", "all", _with_cell('print("x" * 50_000_000)')),
    BrokenCase("unstoppable", "a loop that ignores interrupts", "timeout", "before",
               _with_cell("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass")),
    BrokenCase("slow", "six cells of 8 s each: every cell in time, the whole too slow", "wall-limit", "before",
               _with_cells("import time\ntime.sleep(8)", 6)),
)
# The limits the cases are made for (`mllab autograde --cell-timeout 10 --wall-limit 40`).
LIMITS = {"cell_timeout": 10, "wall_limit": 40}


def perfect_notebook(course: Course, assignment: str):
    """The perfect demo student's notebook (the release with the instructor's solutions)."""
    student = next(s for s in demo_class(course, assignment) if s.student_id == "perfect")
    return submission(nbformat.read(course.source_notebook(assignment), as_version=4),
                      nbformat.read(course.release_notebook(assignment), as_version=4), student)


def write_broken_class(course: Course, assignment: str, cases: tuple[BrokenCase, ...] = CASES) -> list[str]:
    """Write each case into submitted/<case>/<assignment>/; return the student ids."""
    perfect = perfect_notebook(course, assignment)
    for case in cases:
        folder = course.submission_dir(case.student_id, assignment)
        folder.mkdir(parents=True, exist_ok=True)
        case.write(folder, perfect, f"{assignment}.ipynb")
    return [case.student_id for case in cases]
