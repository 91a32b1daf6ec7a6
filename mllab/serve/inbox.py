"""The hand-ins in nbgrader's exchange, and taking one of them into ``submitted/``.

``nbgrader submit`` writes ``<exchange>/<course>/inbound/<student>+<assignment>+<timestamp>+<random>/``
(the notebook, nbgrader's ``timestamp.txt`` and ``submission_secret.txt``). A hand-in is known by
(assignment, student, timestamp). Which hand-ins count for whom is :mod:`mllab.course.inbound`'s rule.

The service collects one exact hand-in, not "the student's latest" as ``nbgrader collect --update``
does: at the deadline it must take the last hand-in before it even when a late one exists. The copy
is made beside ``submitted/<student>/<assignment>/`` and renamed into place, so a crash never leaves
half a submission; links are copied as links (a student's link to the instructor's files is never
followed; the intake leaves it out of grading).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from mllab.course.inbound import InboundEntry, inbound_entries
from mllab.course.paths import Course


def complete_entries(inbound: Path, assignment: str) -> list[InboundEntry]:
    """The hand-ins of ``assignment`` that ``nbgrader submit`` has finished writing (it writes
    ``submission_secret.txt`` last), whether they count or not (see :func:`mllab.course.inbound.refusal`)."""
    return [e for e in inbound_entries(inbound, assignment) if (e.path / "submission_secret.txt").is_file()]


def key(entry: InboundEntry) -> tuple[str, str, str]:
    """What a hand-in is known by: (assignment, student, nbgrader's timestamp)."""
    return entry.assignment, entry.student, entry.timestamp


def collect(course: Course, hand_in: InboundEntry) -> Path:
    """Copy the hand-in to ``submitted/<student>/<assignment>/`` (replacing what is there), atomically."""
    final = course.submission_dir(hand_in.student, hand_in.assignment)
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_name(f".{final.name}.collecting")
    old = final.with_name(f".{final.name}.replaced")
    for leftover in (partial, old):
        shutil.rmtree(leftover, ignore_errors=True)
    shutil.copytree(hand_in.path, partial, symlinks=True)
    if final.exists():
        final.rename(old)
    partial.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    return final


def submitted_timestamp(course: Course, student: str, assignment: str) -> str | None:
    """nbgrader's timestamp of what ``submitted/`` holds for the student, or None."""
    stamp = course.submission_dir(student, assignment) / "timestamp.txt"
    try:
        return stamp.read_text(encoding="utf-8").strip()
    except OSError:
        return None


def moment(timestamp: str) -> dt.datetime:
    """nbgrader's timestamp string as an aware UTC time."""
    from nbgrader.utils import parse_utc

    return parse_utc(timestamp).replace(tzinfo=dt.timezone.utc)
