"""Cells as token sequences that renaming, reformatting and comments do not change.

Code: Python's own tokenizer. Comments, docstrings, line breaks and indentation are dropped; every
name the cell binds itself (its variables, parameters, loop and comprehension variables, helper
functions, import aliases) becomes ``V``; names it does not bind (``torch``, ``np``, builtins) and
attribute names after a dot (``.mean``, ``.logsumexp``) are kept, because which library call a
student picks is what tells two correct solutions apart. String literals are kept by value, so
``'micro'`` and ``"micro"`` are the same token.

Written answers: lower-case words; punctuation and formatting do not count.

Each token keeps its character span in the cell, for highlighting the shared passages (and for
reading the names as written: :mod:`mllab.similarity.fingerprints` fingerprints those too).
"""

from __future__ import annotations

import ast
import bisect
import io
import keyword
import re
import tokenize
from dataclasses import dataclass

_DROPPED = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
            tokenize.ENDMARKER, tokenize.ENCODING}
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)
_CODE_FALLBACK = re.compile(r"[A-Za-z_]\w*|\d+(?:\.\d*)?|\*\*|==|!=|<=|>=|//|->|[^\s\w]")


@dataclass(frozen=True)
class Token:
    text: str  # the normalised token
    start: int  # character span in the cell's text
    end: int
    statement: int = 0  # which logical line of the cell (code) the token belongs to


def bound_names(tree: ast.AST) -> set[str]:
    """The names a piece of code binds itself."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.alias) and node.asname:
            names.add(node.asname)
    return names


def docstring_lines(tree: ast.AST) -> set[tuple[int, int]]:
    """(line, column) where each bare string statement (a docstring) starts."""
    return {(node.lineno, node.col_offset) for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)}


def _line_starts(text: str) -> list[int]:
    starts, total = [0], 0
    for line in text.splitlines(keepends=True):
        total += len(line)
        starts.append(total)
    return starts


def _string_value(text: str) -> str:
    try:
        return repr(ast.literal_eval(text))
    except (ValueError, SyntaxError):
        return "S"


def code_tokens(text: str, skip_lines: frozenset[int] = frozenset()) -> list[Token]:
    """The normalised tokens of a code cell (see the module's docstring), none from ``skip_lines``."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return _fallback_tokens(text, skip_lines)
    bound, docstrings, starts = bound_names(tree), docstring_lines(tree), _line_starts(text)
    tokens, previous, depth, statement = [], "", 0, 0
    try:
        every = list(tokenize.generate_tokens(io.StringIO(text).readline))
        statements, count = {}, 0
        for tok in every:  # the logical line of each kept token: NEWLINE ends one
            if tok.type == tokenize.NEWLINE:
                count += 1
            elif tok.type not in _DROPPED:
                statements[tok.start] = count
        raw = [t for t in every if t.type not in _DROPPED]
        for index, tok in enumerate(raw):
            statement = statements[tok.start]
            if tok.type == tokenize.OP:
                depth += (tok.string in "([{") - (tok.string in ")]}")
            if tok.start in docstrings or tok.start[0] in skip_lines:
                previous = tok.string
                continue
            start, end = starts[tok.start[0] - 1] + tok.start[1], starts[tok.end[0] - 1] + tok.end[1]
            following = raw[index + 1].string if index + 1 < len(raw) else ""
            keyword_argument = depth > 0 and following == "=" and previous in ("(", ",")
            if tok.type == tokenize.NAME and not keyword.iskeyword(tok.string):
                value = "V" if tok.string in bound and previous != "." and not keyword_argument else tok.string
            elif tok.type == tokenize.STRING:
                value = _string_value(tok.string)
            else:
                value = tok.string
            tokens.append(Token(value, start, end, statement))
            previous = tok.string
    except (tokenize.TokenError, IndentationError):
        return _fallback_tokens(text, skip_lines)
    return inline_returned_names(tokens, text)


def _statements(tokens: list[Token]) -> list[list[Token]]:
    grouped: list[list[Token]] = []
    for token in tokens:
        if grouped and grouped[-1][0].statement == token.statement:
            grouped[-1].append(token)
        else:
            grouped.append([token])
    return grouped


def inline_returned_names(tokens: list[Token], text: str) -> list[Token]:
    """``x = EXPR`` right before ``return x`` read as ``return EXPR``: an extra variable changes nothing."""
    statements, kept = _statements(tokens), []
    index = 0
    while index < len(statements):
        current = statements[index]
        following = statements[index + 1] if index + 1 < len(statements) else []
        if (len(current) > 2 and current[0].text == "V" and current[1].text == "=" and len(following) == 2
                and following[0].text == "return" and following[1].text == "V"
                and text[current[0].start:current[0].end] == text[following[1].start:following[1].end]):
            kept += [Token("return", current[0].start, current[1].end, current[0].statement), *current[2:]]
            index += 2
            continue
        kept += current
        index += 1
    return kept


def _fallback_tokens(text: str, skip_lines: frozenset[int]) -> list[Token]:
    """Code that does not parse: a rough split, comments dropped, names assigned in it as ``V``."""
    without_comments = re.sub(r"#[^\n]*", lambda m: " " * len(m.group()), text)
    assigned = set(re.findall(r"([A-Za-z_]\w*)\s*=(?!=)", without_comments))
    starts, tokens = _line_starts(text), []
    for match in _CODE_FALLBACK.finditer(without_comments):
        if _line_of(starts, match.start()) not in skip_lines:
            word = match.group()
            tokens.append(Token("V" if word in assigned else word, match.start(), match.end()))
    return tokens


def _line_of(starts: list[int], offset: int) -> int:
    """The line (from 1) that holds character ``offset``."""
    return bisect.bisect_right(starts, offset)


def text_tokens(text: str, skip_lines: frozenset[int] = frozenset()) -> list[Token]:
    """The words of a written answer, lower-case, none from ``skip_lines``."""
    starts = _line_starts(text)
    return [Token(m.group().lower(), m.start(), m.end()) for m in _WORD.finditer(text)
            if _line_of(starts, m.start()) not in skip_lines]


def tokens_of(kind: str, text: str, skip_lines: frozenset[int] = frozenset()) -> list[Token]:
    return code_tokens(text, skip_lines) if kind == "code" else text_tokens(text, skip_lines)
