"""The class report's analytics sections: named mistakes, sub-checks, item statistics, heat map.

Students appear under the ids ``shown`` maps them to: pseudonyms by default, real ids behind
``mllab report --real-ids`` (see :mod:`mllab.report.pseudonyms`).
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from mllab.report.charts import heat_map, mistakes_bar_chart
from mllab.report.class_report import ClassReport
from mllab.report.item_statistics import POOR
from mllab.report.markup import Html, code, image, points, table

CHART_MISTAKES = 25  # the chart shows the most frequent ones; the table and the CSV list all
SHOWN_STUDENTS = 12  # students named per mistake in the table


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{100 * share:.0f}%"


def _fixed(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _missing_findings(report: ClassReport) -> str:
    if not report.without_findings:
        return ""
    return (f"<p class='hint'>{len(report.without_findings)} graded submission(s) were graded before the judge "
            f"recorded named mistakes and are not counted here; <code>mllab autograde {escape(report.assignment)} "
            "--force</code> regrades them.</p>")


def mistakes_section(report: ClassReport, shown: Mapping[str, str]) -> str:
    mistakes, students = report.mistakes, len(report.scored_findings)
    lead = (f"<p class='lead'>The typical mistakes the hidden checks recognise by name, over the {students} "
            "students with a score, from the independent re-check of each test cell. A student counts once per "
            "mistake. Full list: <code>" + escape(report.assignment) + "-mistakes.csv</code>.</p>")
    if not mistakes:
        return lead + _missing_findings(report) + "<p class='muted' id='mistake-table'>No named mistake was made.</p>"
    top = mistakes[:CHART_MISTAKES]
    alt = ("Bar chart of how many students made each named mistake: "
           + "; ".join(f"{m.mistake_id} {m.count}" for m in top) + ".")
    chart = image("mistake-chart", mistakes_bar_chart([m.mistake_id for m in top], [m.count for m in top], students),
                  alt)
    rows = [[code(m.mistake_id), Html(" ".join(code(g) for g in m.grade_ids)), m.count, m.explanation,
             _who(m.students, shown)] for m in mistakes]
    return lead + _missing_findings(report) + chart + table(
        "mistake-table", ["mistake", "test cells", "students", "what the checks tell the student", "who"], rows,
        frozenset({2}), caption="Named mistakes, the most frequent first")


def _who(students: tuple[str, ...], shown: Mapping[str, str]) -> str:
    names = sorted(shown.get(s, s) for s in students)
    more = f" and {len(names) - SHOWN_STUDENTS} more" if len(names) > SHOWN_STUDENTS else ""
    return ", ".join(names[:SHOWN_STUDENTS]) + more


def subchecks_section(report: ClassReport) -> str:
    rows = [[code(s.grade_id), s.name, s.passed, s.students, _percent(s.share)] for s in report.subchecks]
    lead = ("<p class='lead'>Each test cell's hidden check is made of sub-checks (the ✗ lines of the feedback). "
            "The share of students passing each one shows which part of a task the class missed.</p>")
    return lead + table("subcheck-table", ["test cell", "sub-check", "passed", "students", "share passing"], rows,
                        frozenset({2, 3, 4}), "No sub-check was recorded.", caption="Share of students passing each sub-check")


def items_section(report: ClassReport) -> str:
    rows = [[code(i.grade_id), points(i.points), _percent(i.difficulty), _fixed(i.discrimination), _fixed(i.upper_lower),
             Html(f'<span class="status">poor: {escape(i.why_poor)}</span>') if i.poor else "✓"] for i in report.items]
    lead = (f"<p class='lead'><b>Difficulty</b> is the mean share of the cell's points earned (higher is easier). "
            "<b>Discrimination r</b> is the correlation of the cell's score with the rest of the student's score; "
            "<b>upper − lower</b> is the mean share in the best third of the class (by that rest score) minus the "
            f"worst third. Cells below {POOR} on either are flagged: they do not separate the students who "
            "understood from those who did not. Written answers are included once every one is graded.</p>")
    return lead + table("item-table", ["cell", "points", "difficulty", "discrimination r", "upper − lower", ""], rows,
                        frozenset({1, 2, 3, 4}), "No student has a score yet.", caption="Item statistics per graded cell")


def heat_map_section(report: ClassReport, shown: Mapping[str, str], real_ids: bool) -> str:
    columns, rows = [t.grade_id for t in report.heat_columns], report.heat_rows(shown)
    if not rows or not columns:
        return "<p class='muted' id='heat-map'>No student has a score yet.</p>"
    ids = "real student ids" if real_ids else "pseudonyms (mllab report --real-ids shows the real ids)"
    alt = (f"Heat map of {len(rows)} students (rows, best total first, as {ids}) by {len(columns)} test cells "
           "(columns), from red (no points) to green (full points). The same shares are in "
           f"{report.assignment}-heatmap.csv.")
    lead = (f"<p class='lead'>Each row is a student, under {escape(ids)}; each column a test cell. A column red "
            "for most of the class is a task to revisit; a row red throughout is a student to contact.</p>")
    return lead + image("heat-map", heat_map([name for name, _ in rows], columns, [shares for _, shares in rows]), alt)


def sections(report: ClassReport, shown: Mapping[str, str], real_ids: bool) -> list[tuple[str, str, str]]:
    """(id, heading, content) of each analytics section, in page order."""
    return [("mistakes", "Named mistakes: what the class got wrong", mistakes_section(report, shown)),
            ("subchecks", "Sub-checks passed", subchecks_section(report)),
            ("items", "Item statistics", items_section(report)),
            ("heat", "Students × test cells", heat_map_section(report, shown, real_ids))]
