"""The verdicts decided on the notebook run in this process: contracts and visible checks."""

from __future__ import annotations

import importlib

import torch

from mllab.checks.contracts import Contract, contracts, violations
from mllab.checktests.analysis import Row, solution_cell_task
from mllab.checktests.build import ProofClass
from mllab.checktests.notebook_run import (SolvedNotebook, graded_names, has_visible_check, observed_calls,
                                           visible_failure, with_mutation)

SHOWN = 3  # problems named per row; the rest are counted


def declared_contracts(assignment: str, checks_module: str) -> tuple[Contract, ...]:
    """The assignment's contracts: mllab.checks.contracts.<name>, or the CONTRACTS of its checks module."""
    found = contracts(assignment)
    if not found:
        found = tuple(getattr(importlib.import_module(checks_module), "CONTRACTS", ()))
    return found


def _listed(problems: list[str]) -> str:
    more = len(problems) - SHOWN
    return "; ".join(problems[:SHOWN]) + (f"; and {more} more" if more > 0 else "")


def _is_forward(contract: Contract, function) -> bool:
    """For an nn.Module contract only calls of an instance count (not the constructor's)."""
    return contract.kind != "module" or isinstance(function, torch.nn.Module)


def function_tasks(solved: SolvedNotebook, tasks: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Each graded name -> (its task, the first test cell that grades it)."""
    found = {}
    for grade_id, cell in solved.test_cells().items():
        for name in sorted(graded_names(cell)):
            found.setdefault(name, (tasks.get(grade_id, grade_id), grade_id))
    return found


def _contract_row(contract: Contract, calls: dict, proof: ProofClass, task: str, cell: str) -> Row:
    seen = [(args, kwargs) for function, args, kwargs in calls.get(contract.name, []) if _is_forward(contract, function)]
    problems = [] if seen else ["no hidden check calls it"]
    problems += list(dict.fromkeys(problem for args, kwargs in seen for problem in violations(contract, args, kwargs)))
    messages = [m.message for m in proof.mistakes]
    problems += [f"the convention {c.text!r} is broken by no named mistake whose message names its case {c.case!r}"
                 for c in contract.conventions if not any(c.case in message for message in messages)]
    stated = len(contract.conventions)
    exercised = f"{stated} convention{'s' * (stated != 1)} exercised" if stated else "it states no convention"
    detail = _listed(problems) or f"{len(seen)} calls keep it; {exercised}"
    return Row(task, "contract", contract.name, not problems, detail, () if not problems else (cell,))


def contract_rows(solved: SolvedNotebook, proof: ProofClass, tasks: dict[str, str],
                  declared: tuple[Contract, ...]) -> list[Row]:
    """Per graded function: it has a contract, every call the hidden checks make keeps it, and every
    convention it states is broken by a named mistake whose message names the convention's case."""
    calls, graded, raised = observed_calls(solved)
    owners = function_tasks(solved, tasks)
    rows = [Row(tasks.get(cell, cell), "solution", "hidden tests run on the instructor's solution", False,
                f"{cell} raised {problem}", (cell,)) for cell, problem in raised.items()]
    by_name = {c.name: c for c in declared}
    for name in sorted(graded - set(by_name)):
        task, cell = owners[name]
        rows.append(Row(task, "contract", name, False, "a graded function without a contract", (cell,)))
    for contract in declared:
        task, cell = owners.get(contract.name, (solution_cell_task(proof, contract.grade_id, contract.name),
                                                contract.grade_id))
        rows.append(_contract_row(contract, calls, proof, task, cell))
    return rows


def _first_mistakes(proof: ProofClass):
    first = {}
    for mutation in proof.mistakes:
        first.setdefault(mutation.task, mutation)
    return first.values()


def _visible_row(solved: SolvedNotebook, mutation, cells: dict) -> Row:
    checked = [cell for cell in sorted(mutation.loses) if cell in cells and has_visible_check(cells[cell])]
    what = f"fails for {mutation.name!r}"
    if not checked:
        return Row(mutation.task, "visible check", what, False,
                   f"none of its cells ({', '.join(sorted(mutation.loses))}) has a visible check",
                   tuple(sorted(mutation.loses)))
    try:
        wrong = with_mutation(solved, mutation)
    except Exception as error:  # noqa: BLE001 - the corpus entry's own code fails
        return Row(mutation.task, "visible check", what, False,
                   f"its changed cell {mutation.cell} does not run: {type(error).__name__}: {error}", tuple(checked))
    problems, said = [], []
    for cell in checked:
        if (before := visible_failure(solved, cell)) is not None:
            problems.append(f"{cell} fails on the instructor's solution: {before.splitlines()[0]}")
        elif (failure := visible_failure(solved, cell, wrong)) is None:
            problems.append(f"{cell} passes with this mistake")
        else:
            said.append(f"{cell}: {(failure.splitlines() or [''])[0][:90]}")
    bad = tuple(cell for cell in checked if any(p.startswith(cell + " ") for p in problems))
    return Row(mutation.task, "visible check", what, not problems, _listed(problems) or "; ".join(said), bad)


def visible_rows(solved: SolvedNotebook, proof: ProofClass) -> list[Row]:
    """Per task: the visible checks of the cells its most common mistake (its first) loses in fail for it."""
    cells = solved.test_cells()
    return [_visible_row(solved, mutation, cells) for mutation in _first_mistakes(proof)]
