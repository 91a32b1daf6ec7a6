"""The tables `check-tests` prints: one per task, a line per verdict; and the JSON the suite can read."""

from __future__ import annotations

import json
from dataclasses import asdict

from mllab.checktests.analysis import Row, by_task, failed_cells

WIDTH = 58  # the column of what is checked


def task_table(task: str, rows: list[Row]) -> list[str]:
    """``task`` and a line per row: ✓ or ✗, the kind, what, and what was seen (or what failed)."""
    passed = sum(row.ok for row in rows)
    lines = [f"task {task}: {passed}/{len(rows)} hold"]
    for row in rows:
        what = f"{row.kind}: {row.what}"
        what = what if len(what) <= WIDTH else what[:WIDTH - 1] + "…"
        lines.append(f"  {'✓' if row.ok else '✗'} {what:<{WIDTH}}  {row.detail}")
    return lines


def tables(assignment: str, rows: list[Row], notes: list[str] = ()) -> str:
    """Every task's table, then the verdict: what holds, or the cells to look at."""
    lines = [f"check-tests {assignment}", *notes]
    for task, task_rows in by_task(rows).items():
        lines += ["", *task_table(task, task_rows)]
    failing = [row for row in rows if not row.ok]
    lines.append("")
    if any(row.kind == "solution" for row in failing):
        lines.append(f"To rerun the hidden tests on the instructor's solution with a seed named above: MLLAB_CHECK_SEED="
                     f"<seed> jupyter nbconvert --to notebook --execute --stdout source/{assignment}/{assignment}.ipynb")
    if failing:
        cells = failed_cells(rows)
        lines.append(f"FAILED: {len(failing)} of {len(rows)} verdicts; look at "
                     f"{', '.join(cells) if cells else 'the rows marked ✗'}")
    else:
        lines.append(f"passed: all {len(rows)} verdicts hold")
    return "\n".join(lines)


def as_json(assignment: str, rows: list[Row]) -> str:
    """The verdicts as JSON: {"assignment", "passed", "failed_cells", "rows": [...]}."""
    return json.dumps({"assignment": assignment, "passed": all(row.ok for row in rows),
                       "failed_cells": failed_cells(rows), "rows": [asdict(row) for row in rows]},
                      indent=1, ensure_ascii=False)
