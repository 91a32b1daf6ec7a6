"""When each assignment is due, and the extensions some students were granted.

The deadlines live in ``course.toml``, as ``due`` in each assignment's table (one place; ``mllab
release`` and ``mllab autograde`` copy them into the gradebook's ``duedate``, where nbgrader's
late-penalty step reads them)::

    [assignments.loss_and_metric]
    due = 2026-12-14T23:59:00+01:00

Extensions live in ``extensions.csv`` beside it, one row per student and assignment, written by
the instructor: ``student_id,assignment,extra_days,new_deadline,reason`` with exactly one of
``extra_days`` (a number, e.g. 3 or 0.5) or ``new_deadline`` (a date and time with its UTC offset).
They go into the gradebook through nbgrader's own extension field (what ``grant_extension`` sets).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from mllab.course.assignments import declared, with_offset
from mllab.errors import UsageError

EXTENSIONS_FILE = "extensions.csv"
EXTENSION_COLUMNS = ("student_id", "assignment", "extra_days", "new_deadline", "reason")


def _aware(value, where: str) -> dt.datetime:
    """A date and time with its UTC offset (a TOML datetime or an ISO 8601 string), in UTC."""
    return with_offset(value, where).astimezone(dt.timezone.utc)


def deadlines(root: Path, *, as_written: bool = False) -> dict[str, dt.datetime]:
    """Each declared assignment's deadline (``due`` in its table of course.toml): in UTC, or with
    the offset the instructor wrote (``as_written``, for the students' notebook header)."""
    due = {name: a.due for name, a in declared(root).items() if a.due is not None}
    return due if as_written else {name: moment.astimezone(dt.timezone.utc) for name, moment in due.items()}


def header_line(root: Path, assignment: str) -> str | None:
    """The release notebook's line about the deadline and the late rule (None: no deadline)."""
    from mllab.course.feedback_policy import load_policy
    from mllab.course.late_penalty import late_rule

    due = deadlines(root, as_written=True).get(assignment)
    if due is None:
        return None
    offset = due.strftime("%z")
    return (f"**Due:** {due:%A %d %B %Y, %H:%M} (UTC{offset[:3]}:{offset[3:]}). Submit with the Assignments tab "
            f"(or `nbgrader submit`); your last submission counts. Late work: {late_rule(root)}. If you need an "
            f"extension, ask before the deadline. {load_policy(root).describe()}")


def gradebook_duedate(moment: dt.datetime | None) -> dt.datetime | None:
    """nbgrader stores times as naive UTC."""
    return None if moment is None else moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class Extension:
    student: str
    assignment: str
    extra: dt.timedelta
    reason: str


def _extension(row: dict, where: str, due: dt.datetime | None) -> Extension:
    days, until = (row.get("extra_days") or "").strip(), (row.get("new_deadline") or "").strip()
    if bool(days) == bool(until):
        raise UsageError(f"{where}: give either extra_days or new_deadline (exactly one)")
    if days:
        try:
            extra = dt.timedelta(days=float(days))
        except ValueError:
            raise UsageError(f"{where}: extra_days {days!r} is not a number of days (e.g. 3 or 0.5)") from None
    elif due is None:
        raise UsageError(f"{where}: new_deadline needs the assignment's deadline in course.toml "
                         f"(due in [assignments.{row['assignment'].strip()}])")
    else:
        extra = _aware(until, where) - due
    if extra < dt.timedelta(0):
        raise UsageError(f"{where}: an extension cannot move the deadline earlier")
    return Extension(row["student_id"].strip(), row["assignment"].strip(), extra, (row.get("reason") or "").strip())


def read_extensions(root: Path) -> dict[tuple[str, str], Extension]:
    """Every extension in extensions.csv by (student, assignment); none when the file is missing."""
    path = root / EXTENSIONS_FILE
    if not path.is_file():
        return {}
    known_assignments = tuple(declared(root))
    due = deadlines(root)
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ("student_id", "assignment") if c not in (reader.fieldnames or [])]
        if missing:
            raise UsageError(f"{path}: the first line must name the columns {','.join(EXTENSION_COLUMNS)} "
                             f"(missing: {', '.join(missing)})")
        found: dict[tuple[str, str], Extension] = {}
        for line, row in enumerate(reader, start=2):
            where = f"{path}, line {line}"
            if (row.get("assignment") or "").strip() not in known_assignments:
                raise UsageError(f"{where}: unknown assignment {row.get('assignment')!r}; "
                                 f"the course has {', '.join(known_assignments)}")
            extension = _extension(row, where, due.get(row["assignment"].strip()))
            key = (extension.student, extension.assignment)
            if key in found:
                raise UsageError(f"{where}: a second extension for {key[0]} on {key[1]}; keep one row "
                                 "(extensions replace each other, they do not add up)")
            found[key] = extension
    return found


def check_students(extensions: dict[tuple[str, str], Extension], assignment: str, known: set[str],
                   root: Path) -> None:
    """An extension for a student the course does not know is a typo: say so, before grading."""
    unknown = sorted(s for s, a in extensions if a == assignment and s not in known)
    if unknown:
        raise UsageError(f"{root / EXTENSIONS_FILE} grants {assignment} extensions to unknown student(s) "
                         f"{', '.join(unknown)}: fix the student_id (it must match the gradebook's or the "
                         "submission folder's id), or add the student with `nbgrader db student add ID`")
