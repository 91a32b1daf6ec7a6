"""The score of a pair: in how many of their cells the two share passages that few others have.

Weights. Every fingerprint (a winnowed k-gram or a statement of one cell) gets a weight from the
number ``df`` of students (this class and the earlier folders, ``N`` in all) whose same cell has it:
``log(N / df) / log(N / 2)``, between 0 and 1. A passage only two students share weighs 1; one that a
tenth of a class of 300 shares weighs 0.46; code that most solutions of a task need weighs almost
nothing. In written answers, which share more by nature (the same lecture, the same terms), the
weight is raised to the power 1.5 (0.46 becomes 0.31; squared, reworded answer copies fell below the
most alike honest code, bench/bench_similarity.py).

Cell score. Per cell, the weight the two share there divided by the number of fingerprints of the
smaller of their two cells, and by at least MIN_FINGERPRINTS (about three lines of code, or 15
words): 1 when all of it is shared and found nowhere else; low when what they share is what many
write, or is short. A one-line solution shared whole counts at most a fifth of a cell.

Names kept. A code cell is scored twice: on its fingerprints with the student's own names read as
``V`` (a renamed copy keeps these) and on the same fingerprints with the names as written
(:attr:`CellPrint.named`); its score is the higher of the first and NAMED (0.8) times the second. Two
honest students who wrote the same common code under different names share only the first; a cell
copied as it is shares both, and its named fingerprints are rarer. (Partial copies, a third of the
cells copied whole, went from the top 5.8 % of pairs to the top 0.1 %; measured in docs/figures.md.)

Pair score. The mean cell score over the code cells both filled in, and the same over the written
answers (each at least half the median student's number of such cells); the pair's score is the
higher of the two. A copy shares passages in nearly every cell; two honest students share a few
cells by chance, so the mean keeps them apart even where a long cell happens to be alike.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from mllab.similarity.fingerprints import CellPrint

# A cell's denominator is at least this many fingerprints, about three lines of code (40 tokens) or a
# sentence of 15 words: a shorter solution, shared whole, is likely to be alike by nature.
MIN_FINGERPRINTS = {"code": 16, "markdown": 15}
KINDS = ("code", "markdown")
POWER = {"code": 1, "markdown": 1.5}  # written answers: weights to the power 1.5
NAMED = 0.8  # a code cell's score from the fingerprints with the student's own names counts this much
MIN_CLASS = 10
MIN_CELLS_SHARE = 0.5  # a pair's denominator is at least this share of the median number of filled-in cells


@dataclass(frozen=True)
class Scores:
    """Every pair (i < j) of sources sharing at least one fingerprint, and what the weights were."""

    first: np.ndarray  # source index i
    second: np.ndarray  # source index j
    score: np.ndarray  # 0..1: the higher of the two below
    code: np.ndarray  # the mean cell score over the code cells both filled in
    answers: np.ndarray  # the same over the written answers
    weights: dict[tuple[str, int], float]  # (grade_id, hash) -> weight, for fingerprints shared by two or more

    def ranked(self) -> np.ndarray:
        """Pair positions, highest score first (ties: by the pair's indices)."""
        return np.lexsort((self.second, self.first, -self.score))


def weight(df: np.ndarray, sources: int) -> np.ndarray:
    """The weight of a fingerprint that ``df`` of ``sources`` students have (0 for one everybody has). A class
    smaller than MIN_CLASS is weighed as if it had MIN_CLASS students: two of three alike is not "common"."""
    sources = max(sources, MIN_CLASS)
    return (np.log(sources / np.maximum(df, 2)) / np.log(sources / 2)).clip(0, 1)


def _cell_matrices(prints: list[dict[str, CellPrint]], named: bool = False
                   ) -> dict[str, tuple[sparse.csr_matrix, list[int]]]:
    """Per grade_id: sources × that cell's fingerprints (1 where the source's cell has it), and the hashes;
    with ``named``, the fingerprints with the student's own names (code cells only)."""
    entries: dict[str, tuple[list[int], list[int], dict[int, int]]] = defaultdict(lambda: ([], [], {}))
    for row, cells in enumerate(prints):
        for gid, cell in cells.items():
            if named and cell.kind != "code":
                continue
            rows, cols, columns = entries[gid]
            for value in (cell.named if named else cell.hashes):
                rows.append(row)
                cols.append(columns.setdefault(value, len(columns)))
    return {gid: (sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(prints), len(columns))),
                  list(columns))
            for gid, (rows, cols, columns) in entries.items()}


