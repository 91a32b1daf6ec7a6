"""The disguises of a planted copy, each applied alone to a copied cell (evaluation only).

Each works on the cell's Python source with ``ast`` and ``tokenize``; a cell it cannot parse is
returned unchanged.
"""

from __future__ import annotations

import ast
import io
import random
import re
import tokenize

from mllab.similarity.tokens import bound_names

NEW_NAMES = ("tmp", "val", "res", "aux", "part", "acc", "buf", "cur", "item", "step", "piece", "mid", "term", "work")


def _parses(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except SyntaxError:
        return None


def _top_level_api(tree: ast.Module) -> set[str]:
    """Names a student may not rename: the cell's functions and their parameters (the task's API)."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            names.add(node.name)
            names |= {a.arg for a in node.args.args + node.args.kwonlyargs}
    return names


def rename(text: str, rng: random.Random) -> str:
    """Every variable the student bound, renamed (consistently); the task's functions and parameters kept."""
    tree = _parses(text)
    if tree is None:
        return text
    names = sorted(bound_names(tree) - _top_level_api(tree) - {"_"})
    fresh = rng.sample(NEW_NAMES, len(NEW_NAMES))
    mapping = {name: f"{fresh[i % len(fresh)]}{i // len(fresh) or ''}_{rng.randrange(10)}" for i, name in enumerate(names)}
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    lines = text.splitlines(keepends=True)
    depth, edits = 0, []
    for index, tok in enumerate(tokens):
        if tok.type == tokenize.OP:
            depth += tok.string in "([{"
            depth -= tok.string in ")]}"
        if tok.type != tokenize.NAME or tok.string not in mapping:
            continue
        previous = tokens[index - 1].string if index else ""
        following = tokens[index + 1].string if index + 1 < len(tokens) else ""
        if previous == "." or (depth > 0 and following == "=" and previous in "(,"):
            continue
        edits.append((tok.start, tok.end, mapping[tok.string]))
    for (row, col), (_, end), new in reversed(edits):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + new + line[end:]
    return "".join(lines)


def reformat(text: str, rng: random.Random) -> str:
    """The code as ``ast.unparse`` writes it: new line breaks, quotes and spacing (comments go too)."""
    tree = _parses(text)
    return ast.unparse(tree) + "\n" if tree is not None else text


def _reads(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _writes(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _independent(first: ast.stmt, second: ast.stmt) -> bool:
    if not (isinstance(first, ast.Assign) and isinstance(second, ast.Assign)):
        return False
    w1, w2 = _writes(first), _writes(second)
    return not (w1 & _reads(second) or w2 & _reads(first) or w1 & w2)


def _swap_statements(text: str) -> str:
    tree = _parses(text)
    if tree is None:
        return text
    lines = text.splitlines(keepends=True)
    swaps = []
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        body, index = function.body, 0
        while index + 1 < len(body):
            if _independent(body[index], body[index + 1]):
                swaps.append((body[index], body[index + 1]))
                index += 2
            else:
                index += 1
    for first, second in sorted(swaps, key=lambda pair: -pair[0].lineno):
        a = lines[first.lineno - 1:first.end_lineno]
        b = lines[second.lineno - 1:second.end_lineno]
        lines[first.lineno - 1:second.end_lineno] = b + a
    return "".join(lines)


def _reverse_functions(text: str) -> str:
    tree = _parses(text)
    if tree is None:
        return text
    starts = [n.lineno - 1 for n in tree.body if isinstance(n, ast.FunctionDef)]
    if len(starts) < 2:
        return text
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    chunks = [lines[s:e] for s, e in zip(starts, starts[1:] + [len(lines)])]
    chunks = [chunk + (["\n", "\n"] if chunk[-1].strip() else []) for chunk in chunks]
    return "".join(lines[:starts[0]] + [line for chunk in reversed(chunks) for line in chunk]).rstrip("\n") + "\n"


def reorder(text: str, rng: random.Random) -> str:
    """Independent neighbouring assignments swapped, the cell's functions in reverse order."""
    return _reverse_functions(_swap_statements(text))


def recomment(text: str, rng: random.Random) -> str:
    """Comments removed, docstrings replaced by a line of the copier's own, a comment added per function."""
    tree = _parses(text)
    if tree is None:
        return text
    lines = text.splitlines(keepends=True)
    for function in sorted((n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)), key=lambda n: -n.lineno):
        first = function.body[0]
        indent = " " * first.col_offset
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            lines[first.lineno - 1:first.end_lineno] = [f'{indent}"""{function.name.replace("_", " ").strip()}, my version."""\n',
                                                        f"{indent}# {rng.choice(('compute it', 'here we go', 'main part'))}\n"]
    text = "".join(lines)
    return re.sub(r"[ \t]*#(?! (compute it|here we go|main part)$)[^\n]*", "", text, flags=re.MULTILINE)


class _Inline(ast.NodeTransformer):
    def __init__(self, values: dict[str, ast.expr]) -> None:
        self.values = values

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return self.values.get(node.id, node) if isinstance(node.ctx, ast.Load) else node


def _appended(name: str, loop: ast.For) -> ast.expr | None:
    """The element a loop appends to ``name`` (its helper variables inlined), or None if it does more."""
    *helpers, call = loop.body
    if not (isinstance(call, ast.Expr) and isinstance(call.value, ast.Call) and len(call.value.args) == 1
            and ast.unparse(call.value.func) == f"{name}.append" and not loop.orelse):
        return None
    values: dict[str, ast.expr] = {}
    for helper in helpers:
        if not (isinstance(helper, ast.Assign) and len(helper.targets) == 1 and isinstance(helper.targets[0], ast.Name)):
            return None
        values[helper.targets[0].id] = _Inline(values).visit(helper.value)
    return _Inline(values).visit(call.value.args[0])


def _loop_to_comprehension(text: str) -> str:
    """``xs = []`` then ``for v in it: ... xs.append(e)`` becomes ``xs = [e for v in it]``."""
    tree = _parses(text)
    if tree is None:
        return text
    lines = text.splitlines(keepends=True)
    edits = []
    for block in (n for n in ast.walk(tree) if isinstance(getattr(n, "body", None), list)):
        for first, second in zip(block.body, block.body[1:]):
            if (isinstance(first, ast.Assign) and isinstance(first.value, ast.List) and not first.value.elts
                    and len(first.targets) == 1 and isinstance(first.targets[0], ast.Name) and isinstance(second, ast.For)):
                name = first.targets[0].id
                element = _appended(name, second)
                if element is not None:
                    new = (f"{' ' * first.col_offset}{name} = [{ast.unparse(element)} "
                           f"for {ast.unparse(second.target)} in {ast.unparse(second.iter)}]\n")
                    edits.append((first.lineno, second.end_lineno, new))
    for start, end, new in sorted(edits, reverse=True):
        lines[start - 1:end] = [new]
    return "".join(lines)


def _extra_variable(text: str) -> str:
    """The last ``return EXPR`` of each function becomes ``result = EXPR`` then ``return result``."""
    tree = _parses(text)
    if tree is None:
        return text
    lines = text.splitlines(keepends=True)
    for function in sorted((n for n in tree.body if isinstance(n, ast.FunctionDef)), key=lambda n: -n.lineno):
        last = function.body[-1]
        if isinstance(last, ast.Return) and last.value is not None and last.lineno == last.end_lineno:
            indent = " " * last.col_offset
            lines[last.lineno - 1:last.end_lineno] = [f"{indent}result = {ast.unparse(last.value)}\n", f"{indent}return result\n"]
    return "".join(lines)


def small_edits(text: str, rng: random.Random) -> str:
    """A loop turned into a comprehension where there is one, and an extra variable before each last return."""
    return _extra_variable(_loop_to_comprehension(text))


SYNONYMS = {
    "large": "big", "big": "large", "because": "since", "since": "because", "gives": "yields", "value": "number",
    "values": "numbers", "random": "arbitrary", "means": "signifies", "changes": "alters", "change": "alteration",
    "image": "picture", "copy": "version", "high": "large", "low": "small", "small": "tiny", "probability": "chance",
    "chance": "probability", "compute": "calculate", "computes": "calculates", "every": "each", "each": "every",
    "also": "too", "just": "simply", "only": "merely", "directly": "straight away", "vectors": "vector pairs",
    "classes": "categories", "class": "category", "patients": "people", "sick": "ill", "perfect": "ideal",
    "exactly": "precisely", "problem": "issue", "useful": "handy", "usually": "mostly", "measures": "quantifies",
}


def reword(text: str, rng: random.Random) -> str:
    """A written answer reworded lightly: some words replaced by synonyms, the last sentence moved first."""
    words = re.split(r"(\W+)", text)
    changed = [SYNONYMS.get(w.lower(), w) if rng.random() < 0.7 else w for w in words]
    sentences = re.split(r"(?<=[.!?])\s+", "".join(changed).strip())
    if len(sentences) > 2:
        sentences = [sentences[-1], *sentences[:-1]]
    return " ".join(sentences)


CODE_DISGUISES = {"renamed": rename, "reformatted": reformat, "reordered": reorder, "comments": recomment,
                  "small-edits": small_edits}
