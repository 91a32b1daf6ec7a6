"""`mllab report ASSIGNMENT`: the class report collected, then written as reports/<assignment>.html
(the page) and reports/<assignment>.csv (one row per student)."""

from __future__ import annotations

from pathlib import Path

from mllab.course.paths import Course
from mllab.report.class_report import collect, write_csv
from mllab.report.page import render


def write_report(course: Course, assignment: str) -> tuple[Path, Path]:
    """Write reports/<assignment>.html and reports/<assignment>.csv; return both paths."""
    report = collect(course, assignment)
    folder = course.root / "reports"
    folder.mkdir(exist_ok=True)
    html_path = folder / f"{assignment}.html"
    html_path.write_text(render(report), encoding="utf-8")
    return html_path, write_csv(report, folder / f"{assignment}.csv")
