"""`mllab similarity ASSIGNMENT`: reports/<assignment>-similarity.csv and .html. It never touches a grade."""

from __future__ import annotations

import csv
from pathlib import Path

from mllab.course.paths import Course
from mllab.report.pseudonyms import shown_ids
from mllab.report.write import reports_folder
from mllab.similarity.analysis import FLOOR, Pair, analyse
from mllab.similarity.page import render
from mllab.similarity.sources import Source, read_sources

CSV_COLUMNS = ("student_a", "student_b", "score", "cells", "code_score", "answers_score", "b_is_earlier", "b_origin",
               "shared_cells")


def _shown(course: Course, sources: list[Source], real_ids: bool) -> dict[str, str]:
    """What the page calls each source: pseudonyms by default (earlier students too), real ids on request."""
    return shown_ids(course, [s.key for s in sources], real_ids)


def _safe(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def write_csv(pairs: list[Pair], shown: dict[str, str], path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for p in pairs:
            writer.writerow([_safe(shown[p.a.key]), _safe(shown[p.b.key]), f"{p.score:.4f}", " ".join(p.cells),
                             f"{p.code:.4f}", f"{p.answers:.4f}", "yes" if p.b.earlier else "no", _safe(p.b.origin),
                             len(p.matches)])
    return path


def write_similarity(course: Course, assignment: str, against: tuple[Path, ...] = (), *,
                     real_ids: bool = False, floor: float = FLOOR) -> tuple[Path, Path]:
    """Compare every submission of ``assignment`` (and the ``against`` folders); write the page and the CSV."""
    sources = read_sources(course, assignment, against)
    pairs = analyse(sources).reported(floor)
    shown = _shown(course, sources, real_ids)
    folder = reports_folder(course)
    earlier = sum(s.earlier for s in sources)
    html = folder / f"{assignment}-similarity.html"
    html.write_text(render(assignment, pairs, shown, len(sources) - earlier, earlier, floor), encoding="utf-8")
    return html, write_csv(pairs, shown, folder / f"{assignment}-similarity.csv")
