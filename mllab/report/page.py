"""The class report as one self-contained HTML page: inline CSS, the plot as an embedded PNG.

Every text that may come from a student (ids, error messages, details) goes through
``html.escape``: table cells are escaped unless they are built here as ``Html``.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from html import escape

from mllab.report.analytics_page import sections as analytics_sections
from mllab.report.charts import score_histogram
from mllab.report.class_report import NOT_GRADED, ClassReport, PassRate
from mllab.report.markup import Html, code as _code, points as _points, table as _table

DETAIL_CHARS = 300
FORMGRADER_HINT = ("Grade them in nbgrader's Formgrader: run <code>jupyter lab</code> in the course folder, "
                   "open <i>Nbgrader → Formgrader → Manual Grading</i>, pick the assignment and go through "
                   "the cells marked “needs manual grade”.")

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 68rem;
       padding: 0 1.5rem; color: #1f2933; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; margin-top: 2.4rem; padding-bottom: 0.25rem; border-bottom: 2px solid #d9e2ec; }
h3 { font-size: 1rem; margin: 1.2rem 0 0.4rem; }
.lead { color: #52606d; margin-top: 0; }
.cards { display: flex; gap: 0.8rem; flex-wrap: wrap; margin: 1.2rem 0; }
.card { border: 1px solid #d9e2ec; border-radius: 6px; padding: 0.5rem 0.9rem; min-width: 7rem; }
.card b { display: block; font-size: 1.35rem; font-variant-numeric: tabular-nums; }
.card span { color: #52606d; font-size: 0.85rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; margin: 0.4rem 0 0.8rem; }
th, td { border-bottom: 1px solid #e4e7eb; padding: 0.35rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f0f4f8; font-weight: 600; border-bottom: 2px solid #bcccdc; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #f9fbfc; }
td.message { overflow-wrap: anywhere; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.85rem; }
.muted { color: #7b8794; }
.status { font-weight: 600; color: #b44d12; white-space: nowrap; }
.stack { display: flex; width: 9rem; height: 0.8rem; border-radius: 2px; overflow: hidden; background: #e4e7eb; }
.stack i { display: block; height: 100%; }
.full { background: #3f9142; } .partial { background: #f0b429; } .zero { background: #d64545; }
.hint { background: #f0f4f8; border-left: 4px solid #829ab1; padding: 0.5rem 0.8rem; }
.columns { display: grid; grid-template-columns: 1fr 1fr; gap: 1.5rem; }
img.plot { display: block; max-width: 100%; height: auto; margin: 0.6rem 0; }
"""


# ---------------------------------------------------------------- 1. score distribution

def _histogram(report: ClassReport) -> str:
    top = max(report.max_points(autograded=True) + report.max_points(autograded=False), 1)
    return score_histogram([r.score for r in report.scored], top)


def _cards(report: ClassReport) -> str:
    scores = [r.score for r in report.scored]
    cards = [(len(report.students), "students"), (len(scores), "with a score"),
             (len(report.attention), "need attention"),
             (sum(len(r.pending) for r in report.students), "manual grades pending")]
    if scores:
        cards[2:2] = [(f"{statistics.mean(scores):.1f}", "mean score"), (f"{statistics.median(scores):g}", "median")]
    return '<div class="cards">' + "".join(f"<div class=card><b>{v}</b><span>{escape(label)}</span></div>"
                                           for v, label in cards) + "</div>"


def _distribution(report: ClassReport) -> str:
    scores = [r.score for r in report.scored]
    auto, manual = report.max_points(autograded=True), report.max_points(autograded=False)
    missing = len(report.students) - len(scores)
    if not scores:
        text = "No student has a score yet."
    else:
        text = (f"Max score <b>{auto + manual:g}</b> points ({auto:g} autograded + {manual:g} manually graded). "
                f"Over {len(scores)} students: mean <b>{statistics.mean(scores):.1f}</b>, "
                f"median <b>{statistics.median(scores):g}</b>, lowest {min(scores):g}, highest {max(scores):g}. "
                "Written answers nobody has graded yet count as 0.")
    if missing:
        text += f" {missing} student(s) without a score are not in the plot (see below)."
    return (f"<p id='score-summary'>{text}</p><img id='score-plot' class='plot' alt='histogram of total scores' "
            f"src='data:image/png;base64,{_histogram(report)}'>")


# ---------------------------------------------------------------- 2.–5. tables

def _share(part: int, rate: PassRate) -> str:
    return f"{100 * part / rate.students:.0f}%" if rate.students and rate.points else "—"


def _stack(rate: PassRate) -> Html:
    if not rate.students or not rate.points:
        return Html('<span class="muted">optional, 0 points</span>' if not rate.points else "")
    parts = ((rate.full, "full"), (rate.partial, "partial"), (rate.zero, "zero"))
    return Html('<div class="stack">' + "".join(f'<i class="{kind}" style="width:{100 * n / rate.students:.1f}%"></i>'
                                               for n, kind in parts if n) + "</div>")


