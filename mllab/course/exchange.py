"""nbgrader's exchange on the instructor's side: where it is, and the apps that use it.

Students fetch and submit through the exchange folder (``c.Exchange.root`` in nbgrader_config.py:
``$MLLAB_EXCHANGE``, or ``.mllab/exchange`` in the course). The instructor releases into it
(``nbgrader release_assignment``), collects from it (``nbgrader collect``) and returns feedback
through it (``nbgrader release_feedback``). Each function here runs nbgrader's own app.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from mllab.course import inbound
from mllab.course.nbgrader_steps import run_nbgrader
from mllab.course.paths import Course, course_config
from mllab.errors import UsageError

EXCHANGE_VARIABLE = "MLLAB_EXCHANGE"
# Everyone may write into the exchange, and only the owner of an entry may delete it (like /tmp):
# every nbgrader exchange app checks that the root is writable by its user.
EXCHANGE_MODE = stat.S_IRWXU | stat.S_IRWXG | stat.S_IRWXO | stat.S_ISVTX
# The course's folders in it, owned by the grading account. Students read the release (outbound/);
# they hand in (inbound/: write and search but no listing, sticky, so nobody can see, rename or delete
# another's entry; setgid as nbgrader makes it); they find their own feedback page by its secret
# name (feedback/: search only). Only the grading account reads inbound/ and the quarantine.
COURSE_MODES = {"": 0o755, "outbound": 0o755, "inbound": 0o3733, "feedback": 0o711}
QUARANTINE = "quarantine"


def exchange_root(course: Course) -> Path:
    """The exchange folder the course's nbgrader configuration names."""
    return Path(os.environ.get(EXCHANGE_VARIABLE) or course.root / ".mllab" / "exchange")


def exchange_course(course: Course) -> Path:
    """The course's own folder in the exchange: ``<root>/<course id>``."""
    return exchange_root(course) / course_config(course).CourseDirectory.course_id


def inbound_folder(course: Course) -> Path:
    """Where ``nbgrader submit`` puts the hand-ins (see mllab.course.inbound for which count)."""
    return exchange_course(course) / "inbound"


def ensure_exchange(course: Course) -> Path:
    """Create the exchange and the course's folders in it when missing, and set their modes
    (COURSE_MODES); return the exchange root. Each must belong to root, to the account running this or
    to the owner of the course folder: a folder a student made there first is refused."""
    root = exchange_root(course)
    owners = {0, os.geteuid(), Path(course.root).stat().st_uid}
    _ensure_folder(root, EXCHANGE_MODE, owners, f"mkdir -p {root} && chmod 1777 {root}")
    for name, mode in COURSE_MODES.items():
        folder = exchange_course(course) / name
        _ensure_folder(folder, mode, owners, f"chown -R $(id -un) {exchange_course(course)}")
    return root


def _ensure_folder(folder: Path, mode: int, owners: set[int], fix: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        info = folder.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid not in owners:
            raise UsageError(f"{folder} in the exchange is not a folder of the course's accounts (someone else made "
                             f"it, perhaps a student): as root, remove or move it, then run this again")
        if stat.S_IMODE(info.st_mode) != mode:
            if info.st_uid != os.geteuid() and os.geteuid() != 0:
                raise PermissionError(1, "it belongs to another user")
            folder.chmod(mode)
    except PermissionError as error:
        raise UsageError(f"cannot prepare the exchange folder {folder} with mode {mode:o} ({error.strerror}): as "
                         f"its owner or root, run `{fix}`, or point ${EXCHANGE_VARIABLE} elsewhere") from None


def release_to_students(course: Course, assignment: str) -> Path:
    """``nbgrader release_assignment``: the student version into the exchange, for students to fetch."""
    ensure_exchange(course)
    run_nbgrader(course, "release_assignment", assignment, "--force")
    return exchange_root(course)


def collect(course: Course, assignment: str, *, say: Callable[[str], None] = print) -> str:
    """``nbgrader collect --update``: every student's latest submission into submitted/ (a newer one
    replaces an older one collected before; nbgrader's timestamp.txt comes along). Hand-ins that do
    not count (mllab.course.inbound.refusal) are first moved into the exchange's quarantine folder,
    which only the grading account reads, and named."""
    ensure_exchange(course)
    folder = exchange_course(course) / QUARANTINE
    for line in inbound.quarantine(inbound_folder(course), folder, assignment):
        say(f"refused and moved to {folder}/: {line}")
    return run_nbgrader(course, "collect", assignment, "--update")


def release_feedback(course: Course, assignment: str) -> str:
    """``nbgrader release_feedback``: each student's feedback page into the exchange, where only the
    student who submitted that notebook can find it (its name is a hash of the submission)."""
    return run_nbgrader(course, "release_feedback", assignment)
