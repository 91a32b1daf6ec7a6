"""Shared fixtures: a private copy of the course, and one real nbgrader run of the demo class."""

from __future__ import annotations

import atexit
import html
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import nbformat
import psutil
import pytest

from mllab.checktests.build import ProofClass, proof_class
from mllab.checktests.results import cell_text
from mllab.demo import run_demo
from mllab.classes.demo import DemoStudent, demo_class, write_submissions
from mllab.course import nbgrader_steps, paths
from mllab.autograde.sandbox import FIRST_UID, UID_ENV
from mllab.course.assignments import assignment as declaration
from mllab.course.paths import Course
from mllab.course.scores import StudentScore, assignment_scores

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = "loss_and_metric"  # the core lab: most tests that need one assignment use it
# The session fixture that grades each assignment's demo class with the students `mllab check-tests`
# hands in (its corpus, and the solution on SOLUTION_SEEDS more seeds besides the demo class's perfect).
SOLUTION_SEEDS = 1
CLASS_RUNS = {"loss_and_metric": "demo_run", "custom_losses": "custom_losses_run", "beyond_basics": "beyond_basics_run"}
TITLES = {"loss_and_metric": "Loss and Metric — Session 2", "custom_losses": "Custom Losses and Classification Metrics",
          "beyond_basics": "Beyond the Basics"}  # the first words of each notebook's header

# `make test` runs the suite in two pytest-xdist workers. Each worker's sandboxes get their own uid
# range, so a test that looks for leftover sandbox processes sees only its own worker's.
WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
os.environ[UID_ENV] = str(FIRST_UID + 100 * WORKER)
SANDBOX_UIDS = range(FIRST_UID + 100 * WORKER, FIRST_UID + 100 * (WORKER + 1))
# Two lanes, one per xdist worker, balanced by hand on the modules' measured times. The lane
# "demo" holds every test of the session's demo run (and the solved release it grades), so that
# run is made once; the lane "grading" holds the other big grading runs. Put a new module where
# the two stay about even (on 2026-12-03 the sums of their test times were 1250 s and 1260 s,
# measured with `--durations=0` while both ran; the slowest: the Dask tests, 390 s). On 2026-12-06
# the grading service's scenario (about 250-360 s) went to the demo lane, the hub's tests (one hub
# for both modules) and the exchange's permissions to the grading lane. The
# custom_losses class run goes with the grading lane, the beyond_basics one with the demo lane.
# After issue 31 (test_new_assignment in the grading lane, check-tests' class in the class runs), a
# fresh clone's run on 2026-12-06 summed 1356 s (demo) and 1347 s (grading).
GRADING_LANE = {"test_hostile_class", "test_broken_class", "test_intake", "test_report", "test_cli",
                "test_warm_kernel", "test_sandbox", "test_judge", "test_data", "test_values",
                "test_forbidden_calls", "test_checks_on_alternatives", "test_hidden_check_counts",
                "test_dask_autograde", "test_deadlines", "test_lms_export", "test_browser_assignments_tab",
                "test_instructor_notebook", "test_checks_beyond_basics", "test_checks_custom_losses",
                "test_hub", "test_hub_browser", "test_exchange_permissions", "test_new_assignment"}
SHARED_RUNS = {"demo_run", "solved_run"}


# tryfirst: xdist's own hook reads the xdist_group marks to group the tests, so they must be set before.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1]
        params = item.callspec.params if hasattr(item, "callspec") else {}
        runs = set(item.fixturenames) | ({CLASS_RUNS[params["class_run"]]} if "class_run" in params else set())
        grading = "custom_losses_run" in runs or (module in GRADING_LANE and not SHARED_RUNS & runs)
        item.add_marker(pytest.mark.xdist_group("grading" if grading else "demo"))


def copy_course(destination: Path) -> Course:
    """A copy of the course's committed files (nothing generated) in ``destination``."""
    return paths.copy_course(REPO, destination)


_RELEASED: dict[str, Course] = {}  # assignment -> a course copy where it was released, in this test worker