def _pass_rates(report: ClassReport) -> str:
    rows = [[_code(r.grade_id), _points(r.points), _share(r.full, r), _share(r.partial, r), _share(r.zero, r),
             _stack(r)] for r in report.tests]
    note = (f"<p class='lead'>Autograded test cells in notebook order, over the {len(report.scored)} students "
            "with a score. 0-point cells are optional tasks: their ✓/✗ are in the feedback only.</p>")
    return note + _table("pass-rate-table", ["test cell", "points", "full marks", "partial", "zero", ""], rows,
                         frozenset({1, 2, 3, 4}))


def _failures(report: ClassReport) -> str:
    rows = [[i, _code(f.grade_id), Html(f'<span class="message">{escape(f.message)}</span>'), f.students]
            for i, f in enumerate(report.failures, 1)]
    note = ("<p class='lead'>Error messages of the autograded test cells (exception: first line), "
            "counted once per student; the 15 most frequent.</p>")
    return note + _table("failure-table", ["#", "test cell", "message", "students"], rows, frozenset({0, 3}),
                         "No test cell failed.")


def _detail(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DETAIL_CHARS else text[:DETAIL_CHARS - 1] + "…"


def _attention(report: ClassReport) -> str:
    rows = [[a.student, Html(f'<span class="status">{escape(a.status)}</span>'), a.meaning, _detail(a.detail)]
            for a in report.attention]
    return _table("attention-table", ["student", "status", "what it means", "detail"], rows,
                  empty="Every submission was graded normally.")


def _tampering(report: ClassReport) -> str:
    rows = [[t.student, _detail(t.restored), _detail(t.overruled)] for t in report.tampering]
    return _table("tampering-table", ["student", "test cells restored from the gradebook",
                                      "test cells the judge overruled"], rows,
                  empty="No test cell was edited, deleted or moved, and the judge overruled none.")


def _backlog(report: ClassReport) -> str:
    total = sum(len(r.pending) for r in report.students)
    skipped = sum(1 for r in report.students if r.status == NOT_GRADED)
    text = f"<p id='backlog-summary'><b>{total}</b> grade(s) still need manual grading."
    text += f" ({skipped} submission(s) not graded yet are not counted.)</p>" if skipped else "</p>"
    by_cell = _table("backlog-cells", ["cell", "students waiting"],
                     [[_code(c), n] for c, n in report.backlog_cells], frozenset({1}), "Nothing to grade.")
    by_student = _table("backlog-students", ["student", "grades waiting"],
                        [[r.student, len(r.pending)] for r in report.students if r.pending], frozenset({1}),
                        "Nothing to grade.")
    return (f"{text}<p class='hint'>{FORMGRADER_HINT}</p><div class='columns'><div><h3>By cell</h3>{by_cell}</div>"
            f"<div><h3>By student</h3>{by_student}</div></div>")


def _students(report: ClassReport) -> str:
    rows = [[r.student, r.status, "" if r.score is None else _points(r.score), _points(r.max_score),
             "" if r.score is None else len(r.pending)] for r in report.students]
    return _table("student-table", ["student", "status", "score", "of", "manual grades pending"], rows,
                  frozenset({2, 3, 4}), "No submissions.")


def _late(report: ClassReport) -> str:
    rows = [[student, late.describe(), _points(late.penalty)]
            for student, late in sorted(report.late.items()) if late.seconds_late > 0]
    deadline = next(iter(report.late.values()), None)
    lead = (f"<p class='lead'>Deadline {deadline.deadline:%Y-%m-%d %H:%M} UTC (course.toml); extensions from "
            f"extensions.csv.</p>") if deadline else "<p class='lead'>This assignment has no deadline in course.toml.</p>"
    return lead + _table("late-table", ["student", "when", "points taken"], rows, frozenset({2}),
                         "No late submissions.")


def render(report: ClassReport, shown: Mapping[str, str] | None = None, real_ids: bool = False,
           similarity: str | None = None) -> str:
    """The whole report page; ``shown`` names the students in the analytics (their ids when None)."""
    title = f"Class report: {escape(report.assignment)}"
    sections = [("distribution", "Score distribution", _distribution(report)),
                ("pass-rates", "Pass rate per test cell", _pass_rates(report)),
                ("failures", "Most frequent failure messages", _failures(report)),
                ("attention", "Submissions whose grading failed or needed attention", _attention(report)),
                *analytics_sections(report, shown or {s.student: s.student for s in report.students}, real_ids),
                ("tampering", "Restored and overruled test cells", _tampering(report)),
                ("backlog", "Manual grading backlog", _backlog(report)),
                ("late", "Late submissions", _late(report)),
                ("students", "All students", _students(report))]
    body = "".join(f'<section id="{sid}"><h2>{heading}</h2>{content}</section>' for sid, heading, content in sections)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{CSS}</style></head>\n<body><h1>{title}</h1>"
            f"<p class='lead'>From nbgrader's gradebook, the autograded notebooks and the last "
            f"<code>mllab autograde</code> run.</p>{_similarity_link(similarity)}{_cards(report)}{body}</body></html>\n")


def _similarity_link(page: str | None) -> str:
    """A line leading to the similarity report (``mllab similarity``), when there is one."""
    return (f'<p class="lead"><a href="{escape(page)}">Similar solutions</a>: pairs of students whose work is alike '
            "(a reason to look, never a verdict).</p>" if page else "")
