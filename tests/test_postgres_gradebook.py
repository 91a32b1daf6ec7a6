"""Does the course work with its gradebook on a real PostgreSQL server (MLLAB_DB_URL), graded by the
local pool and on a Dask cluster, and does a TA's manual grade saved in the running formgrader while
the class is autograded survive next to the autograded scores?"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mllab.autograde.local_cluster import Cluster
from mllab.autograde.state import state_file
from mllab.classes.demo import LOSS_AND_METRIC, write_submissions
from mllab.course.paths import DB_URL_VARIABLE
from mllab.course.scores import assignment_scores
from tests.conftest import ASSIGNMENT, REPO, WORKER, autograde_processes, copy_course

CLASS = ("perfect", "blank", "mse_sum_naive_softmax")
WRITTEN = "answer_cosine"  # a written answer of loss_and_metric, graded by hand in the formgrader
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    """A PostgreSQL server of its own on loopback, started and stopped by scripts/postgres.sh."""
    folder = tmp_path_factory.mktemp("postgres")
    script = str(REPO / "scripts" / "postgres.sh")
    url = subprocess.run(["bash", script, "start", str(folder), str(_free_port())], check=True, capture_output=True,
                         text=True, timeout=180).stdout.strip().splitlines()[-1]
    yield url
    subprocess.run(["bash", script, "stop", str(folder)], timeout=120)


def _env(url: str) -> dict[str, str]:
    return {**os.environ, DB_URL_VARIABLE: url, "PATH": f"{BIN}:{os.environ['PATH']}"}


def _mllab(course, url, *args, check=True):
    return subprocess.run([str(BIN / "mllab"), *args], cwd=course.root, env=_env(url), capture_output=True,
                          text=True, timeout=900, check=check)


def _formgrader_api(server, path: str, body: dict | None = None):
    """A call to nbgrader's formgrader REST API, as its page makes it when a TA saves a score."""
    import urllib.request

    request = urllib.request.Request(f"{server.url}/formgrader/api/{path}", method="PUT" if body else "GET",
                                     data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"token {server.token}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def _grade_in_the_formgrader(server, student: str, points: float) -> None:
    """A TA saves a manual score for the student's written answer in the running formgrader."""
    notebooks = _formgrader_api(server, f"submitted_notebooks/{ASSIGNMENT}/{ASSIGNMENT}")
    submission = next(n["id"] for n in notebooks if n["student"] == student)
    grade = next(g for g in _formgrader_api(server, f"grades?submission_id={submission}") if g["name"] == WRITTEN)
    saved = _formgrader_api(server, f"grade/{grade['id']}", {"manual_score": points})
    assert saved["manual_score"] == points


def _set_db_url(value: str | None) -> None:
    if value is None:
        os.environ.pop(DB_URL_VARIABLE, None)
    else:
        os.environ[DB_URL_VARIABLE] = value


@contextlib.contextmanager
def _formgrader(course, url: str, home: Path):
    """JupyterLab with nbgrader's formgrader in the course folder, its gradebook on PostgreSQL."""
    from tests.browser import jupyter_lab

    before = os.environ.get(DB_URL_VARIABLE)
    _set_db_url(url)  # the server takes it from the environment it starts in
    try:
        with jupyter_lab(course.root, home) as server:
            _set_db_url(before)
            yield server
    finally:
        _set_db_url(before)


def _recorded(course) -> set[str]:
    try:
        return set(json.loads(state_file(course, ASSIGNMENT).read_text(encoding="utf-8"))["students"])
    except (OSError, ValueError):
        return set()


def _wait_for_a_new_result(course, since: float, process: subprocess.Popen) -> None:
    path = state_file(course, ASSIGNMENT)
    while process.poll() is None and path.stat().st_mtime <= since:
        time.sleep(0.1)


@pytest.fixture(scope="module")
def graded_on_postgres(tmp_path_factory, postgres):
    """Release and two autograde runs against PostgreSQL: the first on the local pool, the second
    (forced) on a Dask cluster; during the second, after its first result, a TA grades by hand."""
    course = copy_course(tmp_path_factory.mktemp("pg_course"))
    _mllab(course, postgres, "release", ASSIGNMENT)
    write_submissions(course, ASSIGNMENT, tuple(s for s in LOSS_AND_METRIC if s.student_id in CLASS))
    first = _mllab(course, postgres, "autograde", ASSIGNMENT, "--jobs", "2")
    before, since = _recorded(course), state_file(course, ASSIGNMENT).stat().st_mtime
    cluster = Cluster(tmp_path_factory.mktemp("pg_cluster"), first_uid=64050 + 100 * WORKER)
    try:
        with _formgrader(course, postgres, tmp_path_factory.mktemp("pg_formgrader")) as server:
            second = subprocess.Popen([str(BIN / "mllab"), "autograde", ASSIGNMENT, "--scheduler", cluster.address,
                                       "--force"], cwd=course.root, env=_env(postgres), stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
            _wait_for_a_new_result(course, since, second)
            _grade_in_the_formgrader(server, "perfect", 2.0)  # while the second run grades (and rewrites) the class
            out, err = second.communicate(timeout=900)
    finally:
        cluster.stop()
    return course, postgres, first, (second.returncode, out, err), before


def test_a_class_autograded_against_postgresql_gets_the_sqlite_scores(graded_on_postgres, demo_run, monkeypatch):
    course, url, first, (code, _, err), before = graded_on_postgres
    assert first.returncode == 0 and code == 0, first.stderr + err
    assert before == set(CLASS)
    assert not course.gradebook.exists()  # nothing went to SQLite
    monkeypatch.setenv(DB_URL_VARIABLE, url)
    scores = {s.student: s.cell_scores for s in assignment_scores(course, ASSIGNMENT)}
    expected = {s: {k: v for k, v in demo_run.scores[s].cell_scores.items() if k != WRITTEN} for s in CLASS}
    assert {s: {k: v for k, v in cells.items() if k != WRITTEN} for s, cells in scores.items()} == expected


def test_a_manual_grade_written_during_the_autograde_run_is_kept(graded_on_postgres, monkeypatch):
    course, url, *_ = graded_on_postgres
    monkeypatch.setenv(DB_URL_VARIABLE, url)
    scores = {s.student: s for s in assignment_scores(course, ASSIGNMENT)}
    assert scores["perfect"].cell_scores[WRITTEN] == (2.0, 2.0)
    assert scores["perfect"].auto_score == 100


def test_report_feedback_and_export_work_against_postgresql(graded_on_postgres):
    course, url, *_ = graded_on_postgres
    report = _mllab(course, url, "report", ASSIGNMENT)
    assert (course.root / "reports" / f"{ASSIGNMENT}.html").is_file(), report.stderr
    env = _env(url)
    subprocess.run([str(BIN / "nbgrader"), "generate_feedback", ASSIGNMENT], cwd=course.root, env=env, check=True,
                   capture_output=True, timeout=600)
    assert all((course.feedback_dir(s, ASSIGNMENT) / f"{ASSIGNMENT}.html").is_file() for s in CLASS)
    subprocess.run([str(BIN / "nbgrader"), "export", "--to=grades.csv"], cwd=course.root, env=env, check=True,
                   capture_output=True, timeout=600)
    rows = {r["student_id"]: r for r in csv.DictReader((course.root / "grades.csv").open(encoding="utf-8"))}
    assert float(rows["perfect"]["score"]) == 102.0 and float(rows["blank"]["score"]) == 0.0


def test_workers_get_no_database_address_and_none_survives(graded_on_postgres, monkeypatch):
    from mllab.autograde.pool import _worker_environment

    course, url, *_ = graded_on_postgres
    monkeypatch.setenv(DB_URL_VARIABLE, url)
    assert DB_URL_VARIABLE not in _worker_environment()
    assert autograde_processes(course) == []
