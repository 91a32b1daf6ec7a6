"""What the similarity report reads: each student's solution cells, minus the release's own text.

A source is one student's notebook for one assignment: ``submitted/<student>/<a>/*.ipynb`` of the
course, or ``<folder>/<student>/<a>/*.ipynb`` of an earlier year's ``submitted/`` or
``autograded/`` folder given with ``--against``. Of each notebook only the cells that nbgrader
marks ``solution: true`` count: code cells as code, markdown cells as written answers. Locked
cells, test cells, outputs and everything else are never read. From each solution cell the lines
the release itself has in that cell (the function's signature, its docstring, ``# YOUR CODE
HERE``, ``raise NotImplementedError()``, ``YOUR ANSWER HERE``) are taken out, so the template
never counts as shared.

Cells are matched by nbgrader's ``grade_id``; in a notebook whose metadata was stripped (Colab) the
cells are lined up with the release's (difflib, on each cell's kind and first line): a solution cell
is the student's cell in its place between the cells both notebooks have alike.
"""

from __future__ import annotations

import difflib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from mllab.course.paths import Course
from mllab.errors import MllabError


class SimilarityError(MllabError):
    """The similarity report cannot be made (no release, no submissions, a folder that is not there)."""


@dataclass(frozen=True)
class Cell:
    grade_id: str
    kind: str  # "code" or "markdown"
    text: str  # the cell as the student handed it in
    template_lines: frozenset[int] = frozenset()  # its lines (from 1) that are the release's own text


@dataclass(frozen=True)
class Source:
    student: str
    origin: str  # "" for this course's submitted/, else the --against folder it came from
    cells: dict[str, Cell] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Unique over all sources: an earlier student is named with their folder."""
        return f"{self.origin}:{self.student}" if self.origin else self.student

    @property
    def earlier(self) -> bool:
        return bool(self.origin)


def _text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def solution_cells(notebook: dict) -> list[tuple[str, str, str]]:
    """(grade_id, kind, text) of each solution cell of a notebook read as JSON, in order."""
    found = []
    for cell in notebook.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and cell.get("cell_type") in ("code", "markdown"):
            found.append((str(meta.get("grade_id", "")), cell["cell_type"], _text(cell)))
    return found


def release_notebook(course: Course, assignment: str) -> dict:
    """The release notebook, read as JSON."""
    path = course.release_notebook(assignment)
    if not path.is_file():
        raise SimilarityError(f"no release notebook at {path}: run `mllab release {assignment}` first")
    return json.loads(path.read_text(encoding="utf-8"))


def template(release_nb: dict) -> dict[str, tuple[str, str]]:
    """grade_id -> (kind, text) of the release's solution cells: the template every student starts from."""
    return {gid: (kind, text) for gid, kind, text in solution_cells(release_nb)}


def release_cells(course: Course, assignment: str) -> dict[str, tuple[str, str]]:
    return template(release_notebook(course, assignment))


def template_lines(text: str, release_text: str) -> frozenset[int]:
    """The lines of ``text`` (from 1) that the release's cell has: each of its lines matches as often as it occurs."""
    left = Counter(line.strip() for line in release_text.splitlines() if line.strip())
    found = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if left[line.strip()] > 0:
            left[line.strip()] -= 1
            found.add(number)
    return frozenset(found)


def _notebook(folder: Path) -> dict | None:
    """The notebook a student handed in (the one named after the assignment first); None if unreadable."""
    candidates = sorted(folder.glob("*.ipynb"), key=lambda p: (p.stem != folder.name, p.name))
    for path in candidates:
        try:
            notebook = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(notebook, dict):
            return notebook
    return None


def _cells(notebook: dict, release_nb: dict, release: dict[str, tuple[str, str]]) -> dict[str, Cell]:
    found = solution_cells(notebook) or _lined_up(notebook, release_nb)  # no metadata (Colab): by position
    cells = {}
    for gid, kind, text in found:
        if gid in release and text.strip():
            cells[gid] = Cell(gid, kind, text, template_lines(text, release[gid][1]))
    return cells


def _signature(cell: dict) -> tuple[str, str]:
    return cell.get("cell_type", ""), next((line.strip() for line in _text(cell).splitlines() if line.strip()), "")


def _lined_up(notebook: dict, release_nb: dict) -> list[tuple[str, str, str]]:
    """The solution cells of a notebook without nbgrader metadata, lined up with the release's cells: where
    both have the same cell (the same kind and first line), or a run of as many cells of the same kinds."""
    ours, theirs = release_nb.get("cells", []), notebook.get("cells", [])
    matcher = difflib.SequenceMatcher(a=[_signature(c) for c in ours], b=[_signature(c) for c in theirs], autojunk=False)
    found = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            for mine, handed_in in zip(ours[i1:i2], theirs[j1:j2]):
                meta = mine.get("metadata", {}).get("nbgrader", {})
                if meta.get("solution") and handed_in.get("cell_type") == mine.get("cell_type"):
                    found.append((str(meta.get("grade_id", "")), mine["cell_type"], _text(handed_in)))
    return found


def read_folder(folder: Path, assignment: str, release_nb: dict, origin: str = "") -> list[Source]:
    """Every student of ``folder`` (a submitted/ or autograded/ folder) with a notebook for ``assignment``."""
    sources, release = [], template(release_nb)
    for student_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        notebook_dir = student_dir / assignment
        notebook = _notebook(notebook_dir) if notebook_dir.is_dir() else None
        if notebook is not None:
            sources.append(Source(student_dir.name, origin, _cells(notebook, release_nb, release)))
    return sources


def read_sources(course: Course, assignment: str, against: tuple[Path, ...] = ()) -> list[Source]:
    """This course's submissions of ``assignment``, then those of each ``--against`` folder."""
    release_nb = release_notebook(course, assignment)
    if not course.submitted.is_dir():
        raise SimilarityError(f"no submissions: {course.submitted} does not exist")
    sources = read_folder(course.submitted, assignment, release_nb)
    if not sources:
        raise SimilarityError(f"no submission of {assignment!r} in {course.submitted}")
    for folder in against:
        if not folder.is_dir():
            raise SimilarityError(f"--against {folder}: no such folder (give an earlier year's submitted/ or autograded/)")
        sources += read_folder(folder, assignment, release_nb, origin=_origin_name(folder))
    return sources


def _origin_name(folder: Path) -> str:
    """A short name for an earlier folder: its last two parts (e.g. ``2025/submitted``)."""
    parts = folder.resolve().parts
    return "/".join(parts[-2:])
