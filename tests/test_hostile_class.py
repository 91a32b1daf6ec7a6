"""Can a hostile submission gain points, touch anything outside its folder, or outlive its grading?"""

from __future__ import annotations

import csv
import hashlib
import json
import socket
import threading
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from mllab.autograde.run import autograde_class
from mllab.classes.demo import LOSS_AND_METRIC, write_submissions
from mllab.classes.hostile import CASES, MARK, honest_base, write_hostile_class
from mllab.course.scores import assignment_scores
from tests.conftest import ASSIGNMENT, SANDBOX_UIDS, autograde_processes, copy_course, release_assignment

GRADER_WRITES = ("autograded", "feedback", ".mllab", "gradebook.db", "gradebook.db-journal")
MARKER_PLACES = (Path.home() / MARK, Path("/tmp") / MARK, Path("/") / MARK)


def _snapshot(root: Path) -> dict[str, str]:
    """sha256 of every file the grader itself does not write."""
    files = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0] in GRADER_WRITES or not path.is_file():
            continue
        files[str(relative)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


class Listener:
    """A TCP server on loopback that counts who reached it."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            connection.close()


def _marked_processes() -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline", "username"]):
        try:
            if any(MARK in part for part in process.info["cmdline"] or []) or process.uids().real in SANDBOX_UIDS:
                found.append(process)
        except psutil.Error:
            continue
    return found


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    for place in MARKER_PLACES:
        place.unlink(missing_ok=True)
    course = copy_course(tmp_path_factory.mktemp("hostile"))
    release_assignment(course, ASSIGNMENT)
    write_submissions(course, ASSIGNMENT, tuple(s for s in LOSS_AND_METRIC if s.student_id in ("perfect", "blank")))
    listener = Listener()
    students = write_hostile_class(course, ASSIGNMENT, port=listener.port)
    before = _snapshot(course.root)
    outcomes = {o.student: o for o in autograde_class(course, ASSIGNMENT, jobs=2, memory_gb=3.0, cell_timeout=10,
                                                      wall_limit=60, say=lambda line: None)}
    time.sleep(8)  # a daemon that survived would act now
    scores = {s.student: s.auto_score for s in assignment_scores(course, ASSIGNMENT)}
    yield course, outcomes, scores, before, listener, students
    listener.server.close()
    for place in MARKER_PLACES:
        place.unlink(missing_ok=True)


def test_every_hostile_submission_was_graded(hostile_run):
    _, outcomes, _, _, _, students = hostile_run
    assert set(students) <= set(outcomes)
    assert {s: o.status for s, o in outcomes.items() if o.status == "error"} == {}


def test_the_honest_students_get_their_honest_scores(hostile_run):
    _, _, scores, *_ = hostile_run
    assert scores["perfect"] == 100 and scores["blank"] == 0
    assert scores["honest_wrong"] == 97  # the MSE tasks lose their 3 points


@pytest.mark.parametrize("case", [c.student_id for c in CASES])
def test_no_attack_scores_above_its_honest_base(hostile_run, case):
    _, outcomes, scores, *_ = hostile_run
    assert scores[case] <= scores[honest_base(case)], outcomes[case]


# patch_math_isclose fooled the test cell's own check until the cell got its visible check (issue 29):
# that check compares with torch and catches the summed MSE in the kernel, so the cheat earns nothing
# there any more and is plain "graded" (test_no_attack_scores_above_its_honest_base still holds it).
@pytest.mark.parametrize("case", ["patch_grading_helpers", "input_transformer",
                                  "skip_execution_tags"])
def test_a_cheat_that_fooled_the_notebooks_own_check_is_reported_as_tampered(hostile_run, case):
    _, outcomes, *_ = hostile_run
    assert outcomes[case].status == "tampered", outcomes[case]


def test_no_file_outside_a_students_working_copy_changed(hostile_run):
    course, _, _, before, *_ = hostile_run
    after = _snapshot(course.root)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert changed == []
    assert [str(p) for p in MARKER_PLACES if p.exists()] == []


def test_no_process_survives_grading(hostile_run):
    course, *_ = hostile_run
    assert _marked_processes() == []
    assert autograde_processes(course) == [], "a worker, zygote or kernel of this run is still alive"


def test_nothing_reached_the_network(hostile_run):
    *_, listener, _ = hostile_run
    assert listener.connections == 0


def test_no_solution_gradebook_or_other_student_reaches_an_output(hostile_run):
    course, *_ = hostile_run
    for case in ("read_source", "read_other_students", "write_gradebook", "gradebook_daemon"):
        nb = nbformat.read(course.root / "autograded" / case / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
        printed = json.dumps([cell.get("outputs", []) for cell in nb.cells])
        for secret in ("BEGIN SOLUTION", "SQLite format 3", "honest_wrong", "submitted/perfect"):
            assert secret not in printed, (case, secret)


def test_restored_and_overruled_test_cells_are_recorded_and_reported(hostile_run):
    from mllab.report.class_report import collect

    course, outcomes, scores, *_ = hostile_run
    nb = nbformat.read(course.root / "autograded" / "edited_deleted_moved_tests" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                       as_version=4)
    assert nb.metadata["mllab"]["restored_cells"] == [
        {"grade_id": "test_mse_own", "reasons": ["edited"]}, {"grade_id": "test_ce_own", "reasons": ["deleted"]},
        {"grade_id": "test_cosine_lib", "reasons": ["moved"]}]
    assert scores["edited_deleted_moved_tests"] == scores["perfect"]  # the restored tests still count
    perfect = nbformat.read(course.root / "autograded" / "perfect" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    record = perfect.metadata["mllab"]
    assert (record["restored_cells"], record["overruled_cells"]) == ([], [])
    assert all(part["passed"] for cell in record["findings"].values() for part in cell["parts"])
    listed = {t.student: t for t in collect(course, ASSIGNMENT).tampering}
    assert "test_ce_own (deleted)" in listed["edited_deleted_moved_tests"].restored
    assert "test_mse_own" in listed["skip_execution_tags"].overruled
    assert "perfect" not in listed and "honest_wrong" not in listed


def test_the_report_csv_names_the_restored_and_overruled_cells_of_each_student(hostile_run, tmp_path):
    from mllab.report.class_report import collect
    from mllab.report.csv_files import write_csv

    course, *_ = hostile_run
    with write_csv(collect(course, ASSIGNMENT), tmp_path / "report.csv").open(encoding="utf-8", newline="") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    assert "test_ce_own (deleted)" in rows["edited_deleted_moved_tests"]["restored_cells"]
    assert "test_mse_own" in rows["skip_execution_tags"]["overruled_cells"]
    assert rows["perfect"]["restored_cells"] == rows["perfect"]["overruled_cells"] == ""


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx"])
def test_a_csv_field_a_spreadsheet_would_run_as_a_formula_is_written_as_text(text):
    from mllab.report.csv_files import csv_text

    assert csv_text(text) == "'" + text and csv_text("perfect") == "perfect"
