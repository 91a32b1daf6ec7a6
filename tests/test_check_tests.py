"""`mllab check-tests`: do the three assignments pass it, and does it name what fails?

The three assignments are judged on the suite's shared class runs (tests/conftest.py hands in
check-tests' class with each demo class), so nothing is graded twice. That a verdict can fail is
shown on graded results made here (a check weakened so a named mistake passes, a flaky cell, a
mistake that costs points elsewhere, an alternative marked down) and on the notebook run (a visible
check that misses the most common mistake, a convention no mistake exercises).
"""

from __future__ import annotations

import json

import pytest

from mllab.checks.contracts import Contract, Convention, contracts
from mllab.checktests.analysis import cell_tasks, graded_rows
from mllab.checktests.build import ProofClass, load_corpus, proof_class
from mllab.checktests.notebook_checks import contract_rows, visible_rows
from mllab.checktests.results import Graded, collect
from mllab.checktests.run import verdicts
from mllab.checktests.table import as_json, tables
from mllab.classes.corpus import Mutation, Patch, Rewrite, mistake, submissions
from mllab.classes.demo import DemoStudent
from mllab.cli import main
from mllab.course.assignments import assignment as declaration
from mllab.errors import UsageError
from tests.conftest import CLASS_RUNS, REPO


@pytest.mark.parametrize("class_run", list(CLASS_RUNS), indirect=True)
def test_each_assignment_passes_check_tests_on_its_class_run(class_run, solved_notebook, report_lines):
    """Also prints each assignment's tables at the end of the run."""
    proof, course = class_run.proof, class_run.course
    graded = collect(course, class_run.assignment, proof.student_ids)
    rows = verdicts(course, proof, graded, declaration(course.root, class_run.assignment).checks,
                    solved_notebook(class_run.assignment))
    report_lines(tables(class_run.assignment, rows).splitlines())
    assert {row.kind for row in rows} == {"solution", "alternative", "mistake", "contract", "visible check"}
    assert [f"{row.task} | {row.what}: {row.detail}" for row in rows if not row.ok] == []


# ---------------------------------------------------------------------- verdicts on made-up results

CELLS = ["test_a", "test_b", "test_c"]
MISTAKE_A = mistake("1 A", "a wrong", Patch("a_own", "x", "y"), {"test_a"}, "you forgot a")
MISTAKE_B = mistake("2 BC", "b wrong", Patch("bc_own", "x", "y"), {"test_b"}, "you forgot b")
ALTERNATIVE = Mutation("2 BC", "b differently", Rewrite("bc_own", "def b(): pass"))


def _proof() -> ProofClass:
    solutions = (DemoStudent("s1", ""), DemoStudent("s2", ""))
    return ProofClass("made_up", solutions, submissions([ALTERNATIVE], [MISTAKE_A, MISTAKE_B]),
                      (ALTERNATIVE,), (MISTAKE_A, MISTAKE_B), "made_up_corpus")


def _graded(lost: dict[str, set[str]] = {}, said: str = "you forgot a; you forgot b", salt: int = 7) -> dict:
    """Every student of _proof(): the mistakes lose their cells and say so; ``lost`` changes that."""
    default = {"s1": set(), "s2": set(), "corpus_alternatives_1": set(), "corpus_mistakes_1": {"test_a", "test_b"}}
    result = {}
    for student, cells in (default | lost).items():
        result[student] = Graded({c: (1.0 if c in cells else 5.0, 5.0) for c in CELLS},
                                 {c: said for c in CELLS}, salt + len(result))
    return result


def _tasks() -> dict[str, str]:
    """test_c belongs to no task: no corpus entry changes what it grades."""
    return cell_tasks(_proof(), CELLS, {"test_a": ["a_own"], "test_b": ["bc_own"], "test_c": ["c_own"]})


def _failing(rows):
    return [(row.kind, row.what, row.cells) for row in rows if not row.ok]


def test_every_verdict_holds_when_every_check_does_its_job():
    rows = graded_rows(_proof(), _graded(), _tasks())
    assert _failing(rows) == []
    assert [(row.task, row.kind) for row in rows] == [
        ("1 A", "solution"), ("2 BC", "solution"), ("test_c", "solution"),
        ("2 BC", "alternative"), ("1 A", "mistake"), ("2 BC", "mistake")]


def test_a_cell_no_mistake_loses_in_belongs_to_the_task_whose_entries_change_what_it_grades():
    tasks = cell_tasks(_proof(), ["test_a", "test_b_lib", "test_d"], {"test_b_lib": ["bc_own"], "test_d": ["d_own"]})
    assert tasks == {"test_a": "1 A", "test_b_lib": "2 BC", "test_d": "test_d"}


def test_a_check_weakened_so_a_named_mistake_passes_is_named_with_its_cell():
    rows = graded_rows(_proof(), _graded({"corpus_mistakes_1": {"test_b"}}), _tasks())
    assert _failing(rows) == [("mistake", "a wrong", ("test_a",))]
    assert "test_a keeps full marks (seed 10: MLLAB_CHECK_SEED=10 reproduces it)" in rows[4].detail


def test_a_flaky_cell_is_named_with_the_seed_that_fails():
    rows = graded_rows(_proof(), _graded({"s2": {"test_c"}}), _tasks())
    assert _failing(rows) == [("solution", "instructor's solution on 2 seeds", ("test_c",))]
    assert "test_c 1/5 (seed 8: MLLAB_CHECK_SEED=8 reproduces it)" == [r.detail for r in rows if not r.ok][0]


