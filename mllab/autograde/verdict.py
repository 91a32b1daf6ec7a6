"""The status of one autograded notebook, read from what its cells show after grading."""

from __future__ import annotations

import nbformat

from mllab.autograde.execute import KERNEL_DIED, NOT_RUN
from mllab.autograde.limit_output import MARK

MEMORY_SIGNS = ("can't allocate memory", "Unable to allocate", "out of memory", "not enough memory")
TRUNCATED = MARK.split(":")[0].strip()  # "... output truncated by the autograder"


def _where(cell, index: int) -> str:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    return f"cell {grade_id}" if grade_id else f"cell #{index + 1}"


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:160]


def _findings(nb) -> list[tuple[str, str]]:
    """(status, sentence) for each guard that fired in the notebook, in cell order."""
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error" and output.ename == KERNEL_DIED:
                status = "wall-limit" if "wall-clock limit" in output.evalue else "kernel-died"
                found.append((status, f"{_where(cell, index)}: {_first_line(output.evalue)}"))
            elif output.output_type == "error" and output.ename == "CellTimeoutError":
                found.append(("timeout", f"{_where(cell, index)} ran past the per-cell time limit"))
            elif output.output_type == "error" and (output.ename == "MemoryError" or
                                                    any(s in str(output.evalue) for s in MEMORY_SIGNS)):
                found.append(("memory", f"{_where(cell, index)}: ran out of memory ({output.ename})"))
            elif output.output_type == "stream" and TRUNCATED in output.text:
                found.append(("repaired", f"{_where(cell, index)}: output truncated"))
    return found


SEVERITY = ("tampered", "wall-limit", "kernel-died", "memory", "timeout", "repaired")


def _overruled(nb) -> list[tuple[str, str]]:
    """The judge's findings: test cells whose kernel score it did not trust (see mllab.autograde.judge)."""
    cells = nb.metadata.get("mllab", {}).get("overruled_cells", [])
    return [("tampered", f"the judge overruled the notebook's own result in {', '.join(cells)}")] if cells else []


def judge(autograded_path, intake) -> tuple[str, str]:
    """The outcome status and a one-line detail for a notebook nbgrader has just autograded."""
    nb = nbformat.read(autograded_path, as_version=4)
    findings = _overruled(nb) + _findings(nb)
    statuses = {status for status, _ in findings}
    if intake.notes:  # repaired by mllab, or something nbgrader restores (a deleted test cell)
        statuses.add("repaired")
    status = next((s for s in SEVERITY if s in statuses), "graded")
    not_run = sum(1 for c in nb.cells for o in c.get("outputs", []) if o.get("ename") == NOT_RUN)
    sentences = [*intake.notes, *dict.fromkeys(sentence for _, sentence in findings)]
    if not_run:
        sentences.append(f"{not_run} later code cells were not run (scored 0)")
    return status, "; ".join(sentences)
