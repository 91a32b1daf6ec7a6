"""The course view as one HTML page and two CSV files (reports/course.html, course.csv and
course-mistakes.csv). Students appear under the ids ``shown`` maps them to (pseudonyms by default)."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from pathlib import Path

from mllab.report.course_view import LOW, CourseRow, CourseView
from mllab.report.csv_files import Plain, number, write_rows
from mllab.report.markup import Html, code, table
from mllab.report.page import CSS


def _cell(row: CourseRow, assignment: str) -> str:
    result = row.results[assignment]
    if result is None:
        return "no submission"
    if result.score is None:
        return result.status
    return f"{result.score:g} / {result.max_score:g}"


def _students(view: CourseView, shown: Mapping[str, str]) -> str:
    rows = [[shown[r.student], *(_cell(r, a) for a in view.assignments),
             Html(f'<span class="status">{escape("; ".join(r.behind))}</span>') if r.behind else "",
             Html(" ".join(code(m) for m in r.recurring))] for r in view.rows]
    return table("course-table", ["student", *view.assignments, "falling behind", "mistakes made again"], rows,
                 empty="No students.", caption="Every student over every graded assignment")


def _behind(view: CourseView, shown: Mapping[str, str]) -> str:
    rows = [[shown[r.student], "; ".join(r.behind)] for r in view.behind]
    lead = (f"<p class='lead'>Students with no submission for an assignment, or a score below {LOW:.0%} of its "
            "points.</p>")
    return lead + table("behind-table", ["student", "why"], rows, empty="Nobody is falling behind.",
                        caption="Students falling behind")


def _recurring(view: CourseView, shown: Mapping[str, str]) -> str:
    rows = [[code(r.mistake_id), *(r.per_assignment.get(a, 0) for a in view.assignments), len(r.repeaters),
             ", ".join(sorted(shown[s] for s in r.repeaters)), r.explanation] for r in view.recurring]
    numeric = frozenset(range(1, len(view.assignments) + 2))
    lead = ("<p class='lead'>Named mistakes made in more than one assignment: how many students made each in "
            "each assignment, and who made it again.</p>")
    return lead + table("recurring-table", ["mistake", *view.assignments, "made again by", "who", "explanation"],
                        rows, numeric, "No named mistake came back.", caption="Mistakes that come back")


def render_course(view: CourseView, shown: Mapping[str, str], real_ids: bool) -> str:
    ids = "real student ids" if real_ids else "pseudonyms (<code>mllab report --course --real-ids</code> shows real ids)"
    pending = (f" Not graded yet: {escape(', '.join(view.not_graded))}." if view.not_graded else "")
    sections = [("behind", "Falling behind", _behind(view, shown)),
                ("recurring", "Mistakes that come back", _recurring(view, shown)),
                ("students", "All students", _students(view, shown))]
    body = "".join(f'<section id="{sid}"><h2>{heading}</h2>{content}</section>' for sid, heading, content in sections)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Course view</title>'
            f"<style>{CSS}</style></head>\n<body><h1>Course view</h1><p class='lead'>Assignments: "
            f"{escape(', '.join(view.assignments))}.{pending} Students appear as {ids}.</p>{body}</body></html>\n")


def write_course_csv(view: CourseView, folder: Path, shown: Mapping[str, str]) -> list[Path]:
    def score(row: CourseRow, assignment: str) -> Plain:
        result = row.results[assignment]
        return Plain("missing" if result is None else number(result.score))

    students = write_rows(folder / "course.csv", ["student", *view.assignments, "falling_behind", "mistakes_made_again"],
                          [[shown[r.student], *(score(r, a) for a in view.assignments), "; ".join(r.behind),
                            " ".join(r.recurring)] for r in view.rows])
    mistakes = write_rows(folder / "course-mistakes.csv",
                          ["mistake_id", *view.assignments, "made_again_by", "explanation"],
                          [[r.mistake_id, *(Plain(r.per_assignment.get(a, 0)) for a in view.assignments),
                            Plain(len(r.repeaters)), r.explanation] for r in view.recurring])
    return [students, mistakes]
