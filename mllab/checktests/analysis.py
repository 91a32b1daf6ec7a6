"""The verdicts of `check-tests` on a graded class, one row per thing that must hold, grouped by task.

Pure functions of the class (:class:`~mllab.checktests.build.ProofClass`) and what the autograder
gave each student (:class:`~mllab.checktests.results.Graded`), so they can be judged on any graded
run, the suite's shared class runs included.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mllab.checktests.build import ProofClass
from mllab.checktests.results import Graded
from mllab.classes.corpus import Mutation


@dataclass(frozen=True)
class Row:
    """One verdict: what must hold in a task, whether it does, and the cells to look at if not."""

    task: str
    kind: str  # "solution", "alternative", "mistake", "contract" or "visible check"
    what: str
    ok: bool
    detail: str = ""
    cells: tuple[str, ...] = ()  # the cells it names when it fails


def cell_tasks(proof: ProofClass, cells: Iterable[str], solutions: dict[str, list[str]] | None = None) -> dict[str, str]:
    """Each test cell's task: that of the first named mistake losing points there, else that of the
    corpus entries changing a solution cell it grades (``solutions``: test cell -> solution cells),
    else the cell itself."""
    tasks = {}
    for mutation in proof.mistakes:
        for cell in sorted(mutation.loses):
            tasks.setdefault(cell, mutation.task)
    found = {}
    for cell in cells:
        changed = [solution_cell_task(proof, solution, "") for solution in (solutions or {}).get(cell, [])]
        found[cell] = tasks.get(cell) or next(filter(None, changed), cell)
    return found


def solution_cell_task(proof: ProofClass, solution_cell: str, default: str) -> str:
    """The task of the corpus entries that change ``solution_cell`` (``default`` when none does)."""
    return next((m.task for m in (*proof.mistakes, *proof.alternatives) if m.cell == solution_cell), default)


def _points(graded: Graded, cell: str) -> str:
    score, most = graded.cells[cell]
    return f"{score:g}/{most:g}"


def _seed(graded: Graded) -> str:
    return "" if graded.salt is None else f" (seed {graded.salt}: MLLAB_CHECK_SEED={graded.salt} reproduces it)"


def solution_rows(proof: ProofClass, graded: dict[str, Graded], tasks: dict[str, str]) -> list[Row]:
    """Per task: the instructor's solution earns full marks in the task's cells on every seed."""
    rows = []
    for task in dict.fromkeys(tasks.values()):
        cells = [cell for cell, owner in tasks.items() if owner == task]
        problems, flaky = [], []
        for student in proof.solutions:
            result = graded.get(student.student_id)
            if result is None:
                problems.append(f"{student.student_id} was not graded")
                continue
            for cell in sorted(result.lost() & set(cells)):
                problems.append(f"{cell} {_points(result, cell)}{_seed(result)}")
                flaky.append(cell)
        what = f"instructor's solution on {len(proof.solutions)} seed{'s' * (len(proof.solutions) != 1)}"
        rows.append(Row(task, "solution", what, not problems,
                        "; ".join(problems) or f"full marks in {', '.join(cells)}", tuple(dict.fromkeys(flaky))))
    return rows


def _blamed(carried: list[Mutation], lost: set[str], tasks: dict[str, str], mutation: Mutation) -> list[str]:
    """The lost cells to put down to ``mutation``: its task's, and those of no task the student changed."""
    changed = {m.task for m in carried}
    return sorted(c for c in lost if tasks.get(c, c) == mutation.task or tasks.get(c, c) not in changed)


def _alternative(mutation: Mutation, carried: list[Mutation], result: Graded, tasks: dict[str, str]) -> Row:
    lost = _blamed(carried, result.lost(), tasks, mutation)
    detail = (f"loses points in {', '.join(f'{c} {_points(result, c)}' for c in lost)}{_seed(result)}"
              if lost else "full marks")
    return Row(mutation.task, "alternative", mutation.name, not lost, detail, tuple(lost))


def _mistake(mutation: Mutation, carried: list[Mutation], result: Graded, tasks: dict[str, str]) -> Row:
    lost, problems, named = result.lost(), [], []
    for cell in sorted(mutation.loses):
        if cell not in result.cells:
            problems.append(f"{cell} is not a test cell of the notebook")
        elif cell not in lost:
            problems.append(f"{cell} keeps full marks{_seed(result)}")
        elif mutation.message not in result.outputs.get(cell, ""):
            problems.append(f"{cell} does not say {mutation.message!r}")
        else:
            continue
        named.append(cell)
    declared = set().union(*(m.loses for m in carried))
    elsewhere = _blamed(carried, lost - declared, tasks, mutation)
    if elsewhere:
        problems.append(f"also loses points in {', '.join(elsewhere)}")
    detail = "; ".join(problems) or f"loses points in {', '.join(sorted(mutation.loses))}, saying {mutation.message!r}"
    return Row(mutation.task, "mistake", mutation.name, not problems, detail, tuple(named + elsewhere))


def corpus_rows(proof: ProofClass, graded: dict[str, Graded], tasks: dict[str, str]) -> list[Row]:
    """A row per alternative (full marks) and per named mistake (its own cells only, its own message)."""
    rows = []
    for student_id, (_, carried) in proof.corpus.items():
        result = graded.get(student_id)
        for mutation in carried:
            kind = "mistake" if mutation.is_mistake else "alternative"
            if result is None:
                rows.append(Row(mutation.task, kind, mutation.name, False, f"its student {student_id} was not graded",
                                tuple(sorted(mutation.loses))))
            elif mutation.is_mistake:
                rows.append(_mistake(mutation, carried, result, tasks))
            else:
                rows.append(_alternative(mutation, carried, result, tasks))
    return rows


def graded_rows(proof: ProofClass, graded: dict[str, Graded], tasks: dict[str, str]) -> list[Row]:
    """Every verdict the graded class decides: solution seeds, alternatives, mistakes (``tasks``:
    each test cell's task, in the notebook's order, see :func:`cell_tasks`)."""
    return solution_rows(proof, graded, tasks) + corpus_rows(proof, graded, tasks)


def by_task(rows: list[Row]) -> dict[str, list[Row]]:
    """The rows grouped by task, tasks in the order they first appear."""
    tasks: dict[str, list[Row]] = {}
    for row in rows:
        tasks.setdefault(row.task, []).append(row)
    return tasks


def failed_cells(rows: list[Row]) -> list[str]:
    """The cells named by the failing rows, each once, in order."""
    return list(dict.fromkeys(cell for row in rows if not row.ok for cell in row.cells))
