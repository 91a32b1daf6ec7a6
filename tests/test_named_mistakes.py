"""Is every typical mistake the hidden checks explain a named mistake with a stable id?

The class report counts misconceptions by id (mllab.grading.findings); an explanation left as a plain
string would be shown to the student but never counted."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mllab.grading.findings import ID_PATTERN, Mistake, mistake

CHECKS = sorted((Path(__file__).resolve().parents[1] / "mllab" / "checks").glob("*.py"))


def _plain_sentence(node: ast.AST) -> bool:
    """A str literal or f-string with a space: an explanation (one word is an option, like "macro")."""
    text = node.value if isinstance(node, ast.Constant) else ast.unparse(node) if isinstance(node, ast.JoinedStr) else None
    return isinstance(text, str) and " " in text


def _mistake_dicts(tree: ast.AST):
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef) and "mistakes" in function.name:
            yield from (node for node in ast.walk(function) if isinstance(node, ast.Dict))


@pytest.mark.parametrize("module", [p for p in CHECKS if p.name != "__init__.py"], ids=lambda p: p.stem)
def test_no_mistakes_dict_of_a_check_has_an_unnamed_explanation(module):
    tree = ast.parse(module.read_text(encoding="utf-8"))
    plain = [ast.unparse(key)[:60] for d in _mistake_dicts(tree) for key in d.keys if key is not None and _plain_sentence(key)]
    assert plain == []


def test_every_literal_mistake_id_of_the_checks_is_well_formed():
    ids = set()
    for module in CHECKS:
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "mistake" and node.args \
                    and isinstance(node.args[0], ast.Constant):
                ids.add(node.args[0].value)
    assert len(ids) > 100
    assert [i for i in ids if not ID_PATTERN.match(i)] == []


def test_a_mistake_reads_as_its_explanation_and_rejects_a_malformed_id():
    named = mistake("mse.square_of_mean", "square each difference first")
    assert isinstance(named, Mistake) and named == "square each difference first" and named.id == "mse.square_of_mean"
    with pytest.raises(ValueError, match="lower_case words joined by dots"):
        mistake("MSE square", "x")
