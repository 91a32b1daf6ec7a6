"""Through real nbgrader: what the corpora hold, and does the feedback page explain each named mistake?

Whether each alternative earns full marks and each mistake loses points in its own cells only,
with its own message, is check-tests' verdict on the same class runs (tests/test_check_tests.py).
"""

from __future__ import annotations

import pytest

from mllab.checktests.build import load_corpus
from mllab.course.assignments import assignment as declaration
from mllab.classes.corpus import submissions
from mllab.course.paths import Course
from tests.conftest import CLASS_RUNS, REPO, page_text, proof_of


def _corpus(assignment: str):
    return load_corpus(declaration(REPO, assignment).corpus)


@pytest.mark.parametrize("assignment", list(CLASS_RUNS))
def test_the_corpus_has_three_mistakes_and_two_alternatives_per_task(assignment):
    alternatives, mistakes = _corpus(assignment)
    for task in {m.task for m in alternatives + mistakes}:
        assert len([m for m in mistakes if m.task == task]) >= 3, task
        assert len([m for m in alternatives if m.task == task]) >= 2, task


@pytest.mark.parametrize("assignment", list(CLASS_RUNS))
def test_each_named_mistake_goes_to_a_student_with_no_other_mistake_of_its_task(assignment):
    alternatives, mistakes = _corpus(assignment)
    students = submissions(list(alternatives), list(mistakes))
    carried = [m for _, ms in students.values() for m in ms]
    assert sorted(carried, key=id) == sorted(alternatives + mistakes, key=id)
    for _, ms in students.values():
        assert len({m.task for m in ms if m.is_mistake}) == len([m for m in ms if m.is_mistake])
        assert len({m.cell for m in ms if not m.is_mistake}) == len([m for m in ms if not m.is_mistake])


def _carriers(assignment: str) -> list[tuple[str, str, object]]:
    """(assignment, student, mistake) for every named mistake of the class run's corpus students."""
    proof = proof_of(Course(REPO), assignment)
    return [(assignment, student_id, m) for student_id, (_, mutations) in proof.corpus.items()
            for m in mutations if m.is_mistake]


PAIRS = [pair for assignment in CLASS_RUNS for pair in _carriers(assignment)]


@pytest.mark.parametrize("class_run, student, mutation", PAIRS, indirect=["class_run"],
                         ids=[f"{a}-{m.name}" for a, _, m in PAIRS])
def test_each_named_mistake_is_explained_on_the_feedback_page(class_run, student, mutation):
    assert " ".join(mutation.message.split()) in page_text(class_run.feedback_page(student))
