"""Can an instructor add a session with `mllab new-assignment`, grade it at once, prove its hidden tests
with `mllab check-tests`, and take it out again without a trace?

Everything runs as an instructor would, with the `mllab` command, in a copy of the course repository
(its course files and its `mllab` package, which the copy's commands import through PYTHONPATH, as an
editable install of the repository would): the scaffold writes its modules into that package, and the
sandboxed kernels that grade the demo class import the hidden checks from there.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from mllab.course.paths import Course
from mllab.course.scores import assignment_scores
from tests.conftest import REPO, copy_course

NAME = "robust_losses"
TEST_CELL = "test_huber_own"
SEEDS = "2"  # the instructors' default is 50
BROKEN_SEEDS = "4"  # enough salts that some are odd (they are the same at every run)
TIMEOUT = 900
COURSE_STATE = {".mllab/secret", ".mllab/grading.lock"}  # made by the first grading of any assignment


def _files(root: Path) -> dict[str, str]:
    """Every file under ``root`` (but the gradebook and caches) with its SHA-256."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and p.name != "gradebook.db"}


@dataclass
class Scenario:
    root: Path
    before: dict[str, str]
    runs: dict[str, subprocess.CompletedProcess] = field(default_factory=dict)
    scores: dict = field(default_factory=dict)
    released: nbformat.NotebookNode | None = None
    after: dict[str, str] = field(default_factory=dict)

    @property
    def course(self) -> Course:
        return Course(self.root)

    def mllab(self, key: str, *args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "PYTHONPATH": str(self.root)}
        done = subprocess.run([sys.executable, "-m", "mllab", *args], cwd=self.root, env=env, capture_output=True,
                              text=True, timeout=TIMEOUT)
        self.runs[key] = done
        return done

    def text(self, key: str) -> str:
        return self.runs[key].stdout + self.runs[key].stderr


def _edit_checks(root: Path, old: str, new: str) -> str:
    """Change the scaffolded checks module; return its text before the change."""
    path = root / "mllab" / "checks" / f"{NAME}.py"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Scenario:
    root = tmp_path_factory.mktemp("repository") / "course"
    copy_course(root)
    shutil.copytree(REPO / "mllab", root / "mllab", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO / "README.md", root / "README.md")
    run = Scenario(root, _files(root))
    assert run.mllab("new", "new-assignment", NAME, "--title", "Robust losses").returncode == 0, run.text("new")
    for step, args in [("release", ("release", NAME)), ("demo-class", ("demo-class", NAME)),
                       ("autograde", ("autograde", NAME)), ("check-tests", ("check-tests", NAME, "--seeds", SEEDS))]:
        if run.mllab(step, *args).returncode:
            return run  # the tests that read this step say what went wrong
    run.scores = {s.student: s for s in assignment_scores(run.course, NAME)}
    run.released = nbformat.read(run.course.release_notebook(NAME), as_version=4)
    # One run with two faults: the delta part tests only delta 1.0 (so "delta ignored" passes) and the
    # reference is off on every odd salt (a flaky cell). check-tests' salts are the same at every run.
    original = _edit_checks(root, "for delta in (0.5, 2.0):", "for delta in (1.0,):")
    _edit_checks(root, "    return torch.nn.functional.huber_loss(",
                 "    return (common.run_seed() % 2) * 1e-3 + torch.nn.functional.huber_loss(")
    _edit_checks(root, "from mllab.checks.common import", "from mllab.checks import common\nfrom mllab.checks.common import")
    run.mllab("broken", "check-tests", NAME, "--seeds", BROKEN_SEEDS)
    (root / "mllab" / "checks" / f"{NAME}.py").write_text(original, encoding="utf-8")
    run.mllab("remove-refused", "remove-assignment", NAME)
    run.mllab("remove", "remove-assignment", NAME, "--force")
    run.after = _files(root)
    return run


def _step(scenario: Scenario, key: str) -> str:
    assert key in scenario.runs, f"an earlier step failed: {list(scenario.runs)[-1]}:\n{scenario.text(list(scenario.runs)[-1])}"
    assert scenario.runs[key].returncode == 0, scenario.text(key)
    return scenario.text(key)


def test_new_assignment_writes_a_notebook_its_checks_its_evidence_and_one_declaration(scenario):
    printed = _step(scenario, "new")
    written = {Path(line).relative_to(scenario.root).as_posix() for line in printed.splitlines()
               if line.startswith(str(scenario.root))}
    assert written == {f"source/{NAME}/{NAME}.ipynb", f"mllab/checks/{NAME}.py", f"mllab/classes/corpus_{NAME}.py",
                       "course.toml"}
    assert f"mllab check-tests {NAME}" in printed


def test_the_release_states_the_contract_and_hides_the_solution_and_hidden_test(scenario):
    _step(scenario, "release")
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in scenario.released.cells}
    stub, test = cells["huber_own"].source, cells[TEST_CELL].source
    assert "delta: where the loss turns from quadratic to linear" in stub and "raise NotImplementedError" in stub
    assert "torch.where" not in stub
    assert "hidden" not in test and "@visible_check" in test
    assert cells["header"].source.startswith("# Robust losses") and "**Due:**" in cells["header"].source


def test_the_demo_class_scores_full_marks_nothing_and_partial_credit_for_its_one_mistake(scenario):
    _step(scenario, "autograde")
    scores = {student: (s.auto_score, s.auto_max) for student, s in scenario.scores.items()}
    assert scores == {"perfect": (10.0, 10.0), "blank": (0.0, 10.0), "delta_ignored": (6.0, 10.0)}
    assert scenario.scores["delta_ignored"].cell_scores[TEST_CELL] == (6.0, 10.0)  # partial credit, a plain float


