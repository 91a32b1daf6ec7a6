"""nbgrader's exchange on the instructor's side: where it is, and the apps that use it.

Students fetch and submit through the exchange folder (``c.Exchange.root`` in nbgrader_config.py:
``$MLLAB_EXCHANGE``, or ``.mllab/exchange`` in the course). The instructor releases into it
(``nbgrader release_assignment``), collects from it (``nbgrader collect``) and returns feedback
through it (``nbgrader release_feedback``). Each function here runs nbgrader's own app.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from mllab.course.nbgrader_steps import run_nbgrader
from mllab.course.paths import Course
from mllab.errors import UsageError

EXCHANGE_VARIABLE = "MLLAB_EXCHANGE"
# Everyone may write into the exchange, and only the owner of an entry may delete it (like /tmp):
# nbgrader's documentation asks for a folder writable by all students.
EXCHANGE_MODE = stat.S_IRWXU | stat.S_IRWXG | stat.S_IRWXO | stat.S_ISVTX


def exchange_root(course: Course) -> Path:
    """The exchange folder the course's nbgrader configuration names."""
    return Path(os.environ.get(EXCHANGE_VARIABLE) or course.root / ".mllab" / "exchange")


def ensure_exchange(course: Course) -> Path:
    """Create the exchange folder when it is missing, writable by every student."""
    root = exchange_root(course)
    try:
        root.mkdir(parents=True, exist_ok=True)
        if stat.S_IMODE(root.stat().st_mode) != EXCHANGE_MODE:
            root.chmod(EXCHANGE_MODE)
    except PermissionError as error:
        raise UsageError(f"cannot prepare the exchange folder {root} ({error.strerror}): create it as its owner "
                         f"with `mkdir -p {root} && chmod 1777 {root}`, or point ${EXCHANGE_VARIABLE} elsewhere") from None
    return root


def release_to_students(course: Course, assignment: str) -> Path:
    """``nbgrader release_assignment``: the student version into the exchange, for students to fetch."""
    ensure_exchange(course)
    run_nbgrader(course, "release_assignment", assignment, "--force")
    return exchange_root(course)


def collect(course: Course, assignment: str) -> str:
    """``nbgrader collect --update``: every student's latest submission into submitted/ (a newer one
    replaces an older one collected before; nbgrader's timestamp.txt comes along)."""
    ensure_exchange(course)
    return run_nbgrader(course, "collect", assignment, "--update")


def release_feedback(course: Course, assignment: str) -> str:
    """``nbgrader release_feedback``: each student's feedback page into the exchange, where only the
    student who submitted that notebook can find it (its name is a hash of the submission)."""
    return run_nbgrader(course, "release_feedback", assignment)
