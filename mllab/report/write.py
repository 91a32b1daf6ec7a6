"""`mllab report ASSIGNMENT`: the class report collected, then written as reports/<assignment>.html
(the page), reports/<assignment>.csv (one row per student) and the analytics CSV files beside them."""

from __future__ import annotations

from pathlib import Path

from mllab.course.paths import Course, check_assignment
from mllab.errors import UsageError
from mllab.report.class_report import collect
from mllab.report.csv_files import write_analytics, write_csv
from mllab.report.page import render
from mllab.report.pseudonyms import shown_ids


def reports_folder(course: Course) -> Path:
    folder = course.root / "reports"
    folder.mkdir(exist_ok=True)
    return folder


def write_report(course: Course, assignment: str, *, real_ids: bool = False) -> tuple[Path, ...]:
    """Write reports/<assignment>.html, <assignment>.csv and the analytics CSVs; return their paths
    (the page first). The analytics name students by pseudonym unless ``real_ids``."""
    report = collect(course, assignment)
    shown = shown_ids(course, [r.student for r in report.students], real_ids)
    folder = reports_folder(course)
    html_path = folder / f"{assignment}.html"
    similarity = f"{assignment}-similarity.html"
    html_path.write_text(render(report, shown, real_ids, similarity if (folder / similarity).is_file() else None),
                         encoding="utf-8")
    return (html_path, write_csv(report, folder / f"{assignment}.csv"), *write_analytics(report, folder, shown))


def write_course_report(course: Course, *, real_ids: bool = False) -> tuple[Path, ...]:
    """Write reports/course.html, course.csv and course-mistakes.csv; return their paths."""
    from mllab.report.course_page import render_course, write_course_csv
    from mllab.report.course_view import collect_course

    view = collect_course(course)
    shown = shown_ids(course, [r.student for r in view.rows], real_ids)
    folder = reports_folder(course)
    html_path = folder / "course.html"
    html_path.write_text(render_course(view, shown, real_ids), encoding="utf-8")
    return (html_path, *write_course_csv(view, folder, shown))


def report_from_cli(course: Course, assignment: str | None, *, whole_course: bool, real_ids: bool) -> tuple[Path, ...]:
    """`mllab report ASSIGNMENT` or `mllab report --course`, with or without ``--real-ids``."""
    if whole_course == (assignment is not None):
        raise UsageError("give either an assignment (`mllab report loss_and_metric`) or --course, not both")
    if whole_course:
        return write_course_report(course, real_ids=real_ids)
    return write_report(course, check_assignment(course, assignment), real_ids=real_ids)