def test_a_mistake_that_costs_points_in_another_cell_is_named_with_that_cell():
    rows = graded_rows(_proof(), _graded({"corpus_mistakes_1": {"test_a", "test_b", "test_c"}}), _tasks())
    assert ("mistake", "a wrong", ("test_c",)) in _failing(rows)  # test_c belongs to no task the student changed


def test_a_mistake_whose_cell_does_not_give_its_message_is_named():
    rows = graded_rows(_proof(), _graded(said="you forgot a"), _tasks())
    assert _failing(rows) == [("mistake", "b wrong", ("test_b",))]


def test_an_alternative_marked_down_is_named_with_the_cell():
    rows = graded_rows(_proof(), _graded({"corpus_alternatives_1": {"test_b"}}), _tasks())
    assert _failing(rows) == [("alternative", "b differently", ("test_b",))]


def test_a_student_the_autograder_could_not_grade_fails_its_verdicts():
    graded = _graded()
    del graded["corpus_mistakes_1"]
    assert [kind for kind, _, _ in _failing(graded_rows(_proof(), graded, _tasks()))] == ["mistake", "mistake"]


def test_the_tables_and_the_json_name_the_failing_cells():
    rows = graded_rows(_proof(), _graded({"s2": {"test_c"}, "corpus_mistakes_1": {"test_b"}}), _tasks())
    text = tables("made_up", rows)
    assert "task 1 A: 1/2 hold" in text and "task 2 BC: 3/3 hold" in text
    assert text.splitlines()[-1] == "FAILED: 2 of 6 verdicts; look at test_c, test_a"
    assert "MLLAB_CHECK_SEED=<seed> jupyter nbconvert --to notebook --execute --stdout source/made_up/made_up.ipynb" \
        in text.splitlines()[-2]
    assert "nbconvert" not in tables("made_up", graded_rows(_proof(), _graded({"corpus_mistakes_1": {"test_b"}}), _tasks()))
    assert json.loads(as_json("made_up", rows))["failed_cells"] == ["test_c", "test_a"]


# ---------------------------------------------------------------------- verdicts on the notebook run

@pytest.fixture(scope="module")
def custom_losses_solved(solved_notebook):
    return solved_notebook("custom_losses")


def test_a_visible_check_that_misses_the_most_common_mistake_is_named(custom_losses_solved):
    unnoticed = mistake("1 RMSE/R²", "the RMSE written another way", Patch(
        "regression_own", "return torch.sqrt(((pred - target) ** 2).mean())",
        "return ((pred - target) ** 2).mean() ** 0.5"), {"test_rmse_own"}, "none")
    proof = proof_class("custom_losses", None, 1)
    rows = visible_rows(custom_losses_solved, ProofClass("custom_losses", proof.solutions, {}, (), (unnoticed,)))
    assert [(row.ok, row.cells, row.detail) for row in rows] == [
        (False, ("test_rmse_own",), "test_rmse_own passes with this mistake")]


def test_a_stated_convention_that_no_named_mistake_exercises_is_named(custom_losses_solved):
    rmse = next(c for c in contracts("custom_losses") if c.name == "rmse")
    stated = Contract(rmse.name, rmse.grade_id, rmse.summary, rmse.args, rmse.returns,
                      (Convention("an empty tensor: return nan", "the empty case"),))
    proof = ProofClass("custom_losses", (), {}, (), (MISTAKE_A,))
    rows = [row for row in contract_rows(custom_losses_solved, proof, {}, (stated,)) if row.what == "rmse"]
    assert len(rows) == 1 and not rows[0].ok and rows[0].cells == ("test_rmse_own",)
    assert "the convention 'an empty tensor: return nan' is broken by no named mistake" in rows[0].detail


def test_a_mistakes_change_that_does_not_run_is_named_not_raised(custom_losses_solved):
    broken = mistake("1 RMSE/R²", "a syntax error", Rewrite("regression_own", "def rmse(pred, target):\n    return ("),
                     {"test_rmse_own"}, "none")
    rows = visible_rows(custom_losses_solved, ProofClass("custom_losses", (), {}, (), (broken,)))
    assert not rows[0].ok and rows[0].detail.startswith("its changed cell regression_own does not run: SyntaxError")


def test_a_corpus_that_breaks_the_protocol_is_refused_with_what_to_do(tmp_path, monkeypatch):
    (tmp_path / "bad_corpus.py").write_text(
        "from mllab.classes.corpus import Mutation, Patch\n"
        "ALTERNATIVES = []\nMISTAKES = [Mutation('1', 'no cells', Patch('c', 'a', 'b'))]\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(UsageError, match=r"MISTAKES holds entries without the cells they lose \(no cells\)"):
        load_corpus("bad_corpus")
    with pytest.raises(UsageError, match="cannot import the corpus module 'no_such_corpus'"):
        load_corpus("no_such_corpus")


def test_check_tests_refuses_a_task_its_corpus_does_not_have(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert main(["check-tests", "custom_losses", "--task", "9 no such task"]) == 2
    assert "has no task '9 no such task'; its tasks: '1 RMSE/R²'" in capsys.readouterr().err
