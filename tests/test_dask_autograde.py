"""Does `mllab autograde --scheduler` grade a class on a real Dask cluster (a scheduler and worker
processes over loopback TCP) like the local pool, and survive workers that die, stall or are poisoned?"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import psutil
import pytest

from mllab.autograde.state import load_outcomes
from mllab.classes.demo import LOSS_AND_METRIC, write_submissions
from mllab.course.scores import assignment_scores
from tests.conftest import ASSIGNMENT, WORKER, copy_course, release_assignment
from mllab.autograde.local_cluster import BIN, Cluster

CLASS = ("perfect", "blank", "mse_sum_naive_softmax", "macro_as_precision")
FIRST_UID = 64000 + 100 * WORKER  # the Dask workers' sandboxes, apart from the local pools' uids
POISON = "import os, signal\nos.kill(int(os.environ['JPY_PARENT_PID']), signal.SIGKILL)"


def _course(folder: Path, students=CLASS):
    course = copy_course(folder)
    release_assignment(course, ASSIGNMENT)
    write_submissions(course, ASSIGNMENT, tuple(s for s in LOSS_AND_METRIC if s.student_id in students))
    return course


def _start(course, cluster: Cluster, *args: str) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "mllab"), "autograde", ASSIGNMENT, "--scheduler", cluster.address, *args],
                            cwd=course.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"})


def _recorded_lines(stderr: str) -> Counter:
    """How often the progress bar reported each student (once per recorded result)."""
    return Counter(m.group(1) for m in re.finditer(r"\] \d+/\d+  (\S+): ", stderr))


def _cells(course) -> dict:
    return {s.student: s.cell_scores for s in assignment_scores(course, ASSIGNMENT)}


def _student_kernel(worker: psutil.Process) -> bool:
    """Does this worker run a student's kernel (a child of its zygote, not the start-up probe's)?"""
    try:
        forked = [p for p in worker.children(recursive=True) if "mllab.autograde.zygote" in " ".join(p.cmdline())
                  and "mllab.autograde.zygote" in " ".join(p.parent().cmdline())]
        return any(not p.cwd().endswith(".probe") for p in forked)
    except psutil.Error:
        return False


def _grading(cluster: Cluster, timeout: float = 300) -> psutil.Process:
    """A worker process that is grading a student now."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for worker in cluster.worker_processes():
            if _student_kernel(worker):
                return worker
        time.sleep(0.2)
    raise AssertionError("no worker started grading")


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> dict:
    """The class graded by the local pool: what every Dask run must match, cell by cell."""
    from mllab.autograde.run import autograde_class

    course = _course(tmp_path_factory.mktemp("baseline"))
    autograde_class(course, ASSIGNMENT, jobs=2, say=lambda line: None)
    return _cells(course)


# A worker that is setting up (importing torch & co in a thread) can miss heartbeats for over ten
# seconds on a busy machine, so only the test that needs the scheduler to give up on a worker sets
# a worker-ttl, and a generous one; the others keep Dask's default (5 minutes).
WORKER_TTL = 30


@pytest.fixture
def cluster(tmp_path, request):
    ttl = {"scheduler__worker_ttl": f"{WORKER_TTL}s"} if request.node.get_closest_marker("worker_ttl") else {}
    running = Cluster(tmp_path / "cluster", first_uid=FIRST_UID, scheduler__allowed_failures="1", **ttl)
    yield running
    running.stop()


def test_a_class_graded_on_a_dask_cluster_gets_the_local_pools_scores(tmp_path, cluster, baseline):
    course = _course(tmp_path / "course")
    process = _start(course, cluster)
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    assert _cells(course) == {s: baseline[s] for s in CLASS}
    assert set(_recorded_lines(err).values()) == {1}


def test_a_worker_killed_while_grading_loses_no_student_and_leaves_nothing(tmp_path, cluster, baseline):
    course = _course(tmp_path / "course")
    process = _start(course, cluster)
    victim = _grading(cluster)
    its_processes = victim.children(recursive=True)
    victim.kill()
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    assert _recorded_lines(err) == Counter({s: 1 for s in CLASS})
    assert _cells(course) == {s: baseline[s] for s in CLASS}
    time.sleep(2)
    assert [p for p in its_processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE] == []


