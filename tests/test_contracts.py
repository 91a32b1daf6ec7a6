"""Do the hidden checks keep exactly the contract each notebook states?

Every graded function has a contract (mllab/checks/contracts/<assignment>.py) that the release
shows as the stub's docstring. Here every hidden check runs on the instructor's solutions, and
every call it makes to a student's function must keep that function's contract; every edge-case
convention a contract states must be broken by a corpus mistake whose message names its case.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections import defaultdict

import nbformat
import numpy as np
import pytest
import torch
import torchmetrics

from mllab.checks.contracts import Contract, contracts, docstring, violations
from mllab.classes.demo import solution_text
from mllab.course.assignments import assignment_names
from mllab.grading import scoring
from tests.conftest import CORPORA, REPO


def _graded_cells(repo, assignment):
    notebook = nbformat.read(repo.source_notebook(assignment), as_version=4)
    return notebook, [c for c in notebook.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]


def _hidden_call(cell) -> ast.Call:
    hidden = re.search(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.S).group(1)
    return ast.parse(hidden.strip().splitlines()[-1].removeprefix("_points = "), mode="eval").body


def _name(function) -> str:
    return getattr(function, "__name__", type(function).__name__)


@pytest.fixture(scope="module", params=assignment_names(REPO))
def observed(request, repo):
    """(assignment, {function name: [(args, kwargs), ...]}) for every call the hidden checks make."""
    assignment = request.param
    notebook, cells = _graded_cells(repo, assignment)
    namespace = {"np": np, "torch": torch, "torchmetrics": torchmetrics, "nn": torch.nn}
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            exec(solution_text(cell.source), namespace)
    namespace["hidden"] = importlib.import_module(f"mllab.checks.{assignment}")
    calls: dict[str, list] = defaultdict(list)
    graded: set[str] = set()
    observe = lambda function, args, kwargs: calls[_name(function)].append((function, args, kwargs))
    scoring.OBSERVERS.append(observe)
    try:
        for cell in cells:
            call = _hidden_call(cell)
            graded |= {a.id for a in call.args if isinstance(a, ast.Name)}
            eval(compile(ast.Expression(call), "<hidden>", "eval"), namespace)
    finally:
        scoring.OBSERVERS.remove(observe)
    return assignment, calls, graded


def _is_forward(contract: Contract, function) -> bool:
    """For an nn.Module contract only calls of an instance count (not the constructor's)."""
    return contract.kind != "module" or isinstance(function, torch.nn.Module)


def test_every_graded_function_has_a_contract(observed):
    assignment, _, graded = observed
    assert sorted(graded - {c.name for c in contracts(assignment)}) == []


def test_every_input_a_hidden_check_feeds_keeps_the_contract(observed):
    assignment, calls, _ = observed
    broken = []
    for contract in contracts(assignment):
        seen = [(args, kwargs) for function, args, kwargs in calls.get(contract.name, [])
                if _is_forward(contract, function)]
        assert seen, f"no hidden check calls {contract.name}"
        for args, kwargs in seen:
            broken += [f"{contract.name}: {problem}" for problem in violations(contract, args, kwargs)]
    assert sorted(set(broken)) == []


@pytest.mark.parametrize("assignment", assignment_names(REPO))
def test_every_stated_edge_case_is_broken_by_a_corpus_mistake_named_by_its_case(assignment):
    corpus = CORPORA[assignment]
    messages = [m.message for m in corpus.MISTAKES + getattr(corpus, "EDGE_MISTAKES", []) if m.is_mistake]
    unexercised = [f"{c.name}: {convention.case}" for c in contracts(assignment) for convention in c.conventions
                   if not any(convention.case in message for message in messages)]
    assert unexercised == []


@pytest.mark.parametrize("assignment", assignment_names(REPO))
def test_the_release_shows_each_contract_as_the_stubs_docstring(repo, assignment):
    release = nbformat.read(repo.release_notebook(assignment), as_version=4)
    sources = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in release.cells}
    for contract in contracts(assignment):
        assert docstring(contract) in sources[contract.grade_id], contract.name


def test_a_call_outside_the_contract_is_named():
    from mllab.checks.contracts import ARRAY, FLOAT, TENSOR, Arg

    contract = Contract("f", "f_own", "f.", (Arg("x", (TENSOR,), "a 1-D float tensor", ndim=(1,), dtypes=("float32",),
                                                   low=0.0, high=1.0),
                                             Arg("y", (TENSOR, ARRAY), "like x", same_shape_as="x"),
                                             Arg("k", (FLOAT,), "a number", choices=(1.0, 2.0), optional=True)),
                        "a number")
    assert violations(contract, (torch.rand(4), np.zeros(4)), {}) == []
    found = violations(contract, (torch.full((2, 3), 1.5, dtype=torch.float64), np.zeros(5)), {"k": 3.0})
    assert [p.split(" ")[0] for p in found] == ["x", "x", "x", "y", "k=3.0"]
    assert violations(contract, ("text",), {})[0].startswith("f was called without y")
