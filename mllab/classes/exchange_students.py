"""Demo students on the far side of nbgrader's exchange.

Each student fetches, works and submits with nbgrader's own student apps, from a home folder of
their own (as on a JupyterHub, where every student has a server and a home of their own), and
later fetches their feedback. Used by ``make demo`` and the tests of the round trip.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from mllab.classes.demo import DemoStudent, submission
from mllab.errors import PipelineError


@dataclass(frozen=True)
class ExchangeStudent:
    """One student's machine: a home folder, nbgrader's student apps, the course's exchange."""

    student_id: str
    home: Path
    exchange: Path
    course_id: str

    def nbgrader(self, app: str, assignment: str, *extra: str) -> str:
        """Run ``nbgrader APP ASSIGNMENT`` as this student; return its log."""
        self.home.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLLAB_")}
        env.update(HOME=str(self.home), PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]))
        done = subprocess.run([str(Path(sys.executable).parent / "nbgrader"), app, assignment, "--course",
                               self.course_id, f"--Exchange.root={self.exchange}", f"--Exchange.cache={self.cache}",
                               *extra], cwd=self.home, env=env, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise PipelineError(f"`nbgrader {app} {assignment}` as student {self.student_id} failed:\n"
                                f"{(done.stdout + done.stderr)[-3000:]}")
        return done.stdout + done.stderr

    @property
    def cache(self) -> Path:
        return self.home / ".nbgrader_cache"

    def notebook(self, assignment: str) -> Path:
        return self.home / assignment / f"{assignment}.ipynb"

    def fetch(self, assignment: str) -> Path:
        self.nbgrader("fetch_assignment", assignment)
        return self.notebook(assignment)

    def work(self, source_notebook: Path, assignment: str, student: DemoStudent) -> None:
        """Fill in the fetched notebook as the demo student does."""
        fetched = self.notebook(assignment)
        done = submission(nbformat.read(source_notebook, as_version=4), nbformat.read(fetched, as_version=4), student)
        nbformat.write(done, fetched)

    def submit(self, assignment: str) -> None:
        self.nbgrader("submit", assignment, f"--student={self.student_id}")

    def fetch_feedback(self, assignment: str) -> list[Path]:
        self.nbgrader("fetch_feedback", assignment, f"--student={self.student_id}")
        return sorted((self.home / assignment / "feedback").glob("*/*.html"))

    def submissions(self) -> list[str]:
        """The timestamps of this student's submissions, oldest first (from nbgrader's cache)."""
        return sorted(p.name.split("+")[2] for p in (self.cache / self.course_id).iterdir())
