"""Does the release show each contract, and does a call outside a contract get named?

Every graded function has a contract (mllab/checks/contracts/<assignment>.py) that the release
shows as the stub's docstring. That every call a hidden check makes keeps its function's contract,
and that every stated edge-case convention is broken by a named mistake whose message names its
case, is check-tests' verdict (mllab.checktests.notebook_checks; tests/test_check_tests.py).
"""

from __future__ import annotations

import nbformat
import numpy as np
import pytest
import torch

from mllab.checks.contracts import Contract, contracts, docstring, violations
from mllab.course.assignments import assignment_names
from tests.conftest import REPO


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
