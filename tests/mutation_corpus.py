"""What a mutation corpus is made of, and how its entries become submissions.

A corpus (one module per assignment, ``tests/corpus_<assignment>.py``) lists correct solutions
written differently and typical mistakes, each a change to the instructor's solution of one cell.
The tests combine one entry per task into a submission (tasks are independent, so each entry is
judged in its own cells), autograde the submissions with real nbgrader and check: alternatives
earn full marks, each mistake loses points in its own cells only, and those cells' feedback
carries the entry's message.
"""

from __future__ import annotations

from dataclasses import dataclass

from mllab.classes.demo import DemoStudent, Patch, Rewrite


@dataclass(frozen=True)
class Mutation:
    task: str
    name: str
    change: Patch | Rewrite
    loses: frozenset[str] = frozenset()  # empty for a correct alternative
    message: str = ""  # a phrase the lost cells' output must contain

    @property
    def is_mistake(self) -> bool:
        return bool(self.loses)


def mistake(task, name, change, loses, message):
    return Mutation(task, name, change, frozenset(loses), message)


def _by_task(mutations):
    tasks: dict[str, list[Mutation]] = {}
    for mutation in mutations:
        tasks.setdefault(mutation.task, []).append(mutation)
    return tasks


def _student(student_id: str, description: str, mutations: list[Mutation]) -> DemoStudent:
    loses = frozenset().union(*(m.loses for m in mutations))
    return DemoStudent(student_id, description, tuple(m.change for m in mutations), loses)


def _mistake_rounds(mutations: list[Mutation]) -> list[list[Mutation]]:
    """Round k takes the k-th mistake of every task (a cell gets at most one mistake per student)."""
    tasks = _by_task(mutations)
    rounds = max(len(group) for group in tasks.values())
    return [[group[k] for group in tasks.values() if k < len(group)] for k in range(rounds)]


def submissions(alternatives_a, alternatives_b, mistakes, library_mistakes,
                contract_only=()) -> dict[str, tuple[DemoStudent, list[Mutation]]]:
    """A corpus as submissions: student id -> (the student, the mutations it carries).

    ``contract_only``: solutions written for exactly the inputs the notebook's contract states
    (nothing more general); they must earn full marks like the other alternatives."""
    groups = {"corpus_alternatives_a": alternatives_a, "corpus_alternatives_b": alternatives_b}
    if contract_only:
        groups["corpus_contract_only"] = list(contract_only)
    for k, group in enumerate(_mistake_rounds(mistakes), start=1):
        groups[f"corpus_mistakes_{k}"] = group
    groups["corpus_library_mistakes"] = library_mistakes
    return {sid: (_student(sid, f"mutation corpus: {', '.join(m.name for m in ms)}", ms), ms)
            for sid, ms in groups.items()}
