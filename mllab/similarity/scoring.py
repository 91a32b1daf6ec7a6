"""The score of a pair: how much of the smaller submission it shares with the other, and with few others.

Every fingerprint (a winnowed k-gram of one cell) gets a weight from the number ``df`` of students
(this class and the earlier folders) whose same cell has it: ``1 / (df - 1)``. A passage only two
students share weighs 1; one that ten students share weighs 1/9 for each pair of them, and code
every correct solution of a task needs weighs almost nothing. A pair's score is the sum of the
weights of the fingerprints the two share, divided by the number of fingerprints of the smaller
submission (at least half the median submission's, so that a nearly blank notebook cannot score
high by sharing a line or two). It lies between 0 and 1: 1 means every fingerprint of the smaller
submission is found in the other and in no third one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from mllab.similarity.fingerprints import CellPrint

MIN_MASS_SHARE = 0.5  # the denominator is at least this share of the median submission's fingerprints


@dataclass(frozen=True)
class Scores:
    """Every pair (i < j) of sources sharing at least one fingerprint, and what the weights were."""

    first: np.ndarray  # source index i
    second: np.ndarray  # source index j
    score: np.ndarray  # 0..1
    weights: dict[tuple[str, int], float]  # (grade_id, hash) -> weight, for fingerprints shared by two or more
    counts: np.ndarray  # fingerprints per source

    def ranked(self) -> np.ndarray:
        """Pair positions, highest score first (ties: by the pair's indices)."""
        return np.lexsort((self.second, self.first, -self.score))


def _matrix(prints: list[dict[str, CellPrint]]) -> tuple[sparse.csr_matrix, list[tuple[str, int]]]:
    """Sources × fingerprints, 1 where a source's cell has the fingerprint."""
    columns: dict[tuple[str, int], int] = {}
    rows, cols = [], []
    for row, cells in enumerate(prints):
        for gid, cell in cells.items():
            for value in cell.hashes:
                rows.append(row)
                cols.append(columns.setdefault((gid, value), len(columns)))
    matrix = sparse.csr_matrix((np.ones(len(rows), dtype=np.float64), (rows, cols)),
                               shape=(len(prints), len(columns)))
    return matrix, list(columns)


def score_pairs(prints: list[dict[str, CellPrint]], earlier: list[bool]) -> Scores:
    """Score every pair that shares a fingerprint; pairs of two earlier students are left out."""
    matrix, keys = _matrix(prints)
    df = np.asarray(matrix.sum(axis=0)).ravel()
    every = np.log(max(len(prints), 2))
    all_weights = (np.log(len(prints) / np.maximum(df, 1)) / every) ** 2 if len(prints) > 1 else np.zeros_like(df)
    shared = np.flatnonzero((df >= 2) & (all_weights > 0))
    weight = all_weights[shared]
    weighted = matrix[:, shared] @ sparse.diags(np.sqrt(weight))
    product = sparse.triu(weighted @ weighted.T, k=1).tocoo()
    counts = np.asarray(matrix @ all_weights).ravel()  # each source's own weight: its fingerprints' weights summed
    floor = MIN_MASS_SHARE * float(np.median(counts[counts > 0])) if np.any(counts > 0) else 1.0
    smaller = np.maximum(np.minimum(counts[product.row], counts[product.col]), max(floor, 1e-9))
    score = np.minimum(product.data / smaller, 1.0)
    earlier_flags = np.asarray(earlier, dtype=bool)
    keep = ~(earlier_flags[product.row] & earlier_flags[product.col])
    return Scores(product.row[keep], product.col[keep], score[keep],
                  {keys[c]: float(w) for c, w in zip(shared, weight)}, counts)
