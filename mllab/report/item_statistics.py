"""Item statistics of graded cells, as in classical test theory.

For each graded cell (an *item*) over the students with a score:

- **difficulty**: the mean share of the cell's points the students earned (1.0: everybody got
  everything; despite the name, a higher value is an easier item);
- **discrimination (r)**: the Pearson correlation of the cell's score with the *rest* of each
  student's score (their total without this cell), so that an item is not correlated with itself;
- **upper − lower**: the students are ranked by that rest score (ties by student id); the mean share
  in the top third minus the mean share in the bottom third (``n // 3`` students each).

An item discriminates poorly when r or upper − lower is below :data:`POOR` (the usual rule of
thumb), or when it cannot separate anyone because every student earned the same share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

POOR = 0.2
EASY = 0.9  # a mean share above this (or below 1 - this) leaves little to separate


@dataclass(frozen=True)
class ItemStatistics:
    grade_id: str
    points: float
    students: int
    difficulty: float | None  # None without students
    discrimination: float | None  # None when either score has no variance
    upper_lower: float | None  # None with fewer than 3 students

    @property
    def poor(self) -> bool:
        """Flagged: it does not separate the students who understood from those who did not."""
        values = [v for v in (self.discrimination, self.upper_lower) if v is not None]
        return self.students >= 3 and (not values or min(values) < POOR)

    @property
    def why_poor(self) -> str:
        if not self.poor:
            return ""
        if self.discrimination is None:
            return "every student earned the same share: it separates no one"
        if self.difficulty is not None and self.difficulty >= EASY:
            return "almost everyone earns its points: it separates few students"
        if self.difficulty is not None and self.difficulty <= 1 - EASY:
            return "almost no one earns its points: it separates few students"
        return "students who did well elsewhere do not do much better here"


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """The correlation coefficient, or None when either side is constant (or fewer than 2 values)."""
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx, syy = sum((x - mx) ** 2 for x in xs), sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return sxy / math.sqrt(sxx * syy)


def _upper_minus_lower(shares: list[float], rest: list[float], students: list[str]) -> float | None:
    third = len(shares) // 3
    if third == 0:
        return None
    order = sorted(range(len(shares)), key=lambda i: (rest[i], students[i]))
    lower = [shares[i] for i in order[:third]]
    upper = [shares[i] for i in order[-third:]]
    return sum(upper) / third - sum(lower) / third


def item_statistics(items: Sequence[tuple[str, float]], scores: Mapping[str, Mapping[str, float]]) -> list[ItemStatistics]:
    """Statistics of each item ``(grade_id, points)`` over ``scores``: student -> grade_id -> points
    earned (a missing cell counts as 0). Items worth 0 points are left out."""
    students = sorted(scores)
    totals = {s: sum(scores[s].get(g, 0.0) or 0.0 for g, _ in items) for s in students}
    found = []
    for grade_id, points in items:
        if points <= 0:
            continue
        earned = [scores[s].get(grade_id, 0.0) or 0.0 for s in students]
        shares = [e / points for e in earned]
        rest = [totals[s] - e for s, e in zip(students, earned)]
        found.append(ItemStatistics(grade_id, points, len(students),
                                    sum(shares) / len(shares) if shares else None,
                                    pearson(earned, rest), _upper_minus_lower(shares, rest, students)))
    return found