def _cell_scores(matrix: sparse.csr_matrix, sources: int, kind: str) -> tuple[sparse.coo_matrix, np.ndarray]:
    """The cell scores of every pair sharing a fingerprint in this cell (upper triangle), and the weights."""
    df = np.asarray(matrix.sum(axis=0)).ravel()
    weights = weight(df, sources) ** POWER[kind]
    weights[df < 2] = 0.0
    weighted = matrix @ sparse.diags(np.sqrt(weights))
    product = sparse.triu(weighted @ weighted.T, k=1).tocoo()
    counts = np.asarray(matrix.sum(axis=1)).ravel()
    smaller = np.maximum(np.minimum(counts[product.row], counts[product.col]), MIN_FINGERPRINTS[kind])
    return sparse.coo_matrix((np.minimum(product.data / smaller, 1.0), (product.row, product.col)),
                             shape=product.shape), weights


def score_pairs(prints: list[dict[str, CellPrint]], earlier: list[bool]) -> Scores:
    """Score every pair that shares a fingerprint; pairs of two earlier students are left out."""
    n = len(prints)
    totals = {kind: sparse.csr_matrix((n, n)) for kind in KINDS}
    weights: dict[tuple[str, int], float] = {}
    kinds = {gid: cell.kind for cells in prints for gid, cell in cells.items()}
    named = _cell_matrices(prints, named=True)
    for gid, (matrix, hashes) in _cell_matrices(prints).items():
        cell_scores, cell_weights = _cell_scores(matrix, n, kinds[gid])
        cell_scores = cell_scores.tocsr()
        weights.update({(gid, h): float(w) for h, w in zip(hashes, cell_weights) if w > 0})
        if gid in named:
            named_scores, named_weights = _cell_scores(named[gid][0], n, "code")
            cell_scores = cell_scores.maximum(NAMED * named_scores.tocsr())
            weights.update({(gid, h): float(w) for h, w in zip(named[gid][1], named_weights) if w > 0})
        totals[kinds[gid]] = totals[kinds[gid]] + cell_scores
    by_kind = {kind: _mean_over_cells(totals[kind], prints, kind) for kind in KINDS}
    pairs = (by_kind["code"] + by_kind["markdown"]).tocoo()  # every pair sharing something
    code = by_kind["code"].toarray()[pairs.row, pairs.col]
    text = by_kind["markdown"].toarray()[pairs.row, pairs.col]
    score = np.maximum(code, text)
    flags = np.asarray(earlier, dtype=bool)
    keep = ~(flags[pairs.row] & flags[pairs.col]) & (score > 0)
    return Scores(pairs.row[keep], pairs.col[keep], score[keep], code[keep], text[keep], weights)


def _mean_over_cells(total: sparse.csr_matrix, prints: list[dict[str, CellPrint]], kind: str) -> sparse.csr_matrix:
    """The cell scores of one kind of cell summed, divided by the number of such cells both filled in
    (at least MIN_CELLS_SHARE of the median student's number)."""
    both, filled = _cells_in_common(prints, kind)
    floor = max(MIN_CELLS_SHARE * float(np.median(filled[filled > 0])), 1.0) if np.any(filled > 0) else 1.0
    pairs = total.tocoo()
    mean = np.minimum(pairs.data / np.maximum(both[pairs.row, pairs.col], floor), 1.0)
    return sparse.csr_matrix((mean, (pairs.row, pairs.col)), shape=total.shape)


def _cells_in_common(prints: list[dict[str, CellPrint]], kind: str) -> tuple[np.ndarray, np.ndarray]:
    """sources × sources: how many cells of ``kind`` both filled in; and per source how many it filled in."""
    gids = sorted({gid for cells in prints for gid, cell in cells.items() if cell.kind == kind})
    index = {gid: i for i, gid in enumerate(gids)}
    filled = np.zeros((len(prints), len(gids)))
    for row, cells in enumerate(prints):
        for gid, cell in cells.items():
            if cell.kind == kind:
                filled[row, index[gid]] = 1.0
    return filled @ filled.T, filled.sum(axis=1)
