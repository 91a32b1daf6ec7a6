"""The passages two students share, cell by cell: what the page highlights and the CSV names.

Scoring uses the winnowed fingerprints; here every k-gram of the two cells is compared, so each
shared run of at least k tokens is highlighted whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mllab.similarity.fingerprints import K, CellPrint, all_kgram_hashes
from mllab.similarity.scoring import MIN_FINGERPRINTS, NAMED


@dataclass(frozen=True)
class CellMatch:
    grade_id: str
    kind: str
    spans_a: tuple[tuple[int, int], ...]  # character spans of the shared passages in a's cell
    spans_b: tuple[tuple[int, int], ...]
    longest: int  # tokens (code) or words (answers) of the longest shared passage
    score: float  # the cell score (see mllab.similarity.scoring): shared weight over the smaller cell's size


def _covered(hashes: np.ndarray, common: np.ndarray, k: int, length: int) -> np.ndarray:
    """Which of ``length`` tokens lie in a k-gram whose hash is in ``common``."""
    covered = np.zeros(length, dtype=bool)
    for start in np.flatnonzero(np.isin(hashes, common)):
        covered[start:start + k] = True
    return covered


def _runs(covered: np.ndarray) -> list[tuple[int, int]]:
    """[first, last] token indices of each run of covered tokens."""
    runs, start = [], None
    for index, flag in enumerate(covered):
        if flag and start is None:
            start = index
        elif not flag and start is not None:
            runs.append((start, index - 1))
            start = None
    if start is not None:
        runs.append((start, len(covered) - 1))
    return runs


def _spans(cell: CellPrint, runs: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Character spans of the runs, cut at line breaks: what lies between two lines of a run (a release
    line, a comment) is not marked as shared."""
    spans = []
    for first, last in runs:
        start = cell.tokens[first].start
        for index in range(first, last):
            if "\n" in cell.text[cell.tokens[index].end:cell.tokens[index + 1].start]:
                spans.append((start, cell.tokens[index].end))
                start = cell.tokens[index + 1].start
        spans.append((start, cell.tokens[last].end))
    return tuple(spans)


def _shared(gid: str, a: frozenset[int], b: frozenset[int], kind: str, weights: dict[tuple[str, int], float]) -> float:
    """The weight two cells' fingerprints share over the smaller cell's number of them (see scoring)."""
    weight = sum(weights.get((gid, h), 0.0) for h in a & b)
    return min(weight / max(min(len(a), len(b)), MIN_FINGERPRINTS[kind]), 1.0)


def cell_match(gid: str, a: CellPrint, b: CellPrint, weights: dict[tuple[str, int], float]) -> CellMatch | None:
    """The shared passages of one cell of two students; None when they share no k-gram there."""
    k = K[a.kind]
    hashes_a, hashes_b = all_kgram_hashes(a.codes, k), all_kgram_hashes(b.codes, k)
    common = np.intersect1d(hashes_a, hashes_b)
    if not len(common):
        return None
    runs_a = _runs(_covered(hashes_a, common, k, len(a.tokens)))
    runs_b = _runs(_covered(hashes_b, common, k, len(b.tokens)))
    score = max(_shared(gid, a.hashes, b.hashes, a.kind, weights),
                NAMED * _shared(gid, a.named, b.named, a.kind, weights) if a.kind == "code" else 0.0)
    longest = max(last - first + 1 for first, last in runs_a)
    return CellMatch(gid, a.kind, _spans(a, runs_a), _spans(b, runs_b), longest, score)


def pair_matches(a: dict[str, CellPrint], b: dict[str, CellPrint],
                 weights: dict[tuple[str, int], float]) -> list[CellMatch]:
    """Every cell where the two share a passage, the highest cell score first."""
    matches = [m for gid in a if gid in b and a[gid].kind == b[gid].kind
               for m in [cell_match(gid, a[gid], b[gid], weights)] if m is not None]
    return sorted(matches, key=lambda m: (-m.score, -m.longest, m.grade_id))
