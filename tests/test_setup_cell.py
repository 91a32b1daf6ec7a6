"""Are the setup cell, the Colab links and the self-check made from one configuration, and fresh?"""

from __future__ import annotations

import hashlib
import re
import shutil

import nbformat
import pytest

from mllab.cli import main
from mllab.course.assignments import assignment as declaration
from mllab.course.assignments import assignment_names
from mllab.course.config import load_course_web
from mllab.errors import UsageError
from mllab.course.notebook_setup import fresh_notebook, fresh_readme, sync_course, torchmetrics_pin
from tests.conftest import ASSIGNMENT, REPO, cell_by_grade_id, copy_course


every_assignment = pytest.mark.parametrize("assignment", assignment_names(REPO))


def _source_nb(assignment=ASSIGNMENT):
    return nbformat.read(REPO / "source" / assignment / f"{assignment}.ipynb", as_version=4)


@every_assignment
def test_the_committed_setup_cell_header_and_readme_are_made_from_course_toml_and_data(assignment):
    committed = _source_nb(assignment)
    fresh = fresh_notebook(REPO, assignment, _source_nb(assignment), REPO / "source")
    for grade_id in ("header", "setup", "self_check_helpers"):
        assert cell_by_grade_id(committed, grade_id).source == cell_by_grade_id(fresh, grade_id).source, \
            f"the {grade_id} cell is stale: run `mllab release {assignment}` and commit"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme == fresh_readme(readme, load_course_web(REPO), assignment_names(REPO), REPO / "README.md"), \
        "the README's Colab links or clone command are stale: run `mllab release` and commit"


@every_assignment
def test_the_setup_cell_names_every_data_file_the_notebook_reads_with_its_sha256(assignment):
    setup = cell_by_grade_id(_source_nb(assignment), "setup").source
    listed = dict(re.findall(r'^    "([^"]+)": "([0-9a-f]{64})",$', setup, re.M))
    assert list(listed) == list(declaration(REPO, assignment).data)
    for name, digest in listed.items():
        assert hashlib.sha256((REPO / "data" / name).read_bytes()).hexdigest() == digest, name
    cells = "\n".join(c.source for c in _source_nb(assignment).cells)
    read = set(re.findall(r'(?:DATA|PET|TABLES) / "([\w.]+)"', cells))
    assert read and read <= {name.split("/")[-1] for name in listed} | {"downloaded", "yorkshire", "tables"}


def test_the_setup_cell_pins_the_torchmetrics_of_requirements_txt():
    setup = cell_by_grade_id(_source_nb(), "setup").source
    assert f'TORCHMETRICS = "{torchmetrics_pin(REPO)}"' in setup
    assert torchmetrics_pin(REPO) == "torchmetrics==1.9.0"


@every_assignment
def test_the_setup_cell_is_the_locked_first_code_cell_and_the_self_check_the_last(assignment):
    nb = _source_nb(assignment)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].metadata["nbgrader"]["grade_id"] == "setup" and code[0].metadata["nbgrader"]["locked"]
    assert code[-1].metadata["nbgrader"]["grade_id"] == "self_check" and code[-1].metadata["nbgrader"]["locked"]
    assert code[-1].source == "self_check()"


def test_every_link_follows_course_toml_after_mllab_release(tmp_path, monkeypatch, capsys):
    course = copy_course(tmp_path / "course")
    shutil.copy(REPO / "README.md", course.root / "README.md")
    config = (course.root / "course.toml").read_text(encoding="utf-8")
    config = config.replace('github = "mllab-course/loss-and-metric"', 'github = "another-uni/ml-lab"')
    (course.root / "course.toml").write_text(config.replace('branch = "main"', 'branch = "ws2026"'), encoding="utf-8")
    monkeypatch.chdir(course.root)
    assert main(["release", ASSIGNMENT]) == 0
    printed = capsys.readouterr().out
    assert "refreshed" in printed and "README.md" in printed
    texts = [course.source_notebook(ASSIGNMENT).read_text(), course.release_notebook(ASSIGNMENT).read_text(),
             (course.root / "README.md").read_text()]
    for text in texts:
        assert "mllab-course/loss-and-metric" not in text
    assert "colab.research.google.com/github/another-uni/ml-lab/blob/ws2026/release/loss_and_metric" in texts[1]
    assert "raw.githubusercontent.com/another-uni/ml-lab/ws2026/data" in texts[1]
    assert "git clone https://github.com/another-uni/ml-lab.git" in texts[2]
    blocks = re.findall(r"<!-- begin .*?<!-- end", texts[2], re.S)  # the README's generated blocks
    assert not [text for text in texts[:2] + blocks if "placeholder" in text.lower()], "the notes go with the placeholder"
    assert sync_course(course.root, ASSIGNMENT, assignment_names(course.root)) == [], "a second refresh changes nothing"


