"""The class roster: who the students are in the learning platform (Moodle, Canvas).

The roster is nbgrader's own student import format, one row per student::

    id,first_name,last_name,email,lms_user_id
    ada,Ada,Lovelace,ada@example.org,S1001

``id`` is the name the student submits under (their folder in ``submitted/``); ``lms_user_id`` is
their id in the platform (Moodle's *ID number*, Canvas's *SIS User ID*). nbgrader's
``nbgrader db student import`` takes such a file as it is: a second row with the same id silently
replaces the first, a row without an id breaks the import halfway, a misspelt column is ignored.
``read_roster`` refuses all of those before anything is written, naming each line, and
``import_roster`` then hands a clean copy to nbgrader. From the course folder::

    mllab import-roster roster.csv
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mllab.errors import UsageError
from mllab.course.paths import Course

COLUMNS = ("id", "first_name", "last_name", "email", "lms_user_id")
UNIQUE = ("lms_user_id", "email")  # two students with one of these would share one row in the platform
FORMAT = "id,first_name,last_name,email,lms_user_id (nbgrader's student import format)"


@dataclass(frozen=True)
class RosterEntry:
    """One student of the roster; empty fields are None (as nbgrader stores them)."""

    id: str
    first_name: str | None
    last_name: str | None
    email: str | None
    lms_user_id: str | None
    line: int  # the line of the roster file it came from


def _header_problems(name: str, header: list[str]) -> list[str]:
    problems = []
    if "id" not in header:
        problems.append(f"{name} line 1: no `id` column; the header must be {FORMAT}")
    for column in sorted({c for c in header if c not in COLUMNS}):
        problems.append(f"{name} line 1: unknown column {column!r} (nbgrader would silently ignore it); "
                        f"rename it to one of {', '.join(COLUMNS)}")
    for column in sorted({c for c in header if header.count(c) > 1}):
        problems.append(f"{name} line 1: column {column!r} appears twice; keep one")
    return problems


def _row_problems(name: str, entry: RosterEntry, seen: dict[tuple[str, str], int]) -> list[str]:
    problems = []
    if not entry.id:
        problems.append(f"{name} line {entry.line}: empty id; fill in the name the student submits under "
                        "(their folder in submitted/) or delete the row")
    for field in ("id", *UNIQUE):
        value = getattr(entry, field)
        if not value:
            continue
        first = seen.setdefault((field, value), entry.line)
        if first != entry.line:
            what = "student" if field == "id" else f"{field} (two students would share one row in the LMS)"
            problems.append(f"{name} line {entry.line}: {field} {value!r} again, first on line {first}: one row per "
                            f"{what}; merge or correct the rows")
    return problems


def read_roster(path: Path) -> list[RosterEntry]:
    """The roster's students; UsageError listing every bad line (empty or repeated id, repeated
    lms_user_id or email, unknown or missing columns)."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"no roster file at {path}: write one with the columns {FORMAT}")
    with open(path, newline="", encoding="utf-8-sig") as handle:  # -sig: a spreadsheet's byte-order mark
        reader = csv.reader(handle)
        header = [c.strip() for c in next(reader, [])]
        problems = _header_problems(path.name, header)
        if problems:
            raise UsageError("the roster was not imported:\n  " + "\n  ".join(problems))
        entries, seen = [], {}
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # a blank line
            if len(row) > len(header):
                problems.append(f"{path.name} line {reader.line_num}: {len(row)} fields for {len(header)} columns "
                                "(a comma inside a name? put the name in double quotes)")
                continue
            values = {column: cell.strip() or None for column, cell in zip(header, row)}
            entry = RosterEntry(id=values.get("id") or "", line=reader.line_num,
                                **{c: values.get(c) for c in COLUMNS[1:]})
            problems += _row_problems(path.name, entry, seen)
            entries.append(entry)
    if problems:
        raise UsageError("the roster was not imported, nothing was changed:\n  " + "\n  ".join(problems))
    return entries


def import_roster(course: Course, path: Path) -> list[RosterEntry]:
    """Check the roster, then ``nbgrader db student import`` a clean copy of it (UTF-8, trimmed).

    Students already in the gradebook keep their submissions; their names, email and LMS id
    become the roster's. Returns the roster's students."""
    from mllab.course.nbgrader_steps import run_nbgrader

    entries = read_roster(path)
    with tempfile.TemporaryDirectory(prefix="mllab-roster-") as folder:
        clean = Path(folder) / "roster.csv"
        with open(clean, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(COLUMNS)
            for entry in entries:
                writer.writerow([getattr(entry, c) or "" for c in COLUMNS])
        run_nbgrader(course, "db", "student", "import", str(clean))
    return entries
