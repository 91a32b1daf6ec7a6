"""Fingerprints of each cell: copydetect's k-gram hashing and robust winnowing over our tokens.

copydetect hashes the k-grams of a string and winnows them (Schleimer, Wilkerson and Aiken's
robust winnowing: of every ``window`` consecutive k-gram hashes the smallest is kept, so any shared
run of at least ``k + window - 1`` tokens leaves a shared fingerprint). Its own tokenizer turns every
name into ``V`` — ``torch.nn.MSELoss()(a, b)`` and ``a.abs().mean()`` look alike to it — so we feed
it our tokens (:mod:`mllab.similarity.tokens`), each spelled as one character.

A fingerprint is keyed by the cell it comes from (its ``grade_id``): code shared across two
different tasks does not count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from copydetect.utils import hashed_kgrams, winnow

from mllab.similarity.sources import Source
from mllab.similarity.tokens import Token, tokens_of

# k tokens per k-gram and the winnowing window, per kind of cell. Code: 12 tokens is about one line
# (``return ((x - y) ** 2).mean()`` is 13), so a one-line solution yields one or two k-grams; every
# shared run of 15 tokens or more is seen. Written answers: 3 words, every one kept.
K = {"code": 12, "markdown": 3}
WINDOW = {"code": 4, "markdown": 1}


class Alphabet:
    """One character per distinct token, so copydetect hashes token k-grams as character k-grams."""

    def __init__(self) -> None:
        self._chars: dict[str, str] = {}

    def spell(self, tokens: Iterable[Token]) -> str:
        return "".join(self._char(token.text) for token in tokens)

    def _char(self, text: str) -> str:
        char = self._chars.get(text)
        if char is None:
            code = 0x100 + len(self._chars)
            char = self._chars[text] = chr(code if code < 0xD800 else code + 0x800)  # no surrogates
        return char


@dataclass(frozen=True)
class CellPrint:
    kind: str
    tokens: tuple[Token, ...]
    spelled: str
    hashes: frozenset[int]  # the winnowed k-gram hashes


def all_kgram_hashes(spelled: str, k: int) -> np.ndarray:
    return hashed_kgrams(spelled, k) if len(spelled) >= k else np.array([], dtype=np.int64)


def cell_print(kind: str, text: str, skip_lines: frozenset[int], alphabet: Alphabet) -> CellPrint:
    tokens = tuple(tokens_of(kind, text, skip_lines))
    spelled = alphabet.spell(tokens)
    hashes = all_kgram_hashes(spelled, K[kind])
    selected = winnow(hashes, WINDOW[kind], remove_duplicates=True)[0] if len(hashes) else hashes
    return CellPrint(kind, tokens, spelled, frozenset(int(h) for h in selected))


def source_prints(source: Source, alphabet: Alphabet) -> dict[str, CellPrint]:
    """grade_id -> the fingerprints of each of the student's solution cells (cells with none left out)."""
    prints = {}
    for gid, cell in source.cells.items():
        printed = cell_print(cell.kind, cell.text, cell.template_lines, alphabet)
        if printed.tokens:
            prints[gid] = printed
    return prints
