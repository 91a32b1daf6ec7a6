"""Named mistakes as data: which sub-checks a student failed, and which typical mistake each matched.

A check's typical mistakes are :class:`Mistake` objects: the explanation a student reads (a plain
``str``, so messages are unchanged) with a stable id such as ``mse.square_of_mean``. While the
judge re-runs a hidden check outside the student's kernel (:mod:`mllab.autograde.judge`), it
collects here, for each sub-check (:class:`mllab.grading.scoring.Part`), whether it passed and
which named mistakes its failure message explains. The judge writes that record into the
autograded notebook's metadata, where the class report reads it. In the student's kernel nothing
is collected: the record never comes from code a student could change.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


class Mistake(str):
    """The explanation of a typical mistake, carrying its stable ``id`` (``task.what_went_wrong``)."""

    id: str

    def __new__(cls, mistake_id: str, explanation: str) -> Mistake:
        if not ID_PATTERN.match(mistake_id):
            raise ValueError(f"a mistake id is lower_case words joined by dots, like 'mse.square_of_mean': {mistake_id!r}")
        text = super().__new__(cls, explanation)
        text.id = mistake_id
        return text

    def __reduce__(self):
        return Mistake, (self.id, str(self))


def mistake(mistake_id: str, explanation: str) -> Mistake:
    """A typical mistake's explanation with its stable id."""
    return Mistake(mistake_id, explanation)


@dataclass
class PartFinding:
    """One sub-check of a hidden check: passed or not, and the named mistakes its failure matched."""

    name: str
    passed: bool = False
    mistakes: list[Mistake] = field(default_factory=list)

    def as_record(self) -> dict:
        return {"name": self.name, "passed": self.passed,
                "mistakes": [{"id": m.id, "explanation": str(m)} for m in self.mistakes]}


_parts: list[PartFinding] | None = None  # the parts of the check being collected (None: not collecting)
_noted: list[Mistake] = []  # named mistakes matched since the current part started


@contextlib.contextmanager
def collecting() -> Iterator[list[PartFinding]]:
    """Collect the sub-checks of the checks run inside this block (the judge's re-run)."""
    global _parts
    previous, _parts = _parts, []
    try:
        yield _parts
    finally:
        _parts = previous


def note(found: str) -> None:
    """A check matched a typical mistake (a no-op for a plain string or when nothing is collected)."""
    if _parts is not None and isinstance(found, Mistake):
        _noted.append(found)


def fail(found: Mistake, prefix: str = "") -> AssertionError:
    """The AssertionError to raise for a named mistake a check detects itself (not by value)."""
    note(found)
    return AssertionError(f"{prefix}{found}")


@contextlib.contextmanager
def part(name: str) -> Iterator[None]:
    """Run one sub-check; record whether it passed and which noted mistakes its message names."""
    _noted.clear()
    try:
        yield
    except AssertionError as failure:
        _record(PartFinding(name, False, _named_in(str(failure))))
        raise
    else:
        _record(PartFinding(name, True))


def _named_in(message: str) -> list[Mistake]:
    """The noted mistakes the failure message explains, each once. A mistake matched while a check
    tried alternatives that it then accepted is not in the message, so it does not count."""
    named = {}
    for found in _noted:
        if found in message:
            named.setdefault(found.id, found)
    _noted.clear()
    return list(named.values())


def _record(finding: PartFinding) -> None:
    if _parts is not None:
        _parts.append(finding)
