"""`mllab check-tests NAME`: build the class, grade it in a scratch copy of the course, decide, print."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from mllab.autograde import sandbox
from mllab.autograde.run import autograde_class
from mllab.autograde.seeds import secret_file
from mllab.checktests.analysis import Row, cell_tasks, failed_cells, graded_rows
from mllab.checktests.build import ProofClass, proof_class, write_class
from mllab.checktests.notebook_checks import contract_rows, declared_contracts, visible_rows
from mllab.checktests.notebook_run import SolvedNotebook, solution_cells, solve
from mllab.checktests.results import Graded, collect, graded_code_cells
from mllab.checktests.table import as_json, tables
from mllab.course import nbgrader_steps
from mllab.course.assignments import assignment as declaration
from mllab.course.paths import DB_URL_VARIABLE, Course, check_assignment, copy_course
from mllab.errors import MllabError, UsageError

SEEDS = 50  # students handing in the instructor's solution, each with its own seed
PROOF_SECRET = "mllab check-tests: the same salts at every run"


class ChecksNotProven(MllabError):
    """check-tests found a hidden test that is flaky, too weak, too strict or breaks a contract."""

    exit_code = 10


def grade_class(course: Course, proof: ProofClass, *, jobs: int | None = None,
                say: Callable[[str], None] = print) -> dict[str, Graded]:
    """Release the assignment in ``course``, hand the class in, autograde it: what each student got."""
    nbgrader_steps.generate_release(course, proof.assignment)
    write_class(course, proof)
    sandboxed = sandbox.bwrap_executable() is not None  # the instructor's own code: the sandbox is not needed
    autograde_class(course, proof.assignment, jobs=jobs, students=proof.student_ids, force=True, say=say,
                    sandboxed=sandboxed)
    return collect(course, proof.assignment, proof.student_ids)


def verdicts(course: Course, proof: ProofClass, graded: dict[str, Graded], checks_module: str,
             solved: SolvedNotebook | None = None) -> list[Row]:
    """Every verdict, grouped by task in the notebook's order (solution, alternatives, mistakes,
    contracts, visible check). ``solved``: the source notebook already run in this process."""
    solved = solved or solve(course.source_notebook(proof.assignment), course.root)
    tasks = cell_tasks(proof, graded_code_cells(solved.notebook), solution_cells(solved))
    declared = declared_contracts(proof.assignment, checks_module)
    rows = (graded_rows(proof, graded, tasks) + contract_rows(solved, proof, tasks, declared)
            + visible_rows(solved, proof))
    order = {task: k for k, task in enumerate(dict.fromkeys(row.task for row in rows))}
    return sorted(rows, key=lambda row: order[row.task])


@contextlib.contextmanager
def _own_gradebook() -> Iterator[None]:
    """The scratch course keeps its own SQLite gradebook even where $MLLAB_DB_URL names the course's."""
    saved = os.environ.pop(DB_URL_VARIABLE, None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ[DB_URL_VARIABLE] = saved


def _notes(proof: ProofClass, task: str | None) -> list[str]:
    notes = [f"{len(proof.solutions)} students hand in the instructor's solution, each with its own seed"]
    if proof.corpus_module is None:
        notes.append("no corpus is declared (course.toml's corpus): no alternatives or mistakes are checked")
    else:
        notes.append(f"corpus {proof.corpus_module}: {len(proof.alternatives)} alternatives, "
                     f"{len(proof.mistakes)} named mistakes" + (f" of task {task}" if task else ""))
    return notes


def _same_salts_every_run(course: Course) -> None:
    """Give the scratch course a fixed grading secret (never the course's own): each student's salt is
    then the same at every run, so a verdict and the seed it names come back when check-tests runs again."""
    path = secret_file(course)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PROOF_SECRET, encoding="utf-8")


def check_tests(root: Path, name: str, *, seeds: int = SEEDS, jobs: int | None = None, task: str | None = None,
                json_file: Path | None = None, say: Callable[[str], None] = print,
                progress: Callable[[str], None] = print) -> list[Row]:
    """Prove the hidden tests of assignment ``name`` (see mllab.checktests); print a table per task.
    Raises ChecksNotProven naming the cells when any verdict fails."""
    course = Course(root)
    check_assignment(course, name)
    declared = declaration(root, name)
    if task is not None and declared.corpus is None:
        raise UsageError(f"--task needs a corpus, and course.toml declares none for {name}")
    proof = proof_class(name, declared.corpus, seeds, task=task)
    with tempfile.TemporaryDirectory(prefix=f"mllab-check-tests-{name}-") as scratch, _own_gradebook():
        copy = copy_course(root, Path(scratch) / "course")
        _same_salts_every_run(copy)
        graded = grade_class(copy, proof, jobs=jobs, say=progress)
        rows = verdicts(copy, proof, graded, declared.checks)
    rows = [row for row in rows if task is None or row.task == task]
    say(tables(name, rows, _notes(proof, task)))
    if json_file is not None:
        json_file.write_text(as_json(name, rows) + "\n", encoding="utf-8")
    failing = [row for row in rows if not row.ok]
    if failing:
        raise ChecksNotProven(f"{len(failing)} verdicts failed; look at "
                              f"{', '.join(failed_cells(rows)) or ', '.join(r.what for r in failing)}")
    return rows
