"""Which hand-ins in nbgrader's inbound folder count, and for whom: the one rule, for every grader.

``nbgrader submit`` writes ``inbound/<student>+<assignment>+<timestamp>+<random>/``, and the student id
in that name is whatever the submitter passed as ``--student``: the name alone proves nothing. On a
hub whose students are real Unix users, the owner of the entry does. A hand-in counts only when

* its name parses as nbgrader's (student, assignment, timestamp), and it is a real folder, not a link;
* its owner (uid) is the Unix user named by the student id, or the grading account itself (a course
  run by one Unix user: the demo, the tests, a single-user setup);
* everything in it belongs to that same owner and nothing in it is a symbolic link (inbound entries are
  writable by all, so a file owned by someone else was put there by someone else; a link could make
  the grader copy files the student cannot read, such as source/).

``inbound_entries`` lists the entries of an inbound folder, ``refusal`` says why one does not count
(None when it does), ``counted_entries`` and ``refused_entries`` split them. ``quarantine`` moves the
refused ones out of inbound/, so that ``nbgrader collect`` never takes them. Only the standard
library and nbgrader's timestamp parser; nothing here writes except ``quarantine``.
"""

from __future__ import annotations

import os
import pwd
import stat
from dataclasses import dataclass
from pathlib import Path

QUARANTINE_MODE = 0o700  # only the grading account may look at refused hand-ins


@dataclass(frozen=True)
class InboundEntry:
    """One folder in inbound/, as nbgrader names it: ``student+assignment+timestamp[+random]``."""

    path: Path
    student: str
    assignment: str
    timestamp: str  # nbgrader's own string, as in the name and in timestamp.txt
    owner: int  # uid of the folder (of the link, for a symbolic link)

    @property
    def owner_name(self) -> str:
        try:
            return pwd.getpwuid(self.owner).pw_name
        except KeyError:
            return f"uid {self.owner}"


def parse_entry(path: Path) -> InboundEntry | None:
    """The entry at ``path``, or None when its name is not nbgrader's (split as ``nbgrader collect`` does)."""
    parts = path.name.rsplit("+", 3)
    if len(parts) < 3 or not all(parts[:3]):
        return None
    try:
        owner = path.lstat().st_uid
    except FileNotFoundError:  # its maker took it back meanwhile
        return None
    return InboundEntry(path=path, student=parts[0], assignment=parts[1], timestamp=parts[2], owner=owner)


def inbound_entries(inbound: Path, assignment: str | None = None) -> list[InboundEntry]:
    """Every entry of ``inbound`` (of one assignment, when named) whose name parses, by name.
    Names that start with a dot are not hand-ins (nbgrader's glob skips them too)."""
    entries = []
    for path in sorted(inbound.iterdir()) if inbound.is_dir() else []:
        entry = None if path.name.startswith(".") else parse_entry(path)
        if entry is not None and (assignment is None or entry.assignment == assignment):
            entries.append(entry)
    return entries


def unparsable_entries(inbound: Path, assignment: str) -> list[Path]:
    """Entries ``nbgrader collect`` would glob for ``assignment`` but cannot parse (it stops on them)."""
    paths = sorted(inbound.glob(f"*+{assignment}+*")) if inbound.is_dir() else []
    return [path for path in paths if (parse_entry(path) is None or not _timestamp_parses(path))]


def refusal(entry: InboundEntry, *, grader_uid: int | None = None) -> str | None:
    """Why this hand-in does not count for ``entry.student``, or None when it does.
    ``grader_uid``: the grading account (default: this process's effective uid)."""
    grader = os.geteuid() if grader_uid is None else grader_uid
    try:
        mode = entry.path.lstat().st_mode
    except FileNotFoundError:
        return "it is gone (its maker took it back)"
    if not stat.S_ISDIR(mode):
        return "it is not a folder (a link or a file)"
    if entry.owner != grader and entry.owner != _uid_of(entry.student):
        return f"it was made by the Unix user {entry.owner_name}, not by {entry.student}"
    if not _timestamp_parses(entry.path):
        return f"its timestamp {entry.timestamp!r} is not nbgrader's"
    return _content_problem(entry)


def counted_entries(inbound: Path, assignment: str | None = None, *,
                    grader_uid: int | None = None) -> list[InboundEntry]:
    """The entries that count, by name (so by student, then timestamp for one student's)."""
    return [e for e in inbound_entries(inbound, assignment) if refusal(e, grader_uid=grader_uid) is None]


def refused_entries(inbound: Path, assignment: str | None = None, *,
                    grader_uid: int | None = None) -> list[tuple[InboundEntry, str]]:
    """The entries that do not count, each with the reason."""
    found = ((e, refusal(e, grader_uid=grader_uid)) for e in inbound_entries(inbound, assignment))
    return [(entry, reason) for entry, reason in found if reason is not None]


def quarantine(inbound: Path, folder: Path, assignment: str, *, grader_uid: int | None = None) -> list[str]:
    """Move every refused or unparsable entry of ``assignment`` from ``inbound`` into ``folder`` (made
    private to the grading account, on the exchange's file system); return one line per entry moved."""
    moved = [(e.path, f"{e.path.name}: {reason}") for e, reason in refused_entries(inbound, assignment,
                                                                                  grader_uid=grader_uid)]
    moved += [(path, f"{path.name}: its name or timestamp is not nbgrader's") for path in
              unparsable_entries(inbound, assignment) if path not in {p for p, _ in moved}]
    if moved:
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(QUARANTINE_MODE)
    for path, _ in moved:
        _move_aside(path, folder)
    return [line for _, line in moved]


def _move_aside(path: Path, folder: Path) -> None:
    """Into the quarantine folder; where the entry cannot move (a folder its maker closed), renamed
    in place to a dot name, which nbgrader's glob and ``inbound_entries`` skip."""
    target = folder / path.name
    while target.exists() or target.is_symlink():
        target = target.with_name(target.name + "_")
    try:
        path.rename(target)
    except FileNotFoundError:
        pass
    except OSError:
        path.rename(path.with_name(f".refused-{path.name}"))


def _uid_of(user: str) -> int | None:
    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        return None


def _timestamp_parses(path: Path) -> bool:
    from nbgrader.utils import parse_utc

    parts = path.name.rsplit("+", 3)
    try:
        parse_utc(parts[2])
    except (IndexError, ValueError, OverflowError, TypeError):
        return False
    return True


def _content_problem(entry: InboundEntry) -> str | None:
    """Why the entry's content cannot be its owner's hand-in: a link, a file of another user, or
    something the grading account cannot read (``nbgrader collect`` would stop on it)."""
    if not os.access(entry.path, os.R_OK | os.X_OK):
        return "the grading account cannot read it"
    for folder, dirs, files in os.walk(entry.path):
        for name in dirs + files:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                return f"it holds a symbolic link ({name})"
            if info.st_uid != entry.owner:
                return f"it holds {name}, which belongs to another user than the one who handed it in"
            if not os.access(path, os.R_OK | (os.X_OK if stat.S_ISDIR(info.st_mode) else 0)):
                return f"the grading account cannot read {name} in it"
    return None
