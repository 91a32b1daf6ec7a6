"""Every hand-in the service saw and what became of it, in ``.mllab/serve/ledger.db`` (SQLite).

Each change is one committed transaction, so a service killed at any moment and started again
knows which hand-ins are done and which still wait. The states of a hand-in:

- ``waiting``: seen, not graded yet (also after a crash while it was being graded);
- ``superseded``: a newer hand-in of the same student came before this one was graded;
- ``deferred``: kept, but past the feedback limit: graded when the limit allows or at the deadline;
- ``done``: graded and recorded, its feedback released (``feedback`` says which page);
- ``refused``: not the student's own hand-in (see :func:`mllab.serve.inbox.refusal`);
- ``error``: grading failed inside the grader on every try; no grade (never a 0).

``finals`` holds, per student and assignment, the hand-in whose final feedback was released at the
student's deadline.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS handins (
    assignment TEXT NOT NULL, student TEXT NOT NULL, timestamp TEXT NOT NULL, entry TEXT NOT NULL,
    seen REAL NOT NULL, state TEXT NOT NULL DEFAULT 'waiting', status TEXT, score REAL, feedback TEXT,
    finished REAL, attempts INTEGER NOT NULL DEFAULT 0, detail TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (assignment, student, timestamp));
CREATE TABLE IF NOT EXISTS finals (
    assignment TEXT NOT NULL, student TEXT NOT NULL, timestamp TEXT NOT NULL, released REAL NOT NULL,
    PRIMARY KEY (assignment, student));
"""
GRADED_FEEDBACK = ("tasks", "full")  # the pages that count against the feedback limit


@dataclass(frozen=True)
class Row:
    assignment: str
    student: str
    timestamp: str
    entry: str
    seen: float
    state: str
    status: str | None
    score: float | None
    feedback: str | None
    finished: float | None
    attempts: int
    detail: str

    @property
    def key(self) -> tuple[str, str, str]:
        return self.assignment, self.student, self.timestamp


class Ledger:
    """The service's one connection to its ledger."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def _rows(self, where: str, *args) -> list[Row]:
        cursor = self.db.execute(f"SELECT assignment, student, timestamp, entry, seen, state, status, score, "
                                 f"feedback, finished, attempts, detail FROM handins WHERE {where} "
                                 "ORDER BY timestamp", args)
        return [Row(*values) for values in cursor.fetchall()]

    def add(self, key: tuple[str, str, str], entry: str, *, state: str = "waiting", detail: str = "") -> bool:
        """Note a hand-in the first time it is seen; True if it is new."""
        cursor = self.db.execute("INSERT OR IGNORE INTO handins (assignment, student, timestamp, entry, seen, state, "
                                 "detail) VALUES (?, ?, ?, ?, ?, ?, ?)", (*key, entry, time.time(), state, detail))
        return cursor.rowcount == 1

    def known(self) -> set[tuple[str, str, str]]:
        return {tuple(r) for r in self.db.execute("SELECT assignment, student, timestamp FROM handins")}

    def open_rows(self) -> list[Row]:
        """The hand-ins still to be graded: waiting or deferred, oldest first."""
        return self._rows("state IN ('waiting', 'deferred')")

    def rows_of(self, assignment: str, student: str) -> list[Row]:
        return self._rows("assignment = ? AND student = ?", assignment, student)

    def all_rows(self) -> list[Row]:
        return self._rows("1 = 1")

    def set_state(self, key: tuple[str, str, str], state: str, **fields) -> None:
        """Change a hand-in's state (and any of status, score, feedback, finished, detail)."""
        columns = ", ".join(f"{name} = ?" for name in ("state", *fields))
        self.db.execute(f"UPDATE handins SET {columns} WHERE assignment = ? AND student = ? AND timestamp = ?",
                        (state, *fields.values(), *key))

    def count_attempt(self, key: tuple[str, str, str]) -> int:
        self.db.execute("UPDATE handins SET attempts = attempts + 1 WHERE assignment = ? AND student = ? "
                        "AND timestamp = ?", key)
        return self.db.execute("SELECT attempts FROM handins WHERE assignment = ? AND student = ? AND timestamp = ?",
                               key).fetchone()[0]

    def graded_feedback_times(self, assignment: str, student: str, since: float) -> list[float]:
        """When the student's graded feedbacks (tasks or full pages) were released since ``since``, oldest first."""
        marks = ",".join("?" * len(GRADED_FEEDBACK))
        cursor = self.db.execute(f"SELECT finished FROM handins WHERE assignment = ? AND student = ? AND state = 'done' "
                                 f"AND feedback IN ({marks}) AND finished >= ? ORDER BY finished",
                                 (assignment, student, *GRADED_FEEDBACK, since))
        return [row[0] for row in cursor.fetchall()]

    def final(self, assignment: str, student: str) -> str | None:
        """The timestamp of the hand-in whose final feedback was released, or None."""
        row = self.db.execute("SELECT timestamp FROM finals WHERE assignment = ? AND student = ?",
                              (assignment, student)).fetchone()
        return row[0] if row else None

    def set_final(self, assignment: str, student: str, timestamp: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO finals (assignment, student, timestamp, released) VALUES (?, ?, ?, ?)",
                        (assignment, student, timestamp, time.time()))
