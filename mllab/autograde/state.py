"""What the last `mllab autograde` run decided for each student, kept in .mllab/autograde/<assignment>.json.

The file lets a rerun skip unchanged submissions, and lets `mllab report` say which students'
grading failed and why.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from mllab.course.paths import Course

# Every status a student can have after a run. Only "graded" means nothing went wrong.
STATUSES = {
    "graded": "graded normally",
    "tampered": "the notebook's own run of a hidden check gave more points than the judge's re-check outside "
                "the kernel (patched libraries or grading helpers, a skipped or rewritten test cell): the judge's "
                "lower score counts",
    "repaired": "graded after a repair: of a copy of the file by mllab, or of test cells by nbgrader (see the detail)",
    "timeout": "a cell ran past the per-cell time limit and was interrupted",
    "memory": "the notebook ran out of its memory allowance",
    "kernel-died": "the Python kernel exited or crashed; later cells were not run",
    "wall-limit": "grading stopped at the per-submission wall-clock limit",
    "ungradable": "no notebook could be read from what the student handed in; scored 0",
    "error": "grading failed inside the grader (not the student's fault): no grade is given; run "
             "`mllab autograde` again to grade it",
}
NEEDS_ATTENTION = frozenset(STATUSES) - {"graded"}


@dataclass(frozen=True)
class Outcome:
    """What happened to one student's submission."""

    student: str
    status: str
    seconds: float = 0.0
    detail: str = ""
    fingerprint: str = ""
    score: float | None = None  # filled in from the gradebook after recording
    unchanged: bool = False  # True when this run skipped the student (same files as last time)
    timings: dict[str, float] = field(default_factory=dict)  # the worker's seconds per part (see worker.py)

    def with_score(self, score: float | None) -> Outcome:
        return replace(self, score=score)


def fingerprint(folder: Path) -> str:
    """A hash of every file in a submission folder (names and bytes)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def state_file(course: Course, assignment: str) -> Path:
    return course.root / ".mllab" / "autograde" / f"{assignment}.json"


def load_outcomes(course: Course, assignment: str) -> dict[str, Outcome]:
    """The last recorded outcome of every student (empty if the assignment was never autograded)."""
    path = state_file(course, assignment)
    if not path.is_file():
        return {}
    stored = json.loads(path.read_text(encoding="utf-8")).get("students", {})
    return {student: Outcome(student=student, **fields) for student, fields in stored.items()}


def save_outcomes(course: Course, assignment: str, outcomes: dict[str, Outcome]) -> None:
    """Write every student's outcome (atomically: a crash never leaves half a file)."""
    path = state_file(course, assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    stored = {s: {k: v for k, v in asdict(o).items() if k not in ("student", "unchanged")}
              for s, o in sorted(outcomes.items())}
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps({"version": 2, "students": stored}, indent=1), encoding="utf-8")
    partial.replace(path)
