"""Secret, per-submission seeds for the hidden checks' inputs.

The checks' code is readable inside the sandbox (the test cells call it), so their fixed seeds
would let a student tabulate the answers. ``mllab autograde`` salts every seed with a number
derived from a course secret (``.mllab/secret``, which the sandbox never sees) and the
submission's fingerprint: a regrade of the same submission sees the same inputs, a new
submission sees new ones.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from mllab.course.paths import Course


def secret_file(course: Course) -> Path:
    return course.root / ".mllab" / "secret"


def course_secret(course: Course) -> bytes:
    """The course's grading secret, created (readable by its owner only) on first use."""
    path = secret_file(course)
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it just now
            return path.read_text().strip().encode()
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def check_seed(secret: bytes, student: str, fingerprint: str) -> int:
    """The salt for one submission's hidden-check inputs."""
    digest = hmac.new(secret, f"{student}\0{fingerprint}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") % 2**31
