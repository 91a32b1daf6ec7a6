"""The similarity page: the pairs ranked, then each pair side by side, cell by cell, shared passages marked.

Everything from a notebook goes through ``html.escape``.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from mllab.similarity.analysis import MAX_DETAILED, Pair
from mllab.similarity.passages import CellMatch
from mllab.similarity.sources import Cell, Source

CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 90rem; padding: 0 1.5rem; color: #1f2933; }
.notice { background: #fff8e1; border-left: 4px solid #f0b429; padding: 0.6rem 1rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #e4e7eb; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f0f4f8; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: 0.8rem; }
pre { background: #f8f9fb; border: 1px solid #e4e7eb; padding: 0.5rem; font-size: 0.78rem; white-space: pre-wrap;
      overflow-wrap: anywhere; margin: 0; }
mark { background: #ffd6a5; }
.template { color: #9aa5b1; }
h3 { margin-top: 1.6rem; }
.earlier { color: #8d2b0b; font-weight: 600; }
"""

HOW = ("<p><b>How the score is made.</b> Only the solution cells count: the code cells as code, the written "
       "answers as text, and the release's own lines (signature, docstring, <code>raise NotImplementedError()</code>) "
       "are left out; locked cells and outputs are never read. Code is read as tokens: comments, docstrings, layout "
       "and the names a student chose do not count, the library calls do. Every run of 12 tokens (4 words in an "
       "answer) and every statement is a fingerprint, and each weighs less the more students share it "
       "(log(N / students with it) / log(N / 2); to the power 1.5 for answers): a passage only two students share "
       "weighs 1, "
       "the one-line solution of a short task, which many write alike, almost nothing. Per cell, the weight the pair "
       "shares is divided by the size of the smaller of its two cells (at least about three lines), so a shared "
       "one-liner counts little. A code cell is scored a second time with the names as the student wrote them, "
       "and counts the higher of the two (that one times 0.8): a cell copied names and all counts more than the same "
       "code renamed. The score is the mean of these cell scores over the code cells both filled in, or "
       "over the answers, whichever is higher: from 0 to 1. A copy shares in nearly every cell; honest students "
       "share a few cells by chance.</p>")


def _name(source: Source, shown: Mapping[str, str]) -> str:
    label = escape(shown[source.key])
    return f'<span class="earlier">{label} (earlier: {escape(source.origin)})</span>' if source.earlier else label


FOLD = 4  # runs of at least this many release lines without a shared passage are folded into one line


def _line_html(line: str, marked: bytearray, offset: int) -> str:
    pieces, position = [], 0
    while position < len(line):
        flag, stop = marked[offset + position], position
        while stop < len(line) and marked[offset + stop] == flag:
            stop += 1
        piece = escape(line[position:stop])
        pieces.append(f"<mark>{piece}</mark>" if flag else piece)
        position = stop
    return "".join(pieces)


def _marked(cell: Cell, spans: tuple[tuple[int, int], ...]) -> str:
    """The cell's text line by line: the shared passages in <mark>, the release's lines dimmed, and a long
    run of release lines (a docstring) folded into one line saying how many there are."""
    marked = bytearray(len(cell.text))
    for start, end in spans:
        marked[start:end] = b"\x01" * (end - start)
    lines, offset = [], 0
    for number, line in enumerate(cell.text.split("\n"), start=1):
        foldable = ((number in cell.template_lines or not line.strip()) and not any(marked[offset:offset + len(line)])
                    and not line.lstrip().startswith(("def ", "class ")))  # signatures stay in view
        lines.append((foldable, _line_html(line, marked, offset), bool(line.strip()), number in cell.template_lines))
        offset += len(line) + 1
    out, index = [], 0
    while index < len(lines):
        run = index
        while run < len(lines) and lines[run][0]:
            run += 1
        if run - index >= FOLD:
            shown = next((i for i in range(index, run) if lines[i][2]), index)  # the run's first line with text
            out += [f'<span class="template">{lines[shown][1]}</span>',
                    f'<span class="template">    ⋯ {run - shown - 1} more lines of the release</span>']
            index = run
        else:
            _, html, _, release_line = lines[index]
            out.append(f'<span class="template">{html}</span>' if release_line else html)
            index += 1
    return "\n".join(out)


def _cell(pair: Pair, match: CellMatch) -> str:
    a, b = pair.a.cells[match.grade_id], pair.b.cells[match.grade_id]
    return (f"<h4>{escape(match.grade_id)} <small>(cell score {match.score:.2f}; longest shared passage "
            f"{match.longest} {'tokens' if match.kind == 'code' else 'words'})</small></h4>"
            f'<div class="side"><pre class="a">{_marked(a, match.spans_a)}</pre>'
            f'<pre class="b">{_marked(b, match.spans_b)}</pre></div>')


def _detail(rank: int, pair: Pair, shown: Mapping[str, str]) -> str:
    cells = "".join(_cell(pair, m) for m in pair.matches) or "<p>No shared passage of 12 tokens or 4 words.</p>"
    return (f'<section class="pair" id="pair-{rank}"><h3>{rank}. {_name(pair.a, shown)} and {_name(pair.b, shown)}: '
            f"score {pair.score:.2f} (code {pair.code:.2f}, answers {pair.answers:.2f})</h3>{cells}</section>")


def _link(rank: int) -> str:
    return f'<a href="#pair-{rank}">side by side</a>' if rank <= MAX_DETAILED else ""


def render(assignment: str, pairs: list[Pair], shown: Mapping[str, str], students: int, earlier: int, floor: float) -> str:
    rows = "".join(
        f'<tr><td class="num">{rank}</td><td>{_name(p.a, shown)}</td><td>{_name(p.b, shown)}</td>'
        f'<td class="num">{p.score:.2f}</td><td class="num">{p.code:.2f}</td><td class="num">{p.answers:.2f}</td>'
        f'<td>{escape(", ".join(p.cells))}</td>'
        f"<td>{_link(rank)}</td></tr>"
        for rank, p in enumerate(pairs, start=1))
    table = (f"<table><caption>Pairs scoring {floor:.2f} or more, highest first</caption><thead><tr><th>#</th>"
             f"<th>student</th><th>student</th><th>score</th><th>code</th><th>answers</th>"
             f"<th>cells with the longest shared passages</th><th></th>"
             f"</tr></thead><tbody>{rows}</tbody></table>" if pairs else f"<p>No pair scores {floor:.2f} or more.</p>")
    details = "".join(_detail(rank, p, shown) for rank, p in enumerate(pairs[:MAX_DETAILED], start=1))
    title = f"Similarity: {escape(assignment)}"
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>{CSS}</style>'
            f"</head><body><h1>{title}</h1>"
            f'<p class="notice"><b>A high score is a reason to look, never a verdict.</b> Similar code can have honest '
            f"causes (a short task with few correct forms, working from the same lecture example). This page "
            f"changes no grade.</p><p>{students} students of this class"
            f"{f', compared also with {earlier} earlier students' if earlier else ''}.</p>{HOW}"
            f"<h2>Pairs</h2>{table}<h2>Side by side</h2>{details}</body></html>\n")
