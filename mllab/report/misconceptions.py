"""What the class got wrong, from the judge's findings in each autograded notebook.

The judge (:mod:`mllab.autograde.judge`) writes ``nb.metadata["mllab"]["findings"]``: for each
test cell, the hidden check's sub-checks, whether each passed, and the named mistakes (stable ids,
see :mod:`mllab.grading.findings`) its failure matched. This module counts them over a class.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# student -> grade_id -> the judge's record of that test cell
ClassFindings = Mapping[str, Mapping[str, dict]]


def notebook_findings(metadata: Mapping) -> dict[str, dict] | None:
    """A notebook's findings by grade id, or None when it has none (graded before findings existed)."""
    found = metadata.get("mllab", {}).get("findings") if isinstance(metadata.get("mllab"), Mapping) else None
    if not isinstance(found, Mapping):
        return None
    return {str(g): record for g, record in found.items() if isinstance(record, Mapping)}


def _parts(record: Mapping) -> list[Mapping]:
    parts = record.get("parts")
    return [p for p in parts if isinstance(p, Mapping)] if isinstance(parts, list) else []


def _mistakes(part: Mapping) -> list[Mapping]:
    found = part.get("mistakes")
    return [m for m in found if isinstance(m, Mapping) and isinstance(m.get("id"), str)] if isinstance(found, list) else []


def cell_mistakes(record: Mapping) -> list[tuple[str, str]]:
    """``(id, explanation)`` of every named mistake a test cell's record holds, each once."""
    seen = {}
    for part in _parts(record):
        for found in _mistakes(part):
            seen.setdefault(found["id"], str(found.get("explanation", "")))
    return list(seen.items())


@dataclass(frozen=True)
class MistakeCount:
    """A named mistake, the test cells it showed up in, and the students who made it."""

    mistake_id: str
    explanation: str
    grade_ids: tuple[str, ...]
    students: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.students)


def mistake_counts(findings: ClassFindings, cell_order: Iterable[str] = ()) -> list[MistakeCount]:
    """Every named mistake with how many students made it, the most frequent first."""
    students, cells, texts = defaultdict(set), defaultdict(set), defaultdict(Counter)
    for student, records in findings.items():
        for grade_id, record in records.items():
            for mistake_id, explanation in cell_mistakes(record):
                students[mistake_id].add(student)
                cells[mistake_id].add(grade_id)
                texts[mistake_id][explanation] += 1
    order = {g: i for i, g in enumerate(cell_order)}
    counts = [MistakeCount(m, texts[m].most_common(1)[0][0], tuple(sorted(cells[m], key=lambda g: (order.get(g, 1e9), g))),
                           tuple(sorted(students[m]))) for m in students]
    return sorted(counts, key=lambda c: (-c.count, c.mistake_id))


@dataclass(frozen=True)
class SubcheckRate:
    """One sub-check of a test cell's hidden check: how many of the students it ran for passed it."""

    grade_id: str
    name: str
    passed: int
    students: int

    @property
    def share(self) -> float:
        return self.passed / self.students if self.students else 0.0


def subcheck_rates(findings: ClassFindings, cell_order: Iterable[str]) -> list[SubcheckRate]:
    """Per test cell (in ``cell_order``) and sub-check (in the check's order): the share passing."""
    tallies: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for records in findings.values():
        for grade_id, record in records.items():
            for part in _parts(record):
                tally = tallies[grade_id].setdefault(str(part.get("name", "")), [0, 0])
                tally[0] += part.get("passed") is True
                tally[1] += 1
    return [SubcheckRate(g, name, passed, n) for g in cell_order for name, (passed, n) in tallies.get(g, {}).items()]


def students_by_mistake(findings: ClassFindings) -> dict[str, set[str]]:
    """student -> the ids of the named mistakes they made."""
    return {student: {m for record in records.values() for m, _ in cell_mistakes(record)}
            for student, records in findings.items()}