def release_assignment(course: Course, assignment: str = ASSIGNMENT) -> None:
    """`nbgrader generate_assignment` of ``assignment`` in ``course``. In a fresh copy with a SQLite
    gradebook, its outcome (gradebook, release and refreshed source) is copied from the one real run
    made per assignment in this test worker, which is about 5 s less per course; otherwise it runs."""
    if not course.uses_sqlite or course.gradebook.exists():
        nbgrader_steps.generate_release(course, assignment)
        return
    if assignment not in _RELEASED:
        folder = Path(tempfile.mkdtemp(prefix=f"mllab-release-{assignment}-"))
        atexit.register(shutil.rmtree, folder, True)
        _RELEASED[assignment] = copy_course(folder / "course")
        nbgrader_steps.generate_release(_RELEASED[assignment], assignment)
    made = _RELEASED[assignment]
    shutil.copy2(made.gradebook, course.gradebook)
    for folder in (made.source / assignment, made.release / assignment):
        shutil.copytree(folder, course.root / folder.relative_to(made.root), dirs_exist_ok=True)


@pytest.fixture(scope="session")
def repo() -> Course:
    return Course(REPO)


@pytest.fixture(scope="session")
def solved_notebook():
    """``solved_notebook(assignment)``: its source notebook run in this process with the instructor's
    solutions, as check-tests runs it (mllab.checktests.notebook_run), made once per test worker."""
    from mllab.checktests.notebook_run import solve

    made = {}

    def get(assignment: str):
        if assignment not in made:
            made[assignment] = solve(Course(REPO).source_notebook(assignment), REPO)
        return made[assignment]

    return get


@dataclass
class DemoRun:
    """The outcome of `mllab demo` on a copy of the course, with the mutation corpus handed in too."""

    course: Course
    students: list[str]
    scores: dict[str, StudentScore]
    printed: list[str]
    assignment: str = ASSIGNMENT
    proof: ProofClass | None = None  # the students check-tests judges (see mllab.checktests)

    def autograded(self, student: str):
        name = self.assignment
        return nbformat.read(self.course.autograded / student / name / f"{name}.ipynb", as_version=4)

    def outputs(self, student: str) -> dict[str, str]:
        """What each graded cell of the student's autograded notebook showed, by grade id."""
        return {c.metadata["nbgrader"]["grade_id"]: cell_outputs_text(c)
                for c in self.autograded(student).cells if c.metadata.get("nbgrader", {}).get("grade")}

    def feedback_page(self, student: str) -> Path:
        return self.course.feedback_dir(student, self.assignment) / f"{self.assignment}.html"


@dataclass
class SolvedRun:
    """The release with the instructor's solutions filled in, run in an empty folder."""

    folder: Path  # the folder it ran in: nothing but the notebook's own downloads
    notebook: nbformat.NotebookNode  # executed, with its outputs
    data_url: str  # MLLAB_DATA_URL: a copy of data/ served on loopback
    requests: list[str]  # the paths the notebook asked the server for


@pytest.fixture(scope="session")
def solved_run(tmp_path_factory) -> SolvedRun:
    """A student's finished notebook run where no course is around: the setup cell downloads the data."""
    from tests.student_notebooks import DataServer, copy_data, execute, solved_release

    served = tmp_path_factory.mktemp("served")
    copy_data(served)
    folder = tmp_path_factory.mktemp("student") / "empty"
    with DataServer(served) as server:
        notebook = execute(solved_release(), folder, env={"MLLAB_DATA_URL": f"{server.url}/data"})
    return SolvedRun(folder, notebook, f"{server.url}/data", list(server.requests))


COLAB_STUDENT = "colab_roundtrip"


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory, solved_run) -> DemoRun:
    """`mllab demo` (release, demo class, parallel autograde, feedback, grades.csv), once per session.
    The mutation corpus is handed in too, and the solved run as Colab saves it (``COLAB_STUDENT``)."""
    return _class_run(copy_course(tmp_path_factory.mktemp("course")), ASSIGNMENT, solved_run.notebook)


@pytest.fixture(scope="session")
def custom_losses_run(tmp_path_factory) -> DemoRun:
    """`mllab demo custom_losses` with that assignment's mutation corpus and a Colab student too."""
    return _later_class_run(tmp_path_factory, "custom_losses")


@pytest.fixture(scope="session")
def beyond_basics_run(tmp_path_factory) -> DemoRun:
    """`mllab demo beyond_basics` with that assignment's mutation corpus and a Colab student too."""
    return _later_class_run(tmp_path_factory, "beyond_basics")


