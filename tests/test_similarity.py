"""Does the similarity report find disguised copies, leave honest students alone, and never count the template?

One small generated class (independent students drawn from different implementations, plus planted
copies) is written once per module; nothing runs a notebook.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
from pathlib import Path

import pytest

from mllab.course.paths import Course
from mllab.similarity.analysis import FLOOR, analyse
from mllab.similarity.evaluation import disguised, evaluation_class, independent_cells, write_class
from mllab.similarity.report import write_similarity
from mllab.similarity.fingerprints import source_prints
from mllab.similarity.passages import pair_matches
from mllab.similarity.sources import Cell, Source, read_sources, release_cells, template_lines
from tests.conftest import REPO

ASSIGNMENT = "loss_and_metric"
KINDS = ("renamed", "reordered", "small-edits", "answers")


def _course(root: Path) -> Course:
    (root / "release" / ASSIGNMENT).mkdir(parents=True)
    shutil.copy(REPO / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", root / "release" / ASSIGNMENT)
    (root / "submitted").mkdir()
    return Course(root)


def _release_nb() -> dict:
    return json.loads((REPO / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    course = _course(tmp_path_factory.mktemp("similarity"))
    students, planted = evaluation_class(_release_nb(), students=30, copies_per_disguise=1, seed=7, disguise_kinds=KINDS)
    write_class(course.submitted, _release_nb(), students)
    sources = read_sources(course, ASSIGNMENT)
    return course, sources, planted, analyse(sources)


def _score(analysis, a: str, b: str) -> float:
    keys = [s.key for s in analysis.sources]
    i, j = sorted((keys.index(a), keys.index(b)))
    hits = [s for x, y, s in zip(analysis.scores.first, analysis.scores.second, analysis.scores.score) if (x, y) == (i, j)]
    return float(hits[0]) if hits else 0.0


def _pair(analysis, a: str, b: str):
    keys = [s.key for s in analysis.sources]
    i, j = sorted((keys.index(a), keys.index(b)))
    return analysis.pair(next(p for p, pair in enumerate(zip(analysis.scores.first, analysis.scores.second))
                              if pair == (i, j)))


def test_renamed_reordered_and_edited_copies_and_reworded_answers_rank_above_every_independent_pair(small_class):
    _, sources, planted, analysis = small_class
    planted_pairs = {frozenset((p.source, p.copy)) for p in planted}
    keys = [s.key for s in sources]
    independent = [float(s) for i, j, s in zip(analysis.scores.first, analysis.scores.second, analysis.scores.score)
                   if frozenset((keys[i], keys[j])) not in planted_pairs]
    for pair in planted:
        assert _score(analysis, pair.source, pair.copy) > max(independent), pair.disguise


def test_a_cell_copied_with_its_names_counts_more_than_the_same_code_under_other_names(tmp_path):
    """Renaming hides nothing (the same code counts), but names kept as the source wrote them add to the cell's score."""
    course = _course(tmp_path)
    release = release_cells(course, ASSIGNMENT)
    students = {f"s{i}": independent_cells(release, random.Random(f"named{i}")) for i in range(10)}
    source = students["s0"]
    copied = disguised(source, students["s1"], "renamed", release, random.Random(3))
    gid = max((g for g in source if release[g][0] == "code" and copied[g] != source[g]), key=lambda g: len(source[g]))
    renamed = copied[gid]
    students["s1"] = {**students["s1"], gid: source[gid]}
    students["s2"] = {**students["s2"], gid: renamed}
    write_class(course.submitted, _release_nb(), students)
    analysis = analyse(read_sources(course, ASSIGNMENT))
    score = {copier: next(m.score for m in _pair(analysis, "s0", copier).matches if m.grade_id == gid)
             for copier in ("s1", "s2")}
    assert 0 < score["s2"] < score["s1"]


SHORT = ("mse_mae_own", "mse_mae_lib", "ce_lib", "cosine_lib")  # cells whose solutions are one line each


