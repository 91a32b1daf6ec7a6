"""The class report as one self-contained HTML page (inline CSS, the plot as an embedded PNG).

Every text that comes from a student (error messages, details) is escaped.
"""

from __future__ import annotations

import base64
import io
import statistics
from html import escape

from mllab.class_report import ClassReport

CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { border: 1px solid #ddd; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #fafafa; } .muted { color: #666; } img { max-width: 100%; }
.bar { background: #4a8; height: 0.7rem; display: inline-block; } code { font-size: 0.85rem; }
"""


def _plot(report: ClassReport) -> str:
    """A histogram of the students' total scores, as a base64 PNG."""
    from matplotlib.figure import Figure  # no pyplot: no backend, no global state

    scores = [r.score or 0 for r in report.students]
    top = max((r.max_score for r in report.students), default=100) or 100
    figure = Figure(figsize=(8, 3.2), dpi=100)
    axes = figure.add_subplot()
    axes.hist(scores, bins=20, range=(0, top), color="#4a8", edgecolor="white")
    axes.set_xlabel(f"total score (of {top:g})")
    axes.set_ylabel("students")
    axes.set_title(f"Score distribution, {report.assignment}")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode()


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    if not rows:
        return '<p class="muted">None.</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _summary(report: ClassReport) -> str:
    scores = [r.score or 0 for r in report.students]
    if not scores:
        return '<p class="muted">No graded submissions yet.</p>'
    return (f"<p>{len(scores)} students; mean {statistics.mean(scores):.1f}, median {statistics.median(scores):.1f}, "
            f"lowest {min(scores):g}, highest {max(scores):g}.</p>")


def _pass_rates(report: ClassReport) -> str:
    rows = []
    for cell in report.tests:
        total = cell.full + cell.partial + cell.zero or 1
        share = 100 * cell.full / total
        rows.append([f"<code>{escape(cell.grade_id)}</code>", f"{cell.points:g}",
                     f'{share:.0f}% <span class="bar" style="width:{share * 0.8:.0f}px"></span>',
                     f"{100 * cell.partial / total:.0f}%", f"{100 * cell.zero / total:.0f}%"])
    return _table(["test cell", "points", "full marks", "partial", "zero"], rows, {1, 3, 4})


def _failures(report: ClassReport) -> str:
    rows = [[f"<code>{escape(cell)}</code>", escape(message), str(n)] for cell, message, n in report.failures]
    return _table(["test cell", "message", "students"], rows, {2})


def _attention(report: ClassReport) -> str:
    rows = [[escape(s), f"<b>{escape(status)}</b>", escape(meaning), escape(detail)]
            for s, status, meaning, detail in report.attention]
    return _table(["student", "status", "meaning", "detail"], rows)


def _backlog(report: ClassReport) -> str:
    total = sum(r.manual_pending for r in report.students)
    by_cell = _table(["cell", "students waiting"], [[f"<code>{escape(c)}</code>", str(n)]
                                                     for c, n in report.backlog_cells], {1})
    by_student = _table(["student", "grades waiting"], [[escape(r.student), str(r.manual_pending)]
                                                        for r in report.students if r.manual_pending], {1})
    return (f"<p>{total} grades still need a person. Grade them in JupyterLab's <i>Formgrader</i> "
            f"(<code>jupyter lab</code> in the course folder, then Nbgrader → Formgrader → Manual grading).</p>"
            f"<h3>By cell</h3>{by_cell}<h3>By student</h3>{by_student}")


def _students(report: ClassReport) -> str:
    rows = [[escape(r.student), escape(r.status), f"{r.score or 0:g}", f"{r.max_score:g}", str(r.manual_pending)]
            for r in report.students]
    return _table(["student", "status", "score", "of", "manual grades pending"], rows, {2, 3, 4})


def render(report: ClassReport) -> str:
    """The whole report page."""
    title = f"Class report: {escape(report.assignment)}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>{CSS}</style></head>
<body><h1>{title}</h1>
<section id="distribution"><h2>Score distribution</h2>{_summary(report)}
<img id="score-plot" alt="histogram of total scores" src="data:image/png;base64,{_plot(report)}"></section>
<section id="pass-rates"><h2>Pass rate per test cell</h2>{_pass_rates(report)}</section>
<section id="failures"><h2>Most frequent failure messages</h2>{_failures(report)}</section>
<section id="attention"><h2>Submissions whose grading failed or needed attention</h2>{_attention(report)}</section>
<section id="backlog"><h2>Manual grading backlog</h2>{_backlog(report)}</section>
<section id="students"><h2>All students</h2>{_students(report)}</section>
</body></html>
"""
