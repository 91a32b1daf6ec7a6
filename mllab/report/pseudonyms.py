"""Pseudonymous student ids for the analytics a lecturer may show or share.

A pseudonym is derived from the course's grading secret (``.mllab/secret``, see
:mod:`mllab.autograde.seeds`) and the student id: the same student has the same pseudonym in every
report and assignment of the course, and nobody without the secret can tell who it is.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from mllab.autograde.seeds import course_secret
from mllab.course.paths import Course

DIGITS = 8  # 16^8 ids: two of 5,000 students share one with a chance of about 0.3 %, and then it grows


def pseudonym(secret: bytes, student: str, digits: int = DIGITS) -> str:
    return "S-" + hmac.new(secret, b"pseudonym\0" + student.encode(), hashlib.sha256).hexdigest()[:digits]


def pseudonyms(course: Course, students: Iterable[str]) -> dict[str, str]:
    """student id -> pseudonym, unique within ``students`` (longer where two would collide)."""
    secret, students = course_secret(course), sorted(set(students))
    digits = DIGITS
    while True:
        names = {s: pseudonym(secret, s, digits) for s in students}
        if len(set(names.values())) == len(names):
            return names
        digits += 2


def shown_ids(course: Course, students: Iterable[str], real_ids: bool) -> dict[str, str]:
    """What the analytics call each student: the real id behind ``--real-ids``, else the pseudonym."""
    students = list(students)
    return {s: s for s in students} if real_ids else pseudonyms(course, students)