def _honest_pair(release: dict) -> tuple[dict, dict]:
    """Two students who write the short tasks' one-liners alike and every other solution differently: no
    other shared passage longer than a common fragment (``torch.as_tensor(np.asarray(pred))`` is 13 tokens)."""
    first = independent_cells(release, random.Random("honest-1"))
    for attempt in range(500):
        second = independent_cells(release, random.Random(f"honest-2/{attempt}"))
        second.update({gid: first[gid] for gid in SHORT})
        a, b = (source_prints(Source(name, "", {g: Cell(g, release[g][0], text, template_lines(text, release[g][1]))
                                                for g, text in cells.items()})) for name, cells in (("a", first), ("b", second)))
        if all(m.longest <= 20 for m in pair_matches(a, b, {}) if m.grade_id not in SHORT):
            return first, second
    raise AssertionError("no second honest student found")


def test_students_sharing_only_one_line_solutions_are_not_above_the_floor(tmp_path):
    """Two honest students: the same one-line MSE, MAE and library calls; everything else written differently."""
    course = _course(tmp_path)
    release_nb = _release_nb()
    first, second = _honest_pair(release_cells(course, ASSIGNMENT))
    others = {f"other{i}": independent_cells(release_cells(course, ASSIGNMENT), random.Random(f"other{i}"))
              for i in range(8)}
    write_class(course.submitted, release_nb, {"honest1": first, "honest2": second, **others})
    analysis = analyse(read_sources(course, ASSIGNMENT))
    assert 0 < _score(analysis, "honest1", "honest2") < FLOOR


def test_against_finds_a_copy_of_an_earlier_student(tmp_path):
    course = _course(tmp_path / "course")
    release_nb = _release_nb()
    release = release_cells(course, ASSIGNMENT)
    earlier = {f"old{i}": independent_cells(release, random.Random(f"old{i}")) for i in range(6)}
    write_class(tmp_path / "2025" / "autograded", release_nb, earlier)
    current = {f"new{i}": independent_cells(release, random.Random(f"new{i}")) for i in range(6)}
    current["copier"] = disguised(earlier["old3"], independent_cells(release, random.Random("copier")), "renamed",
                                  release, random.Random(1))
    write_class(course.submitted, release_nb, current)
    html, table = write_similarity(course, ASSIGNMENT, (tmp_path / "2025" / "autograded",), real_ids=True)
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    assert rows[0]["student_a"] == "copier"
    assert rows[0]["student_b"] == "2025/autograded:old3" and rows[0]["b_is_earlier"] == "yes"
    assert "earlier: 2025/autograded" in html.read_text(encoding="utf-8")


