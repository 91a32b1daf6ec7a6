"""The class that `check-tests` grades: the instructor's solution once per seed, and the corpus."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from mllab.classes.corpus import Mutation, submissions
from mllab.classes.demo import DemoStudent, write_submissions
from mllab.course.paths import Course
from mllab.errors import UsageError


@dataclass(frozen=True)
class ProofClass:
    """The students `check-tests` hands in for one assignment, and what each must show."""

    assignment: str
    solutions: tuple[DemoStudent, ...]  # the instructor's solution, once per seed (a seed per student id)
    corpus: dict[str, tuple[DemoStudent, list[Mutation]]]  # student id -> (student, the mutations it carries)
    alternatives: tuple[Mutation, ...] = ()
    mistakes: tuple[Mutation, ...] = ()
    corpus_module: str | None = None  # None: the declaration names no corpus

    @property
    def students(self) -> tuple[DemoStudent, ...]:
        return self.solutions + tuple(student for student, _ in self.corpus.values())

    @property
    def student_ids(self) -> list[str]:
        return [student.student_id for student in self.students]


def load_corpus(module_name: str) -> tuple[tuple[Mutation, ...], tuple[Mutation, ...]]:
    """(ALTERNATIVES, MISTAKES) of a corpus module (see mllab.classes.corpus)."""
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise UsageError(f"cannot import the corpus module {module_name!r} that course.toml names: {error}") from None
    found = {name: getattr(module, name, None) for name in ("ALTERNATIVES", "MISTAKES")}
    for name, entries in found.items():
        if not isinstance(entries, (list, tuple)) or not all(isinstance(m, Mutation) for m in entries):
            raise UsageError(f"{module_name}.{name} must be a list of Mutation (see mllab/classes/corpus.py)")
    correct = [m.name for m in found["ALTERNATIVES"] if m.is_mistake]
    unnamed = [m.name for m in found["MISTAKES"] if not m.is_mistake]
    if correct or unnamed:
        raise UsageError(f"{module_name}: ALTERNATIVES holds mistakes ({', '.join(correct) or 'none'}) or MISTAKES "
                         f"holds entries without the cells they lose ({', '.join(unnamed) or 'none'}); "
                         "make mistakes with mistake(task, name, change, loses, message)")
    return tuple(found["ALTERNATIVES"]), tuple(found["MISTAKES"])


def _of_task(alternatives, mistakes, task: str, module: str):
    tasks = list(dict.fromkeys(m.task for m in (*alternatives, *mistakes)))
    if task not in tasks:
        raise UsageError(f"{module} has no task {task!r}; its tasks: {', '.join(map(repr, tasks)) or 'none'}")
    return tuple(m for m in alternatives if m.task == task), tuple(m for m in mistakes if m.task == task)


def proof_class(assignment: str, corpus_module: str | None, seeds: int, *, task: str | None = None,
                prefix: str = "checktests") -> ProofClass:
    """``seeds`` students with the instructor's solution, then the corpus's students (if any; only
    the entries of ``task`` if given)."""
    if seeds < 1:
        raise UsageError(f"--seeds must be at least 1, not {seeds}")
    solutions = tuple(DemoStudent(f"{prefix}_solution_{k}", f"the instructor's solution (seed {k})")
                      for k in range(1, seeds + 1))
    if corpus_module is None:
        return ProofClass(assignment, solutions, {})
    alternatives, mistakes = load_corpus(corpus_module)
    if task is not None:
        alternatives, mistakes = _of_task(alternatives, mistakes, task, corpus_module)
    return ProofClass(assignment, solutions, submissions(list(alternatives), list(mistakes), prefix=prefix),
                      alternatives, mistakes, corpus_module)


def write_class(course: Course, proof: ProofClass) -> list[str]:
    """Hand the class in: submitted/<student>/<assignment>/ (the release must exist)."""
    return write_submissions(course, proof.assignment, proof.students)
