"""The corpus protocol: correct alternatives and named mistakes, the evidence for `mllab check-tests`.

An assignment's corpus is one module (``course.toml``'s ``corpus`` key names it, e.g.
``corpus = "mllab.classes.corpus_loss_and_metric"``) that defines two lists of :class:`Mutation`,
each a change to the instructor's solution of ONE solution cell (a :class:`Patch` of its text or a
:class:`Rewrite` of the whole cell, from ``mllab.classes.demo``):

``ALTERNATIVES``
    correct solutions written differently: ``Mutation(task, name, change)``. Each must earn full
    marks in every test cell.
``MISTAKES``
    named mistakes: ``mistake(task, name, change, loses, message)``. ``loses`` is the set of test
    cells (grade ids) it must lose points in, and nowhere else; ``message`` is a phrase of the
    explanation the hidden check gives for it, which each of those cells' output must contain.
    In each task, the FIRST mistake listed is the task's most common one: the visible check of
    each cell it loses in must fail for it (a student who sees ✓ should not lose most of the
    task's points in the hidden tests for the mistake made most often there).

``task`` is a short label shared by the entries of one task of the notebook (e.g. ``"1 MSE/MAE"``);
`check-tests` prints one table per task. The entries of different tasks must be independent: a
change to one task's cells changes no other task's scores.

:func:`submissions` turns a corpus into students for a class: a student carries at most one
alternative per solution cell, and at most one mistake per task (round k takes the k-th mistake
of every task), so every entry is judged in its own cells.
"""

from __future__ import annotations

from dataclasses import dataclass

from mllab.classes.demo import DemoStudent, Patch, Rewrite

__all__ = ["DemoStudent", "Mutation", "Patch", "Rewrite", "mistake", "submissions"]


@dataclass(frozen=True)
class Mutation:
    """One change to the instructor's solution of one cell: a correct alternative or a named mistake."""

    task: str
    name: str
    change: Patch | Rewrite
    loses: frozenset[str] = frozenset()  # empty for a correct alternative
    message: str = ""  # a phrase the lost cells' output must contain

    @property
    def is_mistake(self) -> bool:
        return bool(self.loses)

    @property
    def cell(self) -> str:
        """The solution cell it changes."""
        return self.change.grade_id


def mistake(task: str, name: str, change: Patch | Rewrite, loses, message: str) -> Mutation:
    """A named mistake: it must lose points in the test cells ``loses``, saying ``message`` there."""
    return Mutation(task, name, change, frozenset(loses), message)


def _rounds(mutations: list[Mutation], key) -> list[list[Mutation]]:
    """First fit: each mutation goes to the first round that holds none with the same ``key``."""
    rounds: list[list[Mutation]] = []
    for mutation in mutations:
        free = next((r for r in rounds if all(key(m) != key(mutation) for m in r)), None)
        if free is None:
            rounds.append(free := [])
        free.append(mutation)
    return rounds


def _student(student_id: str, mutations: list[Mutation]) -> DemoStudent:
    loses = frozenset().union(*(m.loses for m in mutations))
    description = f"mutation corpus: {', '.join(m.name for m in mutations)}"
    return DemoStudent(student_id, description, tuple(m.change for m in mutations), loses)


def submissions(alternatives: list[Mutation], mistakes: list[Mutation], *,
                prefix: str = "corpus") -> dict[str, tuple[DemoStudent, list[Mutation]]]:
    """A corpus as students: student id -> (the student, the mutations it carries), in order
    ``<prefix>_alternatives_1 …`` then ``<prefix>_mistakes_1 …`` (round 1: every task's most common mistake)."""
    groups = {f"{prefix}_alternatives_{k}": group
              for k, group in enumerate(_rounds(alternatives, lambda m: m.cell), start=1)}
    groups |= {f"{prefix}_mistakes_{k}": group
               for k, group in enumerate(_rounds(mistakes, lambda m: m.task), start=1)}
    return {sid: (_student(sid, group), group) for sid, group in groups.items()}
