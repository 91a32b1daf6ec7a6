"""From sources to ranked pairs: fingerprints, scores, and the shared passages of the pairs shown."""

from __future__ import annotations

from dataclasses import dataclass

from mllab.similarity.fingerprints import CellPrint, source_prints
from mllab.similarity.passages import CellMatch, pair_matches
from mllab.similarity.scoring import Scores, score_pairs
from mllab.similarity.sources import Source

FLOOR = 0.15  # pairs scoring below this are not reported (see docs/figures.md: where independent pairs lie)
MAX_DETAILED = 60  # pairs shown side by side on the page


@dataclass(frozen=True)
class Pair:
    a: Source
    b: Source
    score: float
    code: float  # the mean cell score over the code cells
    answers: float  # the same over the written answers
    matches: tuple[CellMatch, ...]  # cells with shared passages, the one adding most to the score first

    @property
    def cells(self) -> tuple[str, ...]:
        """The grade ids with the longest shared passages (at most three, longest first)."""
        ranked = sorted(self.matches, key=lambda m: (-m.longest, m.grade_id))
        return tuple(m.grade_id for m in ranked[:3])


@dataclass(frozen=True)
class Analysis:
    sources: list[Source]
    prints: list[dict[str, CellPrint]]
    scores: Scores

    def pair(self, position: int) -> Pair:
        i, j = int(self.scores.first[position]), int(self.scores.second[position])
        a, b = (i, j) if not self.sources[i].earlier else (j, i)  # a student of this class first
        matches = pair_matches(self.prints[a], self.prints[b], self.scores.weights)
        return Pair(self.sources[a], self.sources[b], float(self.scores.score[position]),
                    float(self.scores.code[position]), float(self.scores.answers[position]), tuple(matches))

    def reported(self, floor: float = FLOOR) -> list[Pair]:
        """The pairs at or above ``floor``, highest score first."""
        return [self.pair(p) for p in self.scores.ranked() if self.scores.score[p] >= floor]


def analyse(sources: list[Source]) -> Analysis:
    prints = [source_prints(source) for source in sources]
    return Analysis(sources, prints, score_pairs(prints, [s.earlier for s in sources]))