@pytest.mark.parametrize("content, says", [
    (None, "course.toml is missing"),
    ("[repository]\ngithub = 'x'\n", "needs a [repository] table"),
    ("[repository]\ngithub = 'not a name'\nbranch = 'main'\n", 'github must be "owner/name"'),
    ("[repository\n", "needs a [repository] table"),
])
def test_a_missing_or_wrong_course_toml_is_explained(tmp_path, content, says):
    if content is not None:
        (tmp_path / "course.toml").write_text(content)
    with pytest.raises(UsageError, match=re.escape(says)):
        load_course_web(tmp_path)


@every_assignment
def test_the_self_check_knows_every_task_the_test_cells_check(assignment):
    nb = _source_nb(assignment)
    helpers = cell_by_grade_id(nb, "self_check_helpers").source
    tasks = re.search(r"TASKS = \{(.*?)\}", helpers, re.S).group(1)
    known = re.findall(r'"(\w+)": "', tasks)
    checked = {re.search(r'@visible_check\("(\w+)"', c.source).group(1)
               for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}
    assert set(known) == checked
    assert all("@visible_check" in c.source for c in nb.cells
               if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code")


@every_assignment
def test_the_release_header_links_to_colab_and_the_release_says_how_to_hand_in(assignment):
    release = nbformat.read(REPO / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    web = load_course_web(REPO)
    assert f"[Open in Colab]({web.colab_url(assignment)})" in release.cells[0].source
    hand_in = cell_by_grade_id(release, "hand_in").source
    assert "Assignments" in hand_in and "Submit" in hand_in and "Download .ipynb" in hand_in
    assert f"`{assignment}.ipynb`" in hand_in and f"next to `{assignment}`" in hand_in


@every_assignment
def test_run_all_may_pass_every_cell_between_the_helpers_and_the_self_check_but_not_the_setup(assignment):
    nb = nbformat.read(REPO / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    start, end = ids.index("self_check_helpers") + 1, ids.index("self_check")
    tagged = ["raises-exception" in c.metadata.get("tags", []) for c in nb.cells]
    assert not any(tagged[:start]) and not tagged[end], "a failing setup must stop Run All"
    assert all(tagged[i] for i in range(start, end) if nb.cells[i].cell_type == "code")
    assert sum(tagged) > 20


def test_a_self_check_helper_cell_without_its_tasks_is_explained(tmp_path):
    nb = _source_nb()
    cell_by_grade_id(nb, "self_check_helpers").source = "# the helpers, but no TASKS"
    with pytest.raises(UsageError, match="must define TASKS"):
        fresh_notebook(REPO, ASSIGNMENT, nb, tmp_path / "x.ipynb")


@pytest.mark.parametrize("assignment", assignment_names(REPO))
def test_while_course_toml_names_the_placeholder_every_link_says_what_to_set_first(assignment):
    """Issue 32: a newcomer who follows a Colab link or the clone command before the instructor has named
    the course's repository reads what is missing, in the notebook's header as in the README."""
    assert load_course_web(REPO).is_placeholder
    header = nbformat.read(REPO / "release" / assignment / f"{assignment}.ipynb", as_version=4).cells[0].source
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    clone = readme[readme.index("<!-- begin clone"):readme.index("<!-- end clone")]
    links = readme[readme.index("<!-- begin colab-links"):readme.index("<!-- end colab-links")]
    for text in (header, links):
        assert "placeholder" in text.lower() and "`[repository]`" in text and "course.toml" in text, text
    assert "placeholder" in clone and "[repository] in course.toml" in clone, clone

