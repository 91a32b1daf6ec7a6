"""Through real nbgrader: are correct alternatives accepted and typical mistakes caught and explained?"""

from __future__ import annotations

import pytest

from tests.conftest import cell_outputs_text, page_text
from tests.corpus_loss_and_metric import ALTERNATIVES_A, ALTERNATIVES_B, LIBRARY_MISTAKES, MISTAKES, corpus_students

CORPUS = corpus_students()
TASKS = sorted({m.task for m in ALTERNATIVES_A + ALTERNATIVES_B + MISTAKES + LIBRARY_MISTAKES})


def _test_cells(score):
    return {name: value for name, value in score.cell_scores.items() if name.startswith("test_")}


def _carrier(mutation) -> str:
    return next(sid for sid, (_, mutations) in CORPUS.items() if mutation in mutations)


def _outputs(demo_run, student):
    notebook = demo_run.autograded(student)
    return {c.metadata["nbgrader"]["grade_id"]: cell_outputs_text(c)
            for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")}


def test_the_corpus_has_three_mistakes_and_two_alternatives_per_task():
    for task in TASKS:
        assert len([m for m in MISTAKES if m.task == task]) >= 3, task
        assert len([m for m in ALTERNATIVES_A + ALTERNATIVES_B if m.task == task]) >= 2, task


@pytest.mark.parametrize("student", ["corpus_alternatives_a", "corpus_alternatives_b"])
def test_correct_alternatives_earn_full_marks(demo_run, student):
    cells = _test_cells(demo_run.scores[student])
    lost = {name: value for name, value in cells.items() if value[0] != value[1]}
    assert not lost, f"{student} lost points: {lost}\n{_outputs(demo_run, student)}"


MISTAKE_STUDENTS = [sid for sid in CORPUS if "mistakes" in sid]


@pytest.mark.parametrize("student", MISTAKE_STUDENTS)
def test_each_mistake_loses_points_in_its_own_cells_only(demo_run, student):
    expected = CORPUS[student][0].loses
    for name, (score, max_score) in _test_cells(demo_run.scores[student]).items():
        if name in expected:
            assert score < max_score, f"{student}: {name} should lose points"
        else:
            assert score == max_score, f"{student}: {name} lost points it should keep"


@pytest.mark.parametrize("mutation", MISTAKES + LIBRARY_MISTAKES, ids=lambda m: m.name)
def test_each_mistake_is_explained_in_its_cells_and_the_feedback(demo_run, mutation):
    student = _carrier(mutation)
    outputs = _outputs(demo_run, student)
    for cell in mutation.loses:
        assert mutation.message in outputs[cell], f"{cell} of {student} says:\n{outputs[cell]}"
    page = demo_run.course.feedback_dir(student, "loss_and_metric") / "loss_and_metric.html"
    assert " ".join(mutation.message.split()) in page_text(page)


def test_every_task_accepts_all_its_alternatives_and_catches_all_its_mistakes(demo_run, report_lines):
    """Also prints the caught / accepted table at the end of the run."""
    scores = {sid: demo_run.scores[sid].cell_scores for sid in CORPUS}
    full = lambda sid: all(v[0] == v[1] for n, v in scores[sid].items() if n.startswith("test_"))
    lines = [f"{'task':<12} {'alternatives accepted':>22} {'mistakes caught':>16}"]
    rows = []
    for task in TASKS:
        alternatives = [m for m in ALTERNATIVES_A + ALTERNATIVES_B if m.task == task]
        mistakes = [m for m in MISTAKES + LIBRARY_MISTAKES if m.task == task]
        accepted = sum(full(_carrier(m)) for m in alternatives)
        caught = sum(all(scores[_carrier(m)][c][0] < scores[_carrier(m)][c][1] for c in m.loses) for m in mistakes)
        lines.append(f"{task:<12} {accepted:>18} / {len(alternatives):<3} {caught:>12} / {len(mistakes):<3}")
        rows.append((task, accepted, len(alternatives), caught, len(mistakes)))
    report_lines(lines)
    assert all(accepted == alternatives and caught == mistakes for _, accepted, alternatives, caught, mistakes in rows), rows
