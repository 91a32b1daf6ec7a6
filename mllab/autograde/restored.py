"""Tamper evidence: which locked cells nbgrader put back from the gradebook, and why.

nbgrader's OverwriteCells silently restores a locked cell a student edited and, with
``add_missing_cells``, one they deleted; a test cell moved elsewhere is graded where it now
stands. Two preprocessors around OverwriteCells (in ``nbgrader_config.py``) record it:
:class:`NoteSubmittedCells` keeps what the submission had, :class:`RecordRestoredCells` compares
with what OverwriteCells left and writes ``nb.metadata["mllab"]["restored_cells"]``, a list of
``{"grade_id": ..., "reasons": [...]}`` with reasons "edited", "deleted" and "moved".
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

SUBMITTED = "mllab_submitted_cells"
SOURCE_ORDER = "mllab_source_order"


_HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[ \t]*$", re.S | re.M)


def _visible(cell) -> tuple[str, str, object]:
    """What a student received of a cell: its type, its source without hidden tests, its points."""
    source = "\n".join(line.rstrip() for line in _HIDDEN.sub("", cell.source).splitlines() if line.strip())
    return cell.cell_type, source, cell.metadata.get("nbgrader", {}).get("points")


def _locked_cells(nb) -> dict[str, tuple[int, tuple]]:
    """grade_id → (position, visible content) of every locked or test cell."""
    cells = {}
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") and (meta.get("locked") or (meta.get("grade") and not meta.get("solution"))):
            cells[meta["grade_id"]] = (index, _visible(cell))
    return cells


def out_of_order(ranks: dict[str, int], order: list[str]) -> set[str]:
    """The fewest ids of ``order`` to move so that the others follow their ``ranks`` (source order)."""
    best: list[list[str]] = []  # best[i]: the longest in-order run that ends with order[i]
    for i, grade_id in enumerate(order):
        runs = [best[j] for j in range(i) if ranks[order[j]] < ranks[grade_id]]
        best.append(max(runs, key=len, default=[]) + [grade_id])
    return set(order) - set(max(best, key=len, default=[]))


def source_order(config, resources) -> list[str]:
    """The grade ids of the instructor's notebook, top to bottom (empty if it cannot be read)."""
    info = resources.get("nbgrader", {})
    root = Path(str(config.CourseDirectory.get("root", "."))).resolve()
    path = root / "source" / str(info.get("assignment", "")) / f"{info.get('notebook', '')}.ipynb"
    try:
        return list(_locked_cells(nbformat.read(path, as_version=4)))
    except (OSError, ValueError):
        return []


class NoteSubmittedCells(NbGraderPreprocessor):
    """Before OverwriteCells: remember the submission's locked and test cells."""

    def preprocess(self, nb, resources):
        resources[SUBMITTED] = _locked_cells(nb)
        resources[SOURCE_ORDER] = source_order(self.config, resources)
        return nb, resources


class RecordRestoredCells(NbGraderPreprocessor):
    """After OverwriteCells: record each locked or test cell it restored or added, and moved test cells."""

    def preprocess(self, nb, resources):
        before, after = resources.pop(SUBMITTED, {}), _locked_cells(nb)
        reasons: dict[str, list[str]] = {}
        for grade_id, (_, content) in after.items():
            if grade_id not in before:
                reasons.setdefault(grade_id, []).append("deleted")
            elif before[grade_id][1] != content:
                reasons.setdefault(grade_id, []).append("edited")
        ranks = {grade_id: rank for rank, grade_id in enumerate(resources.pop(SOURCE_ORDER, []))}
        present = [g for _, g in sorted((position, g) for g, (position, _) in before.items() if g in ranks)]
        for grade_id in out_of_order(ranks, present):
            reasons.setdefault(grade_id, []).append("moved")
        nb.metadata.setdefault("mllab", {})["restored_cells"] = [
            {"grade_id": grade_id, "reasons": why} for grade_id, why in sorted(reasons.items(), key=lambda r: after[r[0]][0])]
        return nb, resources