def _later_class_run(tmp_path_factory, assignment: str) -> DemoRun:
    """A class run whose Colab student is the solved release run next to a copy of data/."""
    from tests.student_notebooks import copy_data, execute, solved_release

    folder = tmp_path_factory.mktemp(f"{assignment}_solved")
    copy_data(folder)
    solved = execute(solved_release(assignment=assignment), folder)
    return _class_run(copy_course(tmp_path_factory.mktemp(assignment)), assignment, solved)


@pytest.fixture
def class_run(request) -> DemoRun:
    """The class run of the assignment given as the indirect parameter ``class_run``."""
    return request.getfixturevalue(CLASS_RUNS[request.param])


def proof_of(course: Course, assignment: str) -> ProofClass:
    """The students check-tests judges in a class run: the demo class's perfect student and
    SOLUTION_SEEDS more with the instructor's solution, and the corpus course.toml declares."""
    proof = proof_class(assignment, declaration(course.root, assignment).corpus, SOLUTION_SEEDS, prefix="corpus")
    perfect = DemoStudent("perfect", "the demo class's perfect student: the instructor's solution")
    return replace(proof, solutions=(perfect, *proof.solutions))


def _class_run(course: Course, assignment: str, solved) -> DemoRun:
    """Hand in check-tests' class (the corpus, the solution on more seeds) and the executed ``solved``
    release as Colab saves it (``COLAB_STUDENT``), then run `mllab demo` on them (which adds the demo class)."""
    from tests.student_notebooks import colab_roundtrip

    proof = proof_of(course, assignment)
    corpus = proof.students[1:]  # the demo class hands in perfect
    write_submissions(course, assignment, corpus)
    colab = course.submission_dir(COLAB_STUDENT, assignment)
    colab.mkdir(parents=True)
    nbformat.write(colab_roundtrip(solved), colab / f"{assignment}.ipynb")
    printed: list[str] = []
    run_demo(course, (assignment,), say=printed.append)
    students = [s.student_id for s in demo_class(course, assignment)] + [s.student_id for s in corpus] + [COLAB_STUDENT]
    scores = {s.student: s for s in assignment_scores(course, assignment)}
    return DemoRun(course, students, scores, printed, assignment, proof)


def autograde_processes(course: Course) -> list[psutil.Process]:
    """Processes of an `mllab autograde` run on ``course`` still alive: its workers (their command
    line names the course) and its zygotes and kernels (this worker's sandbox uids; kernels keep
    the zygote's command line)."""
    alive = []
    for process in psutil.process_iter(["cmdline", "uids"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        ours = str(course.root) in cmdline or (process.info["uids"] and process.info["uids"].real in SANDBOX_UIDS)
        if "mllab.autograde" in cmdline and ours:
            alive.append(process)
    return alive


def is_grading_worker(process: psutil.Process) -> bool:
    """A grading worker: started plainly, or forked by the run's forker (it keeps the forker's command line)."""
    forked = lambda p: "mllab.autograde.forker" in " ".join(p.cmdline())
    try:
        return "mllab.autograde.worker" in " ".join(process.cmdline()) or (forked(process) and forked(process.parent()))
    except psutil.Error:
        return False


def page_text(path) -> str:
    """The visible text of an HTML page (no styles, scripts or tags), white space folded."""
    raw = path.read_text(encoding="utf-8")
    raw = re.sub(r"<(style|script)\b.*?</\1>", "", raw, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


def cell_by_grade_id(nb, grade_id: str):
    """The cell of ``nb`` whose nbgrader grade id is ``grade_id``."""
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


cell_outputs_text = cell_text  # all text a cell showed: streams, results and error messages (check-tests reads it too)


REPORT: list[str] = []  # lines for the summary at the end of the run (in the controlling process)


@pytest.fixture
def report_lines(record_property):
    """``add(lines)``: lines for the "grading report" at the end of the run (also from xdist workers)."""
    return lambda lines: record_property("grading_report", list(lines))


def pytest_runtest_logreport(report):
    for name, lines in report.user_properties:
        if name == "grading_report" and report.when == "call":
            REPORT.extend(([""] if REPORT else []) + lines)


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.section("grading report")
        for line in REPORT:
            terminalreporter.write_line(line)
