"""The CSV files beside the class report: the same figures, for a spreadsheet.

``<assignment>.csv`` has one row per student (real ids: it is the TAs' working list);
``<assignment>-mistakes.csv``, ``-subchecks.csv`` and ``-items.csv`` hold the analytics tables,
and ``-heatmap.csv`` the students × test cells shares under the ids the page shows.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path

from mllab.report.class_report import ClassReport

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would read as a formula


class Plain(str):
    """A field written as it is: a number or a count made here, never text a student could choose."""


def number(value: float | None, digits: int | None = None) -> Plain:
    if value is None:
        return Plain("")
    return Plain(f"{value:.{digits}f}" if digits is not None else f"{value:g}")


def csv_text(value: str) -> str:
    """A text field as a spreadsheet shows it, never runs it: a leading ' before a formula start."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def write_rows(path: Path, header: list[str], rows: Iterable[list[object]]) -> Path:
    """Write a CSV; text fields (not :class:`Plain` ones) are made safe for spreadsheets."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([[v if isinstance(v, Plain) or not isinstance(v, str) else csv_text(v) for v in row]
                          for row in rows])
    return path


def write_csv(report: ClassReport, path: Path) -> Path:
    """One row per student: status, total, max, each graded cell's score, manual grades pending, and
    the test cells nbgrader restored or the judge overruled (see the report's section on them)."""
    tampering = {t.student: t for t in report.tampering}
    header = ["student", "status", "score", "max_score", *report.grade_ids, "manual_grades_pending",
              "restored_cells", "overruled_cells", "late_penalty", "lateness"]
    rows = []
    for row in report.students:
        found, late = tampering.get(row.student), report.late.get(row.student)
        rows.append([row.student, row.status, number(row.score), number(row.max_score),
                     *(number(row.cells.get(g)) for g in report.grade_ids),
                     Plain("" if row.score is None else len(row.pending)),
                     found.restored if found else "", found.overruled if found else "",
                     number(late.penalty if late else None), Plain(late.describe() if late else "")])
    return write_rows(path, header, rows)


def write_analytics(report: ClassReport, folder: Path, shown: Mapping[str, str]) -> list[Path]:
    """The mistakes, sub-check, item and heat map tables as CSV files next to the page."""
    name = report.assignment
    mistakes = write_rows(folder / f"{name}-mistakes.csv", ["mistake_id", "students", "test_cells", "explanation"],
                          [[m.mistake_id, Plain(m.count), " ".join(m.grade_ids), m.explanation] for m in report.mistakes])
    subchecks = write_rows(folder / f"{name}-subchecks.csv", ["test_cell", "sub_check", "passed", "students", "share_passing"],
                           [[s.grade_id, s.name, Plain(s.passed), Plain(s.students), number(s.share, 3)]
                            for s in report.subchecks])
    items = write_rows(folder / f"{name}-items.csv", ["cell", "points", "students", "difficulty", "discrimination_r",
                                                      "upper_minus_lower", "poor_discrimination"],
                       [[i.grade_id, number(i.points), Plain(i.students), number(i.difficulty, 3),
                         number(i.discrimination, 3), number(i.upper_lower, 3), "yes" if i.poor else "no"]
                        for i in report.items])
    heat = write_rows(folder / f"{name}-heatmap.csv", ["student", *(t.grade_id for t in report.heat_columns)],
                      [[student, *(number(share, 3) for share in shares)] for student, shares in report.heat_rows(shown)])
    return [mistakes, subchecks, items, heat]
