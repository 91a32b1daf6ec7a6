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
from mllab.similarity.sources import read_sources, release_cells
from tests.conftest import REPO

ASSIGNMENT = "loss_and_metric"
KINDS = ("renamed", "reordered", "small-edits")


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
