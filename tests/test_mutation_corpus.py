"""Through real nbgrader: are correct alternatives accepted and typical mistakes caught and explained,
in every assignment?"""

from __future__ import annotations

import pytest

from tests.conftest import CORPORA, page_text


def _corpus(assignment: str):
    module = CORPORA[assignment]
    alternatives = module.ALTERNATIVES_A + module.ALTERNATIVES_B + getattr(module, "CONTRACT_ONLY", [])
    mistakes = module.MISTAKES + getattr(module, "EDGE_MISTAKES", []) + module.LIBRARY_MISTAKES
    return module.corpus_students(), alternatives, mistakes


def _per_assignment(make):
    """(assignment, item) pairs for every assignment's corpus, as parameters with readable ids."""
    pairs = [(assignment, item) for assignment in CORPORA for item in make(assignment)]
    return pytest.mark.parametrize("class_run, item", pairs, indirect=["class_run"],
                                   ids=[f"{a}-{getattr(i, 'name', i)}" for a, i in pairs])


def _test_cells(score):
    return {name: value for name, value in score.cell_scores.items() if name.startswith("test_")}


def _carrier(corpus, mutation) -> str:
    return next(sid for sid, (_, mutations) in corpus.items() if mutation in mutations)


@pytest.mark.parametrize("assignment", list(CORPORA))
def test_the_corpus_has_three_mistakes_and_two_alternatives_per_task(assignment):
    _, alternatives, mistakes = _corpus(assignment)
    for task in {m.task for m in alternatives + mistakes}:
        assert len([m for m in CORPORA[assignment].MISTAKES if m.task == task]) >= 3, task
        assert len([m for m in alternatives if m.task == task]) >= 2, task


@_per_assignment(lambda a: ["corpus_alternatives_a", "corpus_alternatives_b"])
def test_correct_alternatives_earn_full_marks(class_run, item):
    cells = _test_cells(class_run.scores[item])
    lost = {name: value for name, value in cells.items() if value[0] != value[1]}
    assert not lost, f"{item} lost points: {lost}\n{class_run.outputs(item)}"


@_per_assignment(lambda a: [sid for sid in _corpus(a)[0] if "mistakes" in sid])
def test_each_mistake_loses_points_in_its_own_cells_only(class_run, item):
    expected = _corpus(class_run.assignment)[0][item][0].loses
    for name, (score, max_score) in _test_cells(class_run.scores[item]).items():
        if name in expected:
            assert score < max_score, f"{item}: {name} should lose points"
        else:
            assert score == max_score, f"{item}: {name} lost points it should keep"


@_per_assignment(lambda a: _corpus(a)[2])
def test_each_mistake_is_explained_in_its_cells_and_the_feedback(class_run, item):
    student = _carrier(_corpus(class_run.assignment)[0], item)
    outputs = class_run.outputs(student)
    for cell in item.loses:
        assert item.message in outputs[cell], f"{cell} of {student} says:\n{outputs[cell]}"
    assert " ".join(item.message.split()) in page_text(class_run.feedback_page(student))


@pytest.mark.parametrize("class_run", list(CORPORA), indirect=True)
def test_every_task_accepts_all_its_alternatives_and_catches_all_its_mistakes(class_run, report_lines):
    """Also prints the caught / accepted table at the end of the run."""
    corpus, all_alternatives, all_mistakes = _corpus(class_run.assignment)
    scores = {sid: class_run.scores[sid].cell_scores for sid in corpus}
    full = lambda sid: all(v[0] == v[1] for n, v in scores[sid].items() if n.startswith("test_"))
    lines = [f"{class_run.assignment}: {'task':<16} {'alternatives accepted':>22} {'mistakes caught':>16}"]
    rows = []
    for task in sorted({m.task for m in all_alternatives + all_mistakes}):
        alternatives = [m for m in all_alternatives if m.task == task]
        mistakes = [m for m in all_mistakes if m.task == task]
        accepted = sum(full(_carrier(corpus, m)) for m in alternatives)
        caught = sum(all(scores[_carrier(corpus, m)][c][0] < scores[_carrier(corpus, m)][c][1] for c in m.loses)
                     for m in mistakes)
        lines.append(f"{'':<{len(class_run.assignment) + 2}}{task:<16} {accepted:>18} / {len(alternatives):<3} "
                     f"{caught:>12} / {len(mistakes):<3}")
        rows.append((task, accepted, len(alternatives), caught, len(mistakes)))
    report_lines(lines)
    assert all(accepted == alternatives and caught == mistakes for _, accepted, alternatives, caught, mistakes in rows), rows
