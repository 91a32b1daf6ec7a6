"""Shared fixtures: a private copy of the course, and one real nbgrader run of the demo class."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from mllab.demo import run_demo
from mllab.demo_class import demo_class, write_submissions
from mllab import paths
from mllab.paths import Course
from mllab.scores import StudentScore, assignment_scores
from tests.corpus_loss_and_metric import corpus_students

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = "loss_and_metric"


def copy_course(destination: Path) -> Course:
    """A copy of the course's committed files (nothing generated) in ``destination``."""
    return paths.copy_course(REPO, destination)


@pytest.fixture(scope="session")
def repo() -> Course:
    return Course(REPO)


@dataclass
class DemoRun:
    """The outcome of `mllab demo` on a copy of the course, with the mutation corpus handed in too."""

    course: Course
    students: list[str]
    scores: dict[str, StudentScore]
    printed: list[str]

    def autograded(self, student: str):
        return nbformat.read(self.course.autograded / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> DemoRun:
    """`mllab demo` (release, demo class, parallel autograde, feedback, grades.csv), once per session."""
    course = copy_course(tmp_path_factory.mktemp("course"))
    corpus = tuple(student for student, _ in corpus_students().values())
    write_submissions(course, ASSIGNMENT, corpus)
    printed: list[str] = []
    run_demo(course, (ASSIGNMENT,), say=printed.append)
    students = [s.student_id for s in demo_class(ASSIGNMENT)] + [s.student_id for s in corpus]
    scores = {s.student: s for s in assignment_scores(course, ASSIGNMENT)}
    return DemoRun(course, students, scores, printed)


def cell_outputs_text(cell) -> str:
    """All text a cell showed: streams, results and error messages."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}")
        elif "data" in output:
            parts.append(output.data.get("text/plain", ""))
    return "\n".join(parts)


REPORT: list[str] = []  # lines the tests add to the summary at the end of the run


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.section("grading report")
        for line in REPORT:
            terminalreporter.write_line(line)