def test_a_scaffolded_assignment_passes_check_tests(scenario):
    printed = _step(scenario, "check-tests")
    verdicts = [line.strip() for line in printed.splitlines() if line.strip()[:1] in ("✓", "✗")]
    kinds = {line[2:].split(":")[0] for line in verdicts}
    assert kinds == {"solution", "alternative", "mistake", "contract", "visible check"}, printed
    assert all(line.startswith("✓") for line in verdicts), printed


def test_check_tests_fails_and_names_the_cell_when_a_check_lets_a_named_mistake_through(scenario):
    _step(scenario, "check-tests")
    broken = scenario.text("broken")
    assert scenario.runs["broken"].returncode == 10, broken
    rows = [line for line in broken.splitlines() if "mistake: delta ignored" in line]
    assert rows and rows[0].lstrip().startswith("✗") and TEST_CELL in rows[0], broken
    assert f"look at {TEST_CELL}" in broken


def test_check_tests_names_the_seed_of_a_flaky_check(scenario):
    _step(scenario, "check-tests")
    broken = scenario.text("broken")
    row = next(line for line in broken.splitlines() if "solution: instructor's solution" in line)
    seeds = [int(seed) for seed in re.findall(r"MLLAB_CHECK_SEED=(\d+)", row)]
    assert row.lstrip().startswith("✗") and TEST_CELL in row and seeds, broken
    assert all(seed % 2 == 1 for seed in seeds), row  # exactly the salts the fault is wrong on
    assert len(seeds) < int(BROKEN_SEEDS), row  # and not the even ones


def test_removing_the_assignment_asks_for_force_while_students_work_exists(scenario):
    _step(scenario, "autograde")
    refused = scenario.runs["remove-refused"]
    assert refused.returncode != 0 and "--force" in refused.stderr and "submission" in refused.stderr


def test_removing_a_scaffolded_assignment_leaves_nothing_behind(scenario):
    _step(scenario, "remove")
    changed = {path for path in scenario.before.keys() | scenario.after.keys()
               if scenario.before.get(path) != scenario.after.get(path)}
    assert changed <= COURSE_STATE, changed - COURSE_STATE  # the course's grading secret and lock stay
    assert not [p for p in scenario.root.rglob(f"*{NAME}*") if "__pycache__" not in p.parts]
    from nbgrader.api import Gradebook

    with Gradebook(scenario.course.db_url) as gradebook:
        assert NAME not in {a.name for a in gradebook.assignments}


@pytest.mark.parametrize("name, due, says", [
    ("Session3", None, "lower case letters"),
    ("class", None, "cannot name an assignment"),
    ("loss_and_metric", None, "already declares 'loss_and_metric'"),
    ("common", None, "mllab.checks.common"),  # a module of the checks package
    ("robust_losses", "2027-02-12 23:59", "with its UTC offset"),
])
def test_a_name_or_deadline_that_cannot_work_is_refused_before_anything_is_written(tmp_path, name, due, says):
    from mllab.course.scaffold import new_assignment, package_dir
    from mllab.errors import UsageError

    course = copy_course(tmp_path / "course")
    before, modules = _files(course.root), _files(package_dir())
    with pytest.raises(UsageError, match=re.escape(says)):
        new_assignment(course, name, due=due)
    assert _files(course.root) == before and _files(package_dir()) == modules


def test_a_scaffold_that_fails_half_way_takes_back_what_it_wrote(tmp_path):
    """The source notebook is made last, from course.toml and requirements.txt: when that fails (here the
    torchmetrics pin is missing), the modules and the table written before it are taken back."""
    root = tmp_path / "course"
    copy_course(root)
    shutil.copytree(REPO / "mllab", root / "mllab", ignore=shutil.ignore_patterns("__pycache__"))
    requirements = root / "requirements.txt"
    requirements.write_text("".join(line for line in requirements.read_text().splitlines(keepends=True)
                                    if not line.startswith("torchmetrics==")))
    before = _files(root)
    failed = Scenario(root, before).mllab("new", "new-assignment", NAME)
    assert failed.returncode == 2 and "requirements.txt must pin torchmetrics" in failed.stderr, failed.stderr
    assert _files(root) == before


def test_new_assignment_refuses_to_write_into_an_installed_copy_of_the_package(tmp_path, monkeypatch):
    """A session's modules written into site-packages would vanish at the next `pip install`."""
    from mllab.course import scaffold
    from mllab.errors import UsageError

    course = copy_course(tmp_path / "course")
    installed = tmp_path / "venv" / "lib" / "python3.11" / "site-packages" / "mllab"
    monkeypatch.setattr(scaffold, "package_dir", lambda: installed)
    with pytest.raises(UsageError, match="editable mode"):
        scaffold.new_assignment(course, NAME)
    assert not installed.exists() and NAME not in (course.root / "course.toml").read_text()


def test_a_session_removed_before_it_was_ever_released_leaves_the_course_as_it_was(tmp_path):
    root = tmp_path / "course"
    copy_course(root)
    shutil.copytree(REPO / "mllab", root / "mllab", ignore=shutil.ignore_patterns("__pycache__"))
    before = _files(root)
    run = Scenario(root, before)
    assert run.mllab("new", "new-assignment", NAME).returncode == 0, run.text("new")
    assert run.mllab("remove", "remove-assignment", NAME).returncode == 0, run.text("remove")
    assert _files(root) == before and not (root / "gradebook.db").exists()