@pytest.mark.worker_ttl
def test_a_worker_paused_past_the_timeout_is_not_recorded_twice(tmp_path, cluster, baseline):
    course = _course(tmp_path / "course")
    process = _start(course, cluster)
    paused = _grading(cluster)
    paused.send_signal(signal.SIGSTOP)
    time.sleep(WORKER_TTL + 15)  # past the scheduler's worker-ttl: its task goes to the other worker
    with contextlib.suppress(psutil.NoSuchProcess):  # its nanny may have replaced it meanwhile
        paused.send_signal(signal.SIGCONT)
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    assert _recorded_lines(err) == Counter({s: 1 for s in CLASS})
    assert _cells(course) == {s: baseline[s] for s in CLASS}


def test_a_poison_submission_gets_its_own_status_and_the_rest_is_graded(tmp_path, cluster, baseline):
    import nbformat

    course = _course(tmp_path / "course", ("perfect", "blank"))
    poisoned = course.submission_dir("poison", ASSIGNMENT)
    poisoned.mkdir(parents=True)
    nb = nbformat.read(course.submission_dir("perfect", ASSIGNMENT) / f"{ASSIGNMENT}.ipynb", as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell(POISON))
    nbformat.write(nb, poisoned / f"{ASSIGNMENT}.ipynb")
    process = _start(course, cluster, "--unsafe-no-sandbox")  # only without the sandbox can a kernel reach its worker
    out, err = process.communicate(timeout=900)
    assert process.returncode == 8, err
    outcomes = load_outcomes(course, ASSIGNMENT)
    assert outcomes["poison"].status == "error" and "killed every worker" in outcomes["poison"].detail
    assert {s: outcomes[s].status for s in ("perfect", "blank")} == {"perfect": "graded", "blank": "graded"}
    assert {s: c for s, c in _cells(course).items() if s != "poison"} == {
        s: baseline[s] for s in ("perfect", "blank")}


def _wait_for_first_result(course, timeout: float = 600) -> set:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        recorded = set(load_outcomes(course, ASSIGNMENT))
        if recorded:
            return recorded
        time.sleep(0.2)
    raise AssertionError("no student was recorded")


def test_a_coordinator_killed_midway_is_rerun_for_the_missing_students_only(tmp_path, cluster, baseline):
    course = _course(tmp_path / "course")
    first = _start(course, cluster)
    _wait_for_first_result(course)
    first.kill()  # SIGKILL: no handler runs, its Dask client just disappears
    first.communicate(timeout=60)
    recorded = set(load_outcomes(course, ASSIGNMENT))
    assert recorded and recorded < set(CLASS), "the kill came too late to leave students ungraded"
    rerun = _start(course, cluster)
    out, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err
    assert _recorded_lines(err) == Counter({s: 1 for s in CLASS if s not in recorded})
    assert _cells(course) == {s: baseline[s] for s in CLASS}


def test_the_grading_service_grades_a_hand_in_on_the_cluster_as_the_local_pool_does(tmp_path, cluster, baseline):
    """`mllab serve --scheduler`: a student hands in through nbgrader's exchange; the service grades it
    on the Dask workers, cell for cell as the local pool does, and releases the student's feedback."""
    from mllab.classes.demo import demo_class
    from mllab.classes.exchange_students import ExchangeStudent
    from mllab.course.exchange import EXCHANGE_VARIABLE

    course, exchange = copy_course(tmp_path / "course"), tmp_path / "exchange"
    env = {**os.environ, EXCHANGE_VARIABLE: str(exchange), "PATH": f"{BIN}:{os.environ['PATH']}"}
    subprocess.run([str(BIN / "mllab"), "hand-out", ASSIGNMENT], cwd=course.root, env=env, check=True,
                   capture_output=True)
    student = ExchangeStudent("macro_as_precision", tmp_path / "home", exchange, "loss_and_metric_lab")
    student.fetch(ASSIGNMENT)
    student.work(course.source_notebook(ASSIGNMENT), ASSIGNMENT,
                 next(s for s in demo_class(course, ASSIGNMENT) if s.student_id == "macro_as_precision"))
    student.submit(ASSIGNMENT)
    service = subprocess.Popen([str(BIN / "mllab"), "serve", ASSIGNMENT, "--scheduler", cluster.address],
                               cwd=course.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 600
        while "feedback tasks" not in _service_log(course):
            assert service.poll() is None and time.monotonic() < deadline, "the service graded nothing"
            time.sleep(0.5)
    finally:
        service.send_signal(signal.SIGTERM)
        _, err = service.communicate(timeout=120)
    assert service.returncode == 0, err
    assert _cells(course)["macro_as_precision"] == baseline["macro_as_precision"]
    assert student.fetch_feedback(ASSIGNMENT)


def _service_log(course) -> str:
    path = course.root / ".mllab" / "serve" / "serve.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""