def test_the_release_and_the_locked_cells_never_count_as_shared(tmp_path):
    """Blank notebooks (the release handed in) with the locked cells edited alike share nothing."""
    course = _course(tmp_path)
    release_nb = _release_nb()
    for student in ("blank1", "blank2", "blank3"):
        notebook = json.loads(json.dumps(release_nb))
        for cell in notebook["cells"]:
            meta = cell["metadata"].get("nbgrader", {})
            if cell["cell_type"] == "code" and meta.get("locked"):
                cell["source"] = "x = torch.randn(10, 3)\nloss = ((x - x.mean(dim=0)) ** 2).sum(dim=1).mean()\nprint(loss)\n"
        target = course.submitted / student / ASSIGNMENT
        target.mkdir(parents=True)
        (target / f"{ASSIGNMENT}.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    analysis = analyse(read_sources(course, ASSIGNMENT))
    assert all(not prints for prints in analysis.prints)
    assert len(analysis.scores.score) == 0


def test_the_csv_names_students_by_pseudonym_and_the_cells_with_the_longest_passages(small_class):
    course, _, planted, _ = small_class
    _, table = write_similarity(course, ASSIGNMENT)
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    assert rows and all(row["student_a"].startswith("S-") and row["student_b"].startswith("S-") for row in rows)
    assert all(0 <= float(row["score"]) <= 1 and row["cells"] for row in rows)
    assert {row["student_a"] for row in rows}.isdisjoint({p.copy for p in planted} | {p.source for p in planted})


def test_the_page_shows_the_top_pair_side_by_side_in_chromium(small_class):
    """The page from its file:// URL in Debian's Chromium: the notice, the ranked pairs, and the first
    pair's cells in two columns with the shared passages marked; screenshots are kept."""
    from playwright.sync_api import sync_playwright

    from tests.browser import artifact, launch

    course, sources, planted, _ = small_class
    html, _ = write_similarity(course, ASSIGNMENT, real_ids=True)
    screenshot = artifact("similarity-side-by-side.png")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        tab = browser.new_page(viewport={"width": 1400, "height": 900})
        tab.goto(html.as_uri())
        first = tab.locator("tbody tr").first.inner_text().split("\t")
        tab.locator("tbody tr a").first.click()
        pair = tab.locator("section#pair-1")
        columns = [pair.locator("div.side").first.locator("pre").nth(i).bounding_box() for i in (0, 1)]
        marks = [pair.locator(f"pre.{side} mark").count() for side in ("a", "b")]
        notice = tab.locator(".notice").inner_text()
        tab.screenshot(path=str(screenshot))  # the first pair's first cells, side by side
        tab.goto(html.as_uri())
        tab.screenshot(path=str(artifact("similarity-ranking.png")))  # the notice and the ranked pairs
        browser.close()
    assert {first[1], first[2]} in [{p.source, p.copy} for p in planted]
    assert columns[0]["x"] + columns[0]["width"] <= columns[1]["x"] and abs(columns[0]["y"] - columns[1]["y"]) < 1
    assert min(marks) > 0
    assert "a reason to look, never a verdict" in notice
    assert screenshot.stat().st_size > 10_000


def test_the_command_writes_the_page_and_the_csv_of_a_course(tmp_path):
    """`python -m mllab similarity ASSIGNMENT` in a copy of the course, with a small generated class."""
    import subprocess
    import sys

    from tests.conftest import copy_course

    course = copy_course(tmp_path / "course")
    students, _ = evaluation_class(_release_nb(), students=8, copies_per_disguise=1, seed=3, disguise_kinds=("renamed",))
    write_class(course.submitted, _release_nb(), students)
    done = subprocess.run([sys.executable, "-m", "mllab", "similarity", ASSIGNMENT], cwd=course.root,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    written = [Path(line) for line in done.stdout.split()]
    assert [p.name for p in written] == [f"{ASSIGNMENT}-similarity.html", f"{ASSIGNMENT}-similarity.csv"]
    assert next(csv.reader(written[1].open(encoding="utf-8")))[:4] == ["student_a", "student_b", "score", "cells"]


def test_the_class_report_links_the_similarity_page_only_when_there_is_one():
    from mllab.report.class_report import ClassReport
    from mllab.report.page import render

    report = ClassReport(ASSIGNMENT, [], [], [], [], [], [])
    assert f'href="{ASSIGNMENT}-similarity.html"' in render(report, similarity=f"{ASSIGNMENT}-similarity.html")
    assert "-similarity.html" not in render(report)


def test_a_notebook_without_nbgrader_metadata_is_matched_to_the_release_by_order(tmp_path):
    """Colab drops the cells' metadata: the solution cells are found by kind and order, and a copy is still found."""
    course = _course(tmp_path)
    release_nb = _release_nb()
    release = release_cells(course, ASSIGNMENT)
    students = {f"s{i}": independent_cells(release, random.Random(f"colab{i}")) for i in range(6)}
    students["copier"] = disguised(students["s2"], independent_cells(release, random.Random("c")), "renamed",
                                   release, random.Random(2))
    write_class(course.submitted, release_nb, students)
    path = course.submitted / "copier" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        cell["metadata"] = {}
    path.write_text(json.dumps(notebook), encoding="utf-8")
    sources = read_sources(course, ASSIGNMENT)
    copier = next(s for s in sources if s.student == "copier")
    assert set(copier.cells) == set(students["copier"])
    analysis = analyse(sources)
    best = analysis.pair(int(analysis.scores.ranked()[0]))
    assert {best.a.student, best.b.student} == {"copier", "s2"}


def test_two_identical_notebooks_in_a_class_of_two_are_reported(tmp_path):
    """A tiny class is weighed as if it had ten students: a passage two of two share is not "common"."""
    course = _course(tmp_path)
    cells = independent_cells(release_cells(course, ASSIGNMENT), random.Random("tiny"))
    write_class(course.submitted, _release_nb(), {"first": cells, "second": cells})
    _, table = write_similarity(course, ASSIGNMENT, real_ids=True)
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    assert [(r["student_a"], r["student_b"]) for r in rows] == [("first", "second")] and float(rows[0]["score"]) > 0.5
