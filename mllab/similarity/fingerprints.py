"""Fingerprints of each cell: k-gram hashes of our tokens, winnowed by copydetect.

copydetect's robust winnowing (Schleimer, Wilkerson and Aiken) keeps the smallest of every
``window`` consecutive k-gram hashes, so any shared run of at least ``k + window - 1`` tokens
leaves a shared fingerprint. Two parts of copydetect are not used: its tokenizer turns every name
into ``V`` (``torch.nn.MSELoss()(a, b)`` and ``a.abs().mean()`` then look alike; measured in
bench/bench_similarity.py), so the tokens are ours (:mod:`mllab.similarity.tokens`); and its k-gram
hashes use Python's ``hash()``, which is salted per process, so the same class would score
differently on each run. Our k-gram hashes are a polynomial over each token's BLAKE2b digest: the
same notebooks always give the same fingerprints and scores.

Code cells get a second set, the same k-grams and statements with the names the student bound
spelled as written (``named``): a copy that kept the names shares these too (see scoring).

A fingerprint is keyed by the cell it comes from (its ``grade_id``): code shared across two
different tasks does not count.
"""

from __future__ import annotations

from dataclasses import dataclass

import hashlib
from functools import lru_cache

import numpy as np
from copydetect.utils import winnow

from mllab.similarity.sources import Source
from mllab.similarity.tokens import Token, tokens_of

# k tokens per k-gram and the winnowing window, per kind of cell. Code: 12 tokens is about one line
# (``return ((x - y) ** 2).mean()`` is 13), so a one-line solution yields one or two k-grams; every
# shared run of 15 tokens or more is seen. Written answers: 3 words, every one kept.
K = {"code": 12, "markdown": 4}
WINDOW = {"code": 4, "markdown": 1}
MIN_STATEMENT = 6  # tokens: shorter statements (``return V``, ``V = []``) are no fingerprint of their own


BASE = np.uint64(0x100000001B3)  # the multiplier of the polynomial k-gram hash (FNV's 64-bit prime)


@lru_cache(maxsize=None)
def token_code(text: str) -> int:
    """A token's stable 63-bit code."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little") >> 1


@dataclass(frozen=True)
class CellPrint:
    kind: str
    text: str  # the cell's text, which the tokens' spans point into
    tokens: tuple[Token, ...]
    codes: np.ndarray  # token_code of each token (uint64)
    hashes: frozenset[int]  # the fingerprints: winnowed k-gram hashes (and statement hashes for code)
    named: frozenset[int] = frozenset()  # code: the same fingerprints of the tokens with the student's own names kept


def all_kgram_hashes(codes: np.ndarray, k: int) -> np.ndarray:
    """The hash of every k-gram of token codes (int64; arithmetic wraps around)."""
    if len(codes) < k:
        return np.array([], dtype=np.int64)
    count = len(codes) - k + 1
    hashes = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(k):
            hashes = hashes * BASE + codes[offset:offset + count]
    return hashes.view(np.int64)


def cell_print(kind: str, text: str, skip_lines: frozenset[int]) -> CellPrint:
    tokens = tuple(tokens_of(kind, text, skip_lines))
    codes = np.array([token_code(t.text) for t in tokens], dtype=np.uint64)
    hashes = all_kgram_hashes(codes, K[kind])
    if kind != "code":
        return CellPrint(kind, text, tokens, codes, frozenset(int(h) for h in hashes))
    named = np.array([token_code(text[t.start:t.end] if t.text == "V" else t.text) for t in tokens], dtype=np.uint64)
    return CellPrint(kind, text, tokens, codes, code_fingerprints(tokens, codes), code_fingerprints(tokens, named))


def code_fingerprints(tokens: tuple[Token, ...], codes: np.ndarray) -> frozenset[int]:
    """The winnowed k-grams and the statements of a code cell's token codes."""
    hashes = all_kgram_hashes(codes, K["code"])
    selected = winnow(hashes, WINDOW["code"], remove_duplicates=True)[0] if len(hashes) else hashes
    return frozenset(int(h) for h in selected) | statement_hashes(tokens, codes)


def statements(tokens: tuple[Token, ...]) -> list[tuple[int, int]]:
    """[first, last] token indices of each statement (logical line) of a code cell."""
    spans: list[tuple[int, int]] = []
    for index, token in enumerate(tokens):
        if spans and tokens[spans[-1][0]].statement == token.statement:
            spans[-1] = (spans[-1][0], index)
        else:
            spans.append((index, index))
    return spans


def statement_hashes(tokens: tuple[Token, ...], codes: np.ndarray) -> frozenset[int]:
    """One fingerprint per statement of at least MIN_STATEMENT tokens, wherever it stands: a reordered
    statement or one whose neighbours were edited keeps its fingerprint. (Code that does not parse is one statement.)"""
    return frozenset(int(all_kgram_hashes(codes[first:last + 1], last - first + 1)[0] ^ np.int64(0x5A5A5A5A))
                     for first, last in statements(tokens) if last - first + 1 >= MIN_STATEMENT)


def source_prints(source: Source) -> dict[str, CellPrint]:
    """grade_id -> the fingerprints of each of the student's solution cells (cells with none left out)."""
    prints = {}
    for gid, cell in source.cells.items():
        printed = cell_print(cell.kind, cell.text, cell.template_lines)
        if printed.tokens:
            prints[gid] = printed
    return prints
