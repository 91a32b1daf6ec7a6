"""What the autograder gave each student of a graded class: cell scores, cell outputs, the seed."""

from __future__ import annotations

from dataclasses import dataclass

import nbformat

from mllab.autograde.seeds import check_seed, course_secret
from mllab.autograde.state import fingerprint
from mllab.course.paths import Course
from mllab.course.scores import assignment_scores


@dataclass(frozen=True)
class Graded:
    """One student's graded test cells."""

    cells: dict[str, tuple[float, float]]  # test cell -> (score, max score)
    outputs: dict[str, str]  # test cell -> all the text it showed
    salt: int | None = None  # the seed of the hidden checks' inputs (MLLAB_CHECK_SEED), when known

    def lost(self) -> set[str]:
        """The test cells below full marks."""
        return {cell for cell, (score, most) in self.cells.items() if score < most}


def graded_code_cells(notebook) -> list[str]:
    """The graded code cells of a notebook, in order."""
    return [c.metadata["nbgrader"]["grade_id"] for c in notebook.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]


def cell_text(cell) -> str:
    """All the text a cell showed: streams, results and error messages."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}")
        elif "data" in output:
            parts.append(output.data.get("text/plain", ""))
    return "\n".join(parts)


def salt(course: Course, assignment: str, student: str) -> int:
    """The seed `mllab autograde` gave this submission's hidden checks (it derives it the same way)."""
    return check_seed(course_secret(course), student, fingerprint(course.submission_dir(student, assignment)))


def collect(course: Course, assignment: str, students: list[str]) -> dict[str, Graded]:
    """The graded test cells of ``students`` (a student the autograder could not grade is left out)."""
    tests = graded_code_cells(nbformat.read(course.source_notebook(assignment), as_version=4))
    scores = {s.student: s for s in assignment_scores(course, assignment) if s.student in students}
    found = {}
    for student, score in scores.items():
        path = course.autograded / student / assignment / f"{assignment}.ipynb"
        if not path.is_file():
            continue
        notebook = nbformat.read(path, as_version=4)
        outputs = {c.metadata["nbgrader"]["grade_id"]: cell_text(c) for c in notebook.cells
                   if c.metadata.get("nbgrader", {}).get("grade_id") in tests}
        cells = {cell: (score.cell_scores[cell][0] or 0.0, score.cell_scores[cell][1])
                 for cell in tests if cell in score.cell_scores}
        found[student] = Graded(cells, outputs, salt(course, assignment, student))
    return found
