"""Does `mllab serve` grade every hand-in as it arrives and return its feedback to that student alone,
through nbgrader's real exchange and apps, with the course's policies, and lose nothing when killed?

One service run on one course copy is shared by the tests of this module (it is the expensive part):

1. hand-out; four students hand in before the service starts (one of them twice, the second time
   after working, one a broken notebook, one a notebook that patches the grading helpers);
2. the service starts and is SIGKILLed the moment it recorded its first hand-in; nothing of it may be
   left running; a student hands in while it is down; it starts again and must grade the rest once;
   `mllab autograde` and `mllab collect-and-grade` are refused while it runs; both grading workers are
   killed while a slow hand-in runs: that hand-in is graded again, not given a 0;
3. the policy goes to ``full``, a student hands in; then to ``none``, another (with an extension);
4. back at ``tasks``, with the limit at 2 graded feedbacks, the student who handed in while the
   service was down hands in twice more: the third is kept;
5. the deadline is set a few seconds ahead (after every hand-in so far): at it, each student's last
   hand-in before it gets its final feedback, except the one with the extension; a late hand-in
   follows, and loses the late penalty;
6. SIGTERM; `mllab autograde --force` of four of the same notebooks must give the same scores.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from mllab.classes.broken import perfect_notebook
from mllab.classes.demo import demo_class
from mllab.classes.exchange_students import ExchangeStudent
from mllab.classes.hostile import CASES as HOSTILE_CASES, hostile_notebook
from mllab.course.exchange import EXCHANGE_VARIABLE
from mllab.course.paths import Course
from mllab.course.scores import assignment_scores
from mllab.report.feedback import hidden_lines
from tests.conftest import ASSIGNMENT, REPO, autograde_processes, copy_course, is_grading_worker

BIN = Path(sys.executable).parent
COURSE_ID = "loss_and_metric_lab"
WAIT = 600  # seconds any one step may take on a slow day (the test waits for events, never for a time)
DEMO = {s.student_id: s for s in demo_class(Course(REPO), ASSIGNMENT)}
# Graded again by `mllab autograde --force` at the end: a late hand-in, a tampered one, the final of a kept one.
BATCH = ("perfect", "macro_as_precision", "patcher", "ssim_added_reshape")


@dataclass
class Served:
    course: object
    exchange: Path
    students: dict[str, ExchangeStudent]
    pages: dict[str, str] = field(default_factory=dict)  # student -> the page fetched before the deadline
    finals: dict[str, str] = field(default_factory=dict)  # student -> the page fetched after the deadline
    left_after_kill: list = field(default_factory=list)
    autograde_busy: subprocess.CompletedProcess | None = None
    collect_busy: subprocess.CompletedProcess | None = None
    status: str = ""
    stopped: int | None = None
    left_after_stop: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    log: str = ""
    batch: dict[str, float] = field(default_factory=dict)
    scores: dict = field(default_factory=dict)


def _env(exchange: Path) -> dict[str, str]:
    return {**os.environ, EXCHANGE_VARIABLE: str(exchange), "PATH": f"{BIN}:{os.environ['PATH']}"}


def _mllab(course, exchange: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "mllab"), *args], cwd=course.root, env=_env(exchange), capture_output=True,
                          text=True, timeout=WAIT)


def _start(course, exchange: Path) -> subprocess.Popen:
    log = open(course.root / "serve-stderr.txt", "a", encoding="utf-8")
    return subprocess.Popen([str(BIN / "mllab"), "serve", ASSIGNMENT, "--poll", "0.3", "--jobs", "2"],
                            cwd=course.root, env=_env(exchange), stdout=log, stderr=log)


def _rows(course) -> dict[tuple[str, str], tuple]:
    """(student, timestamp) -> (state, status, score, feedback) from the service's ledger."""
    path = course.root / ".mllab" / "serve" / "ledger.db"
    if not path.exists():
        return {}
    try:
        with sqlite3.connect(path, timeout=30) as db:
            rows = db.execute("SELECT student, timestamp, state, status, score, feedback FROM handins").fetchall()
    except sqlite3.OperationalError:  # the service is creating it
        return {}
    return {(r[0], r[1]): r[2:] for r in rows}


def _finals(course) -> set[str]:
    with sqlite3.connect(course.root / ".mllab" / "serve" / "ledger.db", timeout=30) as db:
        return {r[0] for r in db.execute("SELECT student FROM finals")}


def _wait(what: str, ready, service: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + WAIT
    while not ready():
        if service is not None and service.poll() is not None:
            raise AssertionError(f"the service ended (exit {service.returncode}) while waiting for {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.3)


def _done(course, student: ExchangeStudent, state: str = "done") -> bool:
    latest = student.submissions()[-1]
    return _rows(course).get((student.student_id, latest), ("",))[0] == state


def _set(course, table: str, key: str, value: str) -> None:
    """Set ``key = value`` in the ``[table]`` of the course's course.toml (the service rereads it)."""
    path = course.root / "course.toml"
    text = path.read_text(encoding="utf-8")
    block = re.search(rf"^\[{re.escape(table)}\]\n(.*?)(?=^\[|\Z)", text, re.S | re.M)
    body = re.sub(rf"^{key} = .*\n", "", block.group(1), flags=re.M)
    text = text[:block.start(1)] + f"{key} = {value}\n" + body + text[block.end(1):]
    partial = path.with_suffix(".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)  # as an editor saves it: the service never reads half a file


def _policy(course, value: str, service: subprocess.Popen) -> None:
    """Set the policy, and wait until the service says it is in force (it rereads course.toml a
    second after the file last changed)."""
    _set(course, "serve", "feedback_before_deadline", f'"{value}"')
    _wait(f"the {value} policy in force", lambda: _status_field(course, "policy") == value, service)


def _status_field(course, name: str):
    try:
        return json.loads((course.root / ".mllab" / "serve" / "status.json").read_text(encoding="utf-8")).get(name)
    except (OSError, ValueError):
        return None


def _student(course, exchange: Path, folder: Path, student_id: str) -> ExchangeStudent:
    student = ExchangeStudent(student_id, folder / "homes" / student_id, exchange, COURSE_ID)
    student.fetch(ASSIGNMENT)
    return student


def _works(course, student: ExchangeStudent, demo: str) -> None:
    student.work(course.source_notebook(ASSIGNMENT), ASSIGNMENT, DEMO[demo])


def _feedback(student: ExchangeStudent) -> str:
    """The page of the student's latest hand-in, as fetch_feedback brings it."""
    pages = student.fetch_feedback(ASSIGNMENT)
    latest = student.submissions()[-1]
    return next(p for p in pages if p.parent.name == latest).read_text(encoding="utf-8")


def _hand_in_before_start(course, exchange: Path, folder: Path) -> dict[str, ExchangeStudent]:
    students = {name: _student(course, exchange, folder, name)
                for name in ("perfect", "macro_as_precision", "broken", "patcher")}
    students["perfect"].submit(ASSIGNMENT)  # the release untouched: superseded by the next hand-in
    for name in ("perfect", "macro_as_precision"):
        _works(course, students[name], name)
        students[name].submit(ASSIGNMENT)
    students["broken"].notebook(ASSIGNMENT).write_text('{"cells": [', encoding="utf-8")
    students["broken"].submit(ASSIGNMENT)
    case = next(c for c in HOSTILE_CASES if c.student_id == "patch_grading_helpers")
    nbformat.write(hostile_notebook(case, perfect_notebook(course, ASSIGNMENT)), students["patcher"].notebook(ASSIGNMENT))
    students["patcher"].submit(ASSIGNMENT)
    return students


def _left(course) -> list:
    """The service's workers, zygotes and kernels still alive 15 s after it ended (they die with it)."""
    deadline = time.monotonic() + 15
    while (left := autograde_processes(course)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return left


def _kill_after_first_record(course, exchange: Path, served: Served) -> subprocess.Popen:
    """Start, SIGKILL as soon as one hand-in is recorded, note what is left, hand in while down, restart."""
    service = _start(course, exchange)
    try:
        _wait("the first recorded hand-in", lambda: any(r[0] == "done" for r in _rows(course).values()), service)
    finally:
        service.kill()
        service.wait()
    served.left_after_kill = _left(course)
    eager = served.students["ssim_added_reshape"] = _student(course, exchange, course.root.parent, "ssim_added_reshape")
    _works(course, eager, "ssim_added_reshape")
    eager.submit(ASSIGNMENT)  # while the service is down
    return _start(course, exchange)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Served:
    folder = tmp_path_factory.mktemp("serve")
    course, exchange = copy_course(folder / "course"), folder / "exchange"
    _set(course, "serve", "feedback_limit", "2")
    assert _mllab(course, exchange, "hand-out", ASSIGNMENT).returncode == 0
    result = Served(course, exchange, _hand_in_before_start(course, exchange, folder))
    service = _kill_after_first_record(course, exchange, result)
    students = result.students
    try:
        _wait("the hand-ins made before the start and while down",
              lambda: all(_done(course, s) for s in students.values()), service)
        result.autograde_busy = _mllab(course, exchange, "autograde", ASSIGNMENT)
        result.collect_busy = _mllab(course, exchange, "collect-and-grade", ASSIGNMENT)
        _worker_killed_mid_grading(course, exchange, folder, students, service)
        _policy_students(course, exchange, folder, students, service)
        _policy(course, "tasks", service)
        eager = students["ssim_added_reshape"]
        for _ in range(2):  # the second and third hand-in: the limit is 2 graded feedbacks
            eager.submit(ASSIGNMENT)
            _wait("eager's next hand-in", lambda: _done(course, eager) or _done(course, eager, "deferred"), service)
        result.pages = {name: _feedback(s) for name, s in students.items()}
        _deadline(course, exchange, students, service)
        result.finals = {name: _feedback(s) for name, s in students.items()}
        result.status = _mllab(course, exchange, "serve-status").stdout
    finally:
        service.send_signal(signal.SIGTERM)
        result.stopped = service.wait(timeout=120)
    result.left_after_stop = _left(course)
    result.rows = _rows(course)
    result.log = (course.root / ".mllab" / "serve" / "serve.log").read_text(encoding="utf-8")
    result.scores = {s.student: s for s in assignment_scores(course, ASSIGNMENT)}
    graded = _mllab(course, exchange, "autograde", ASSIGNMENT, "--force", "--jobs", "2", "--student", *BATCH)
    assert graded.returncode == 0, graded.stderr
    result.batch = {s.student: s.auto_score for s in assignment_scores(course, ASSIGNMENT) if s.student in BATCH}
    return result


def _in_progress_for(course, student: str) -> float:
    """How long the service has been grading ``student`` (0 when it is not), from its status file."""
    running = _status_field(course, "in_progress") or []
    return max([time.time() - j["since"] for j in running if j["student"] == student] or [0.0])


def _worker_killed_mid_grading(course, exchange, folder, students, service) -> None:
    """A hand-in whose notebook sleeps 10 s; both workers are killed while it runs: a grader-side failure."""
    sleeper = students["sleeper"] = _student(course, exchange, folder, "sleeper")
    nb = perfect_notebook(course, ASSIGNMENT)
    nb.cells.insert(1, nbformat.v4.new_code_cell("import time\ntime.sleep(10)"))
    nbformat.write(nb, sleeper.notebook(ASSIGNMENT))
    sleeper.submit(ASSIGNMENT)
    _wait("the sleeper being graded for 3 s", lambda: _in_progress_for(course, "sleeper") > 3, service)
    for process in autograde_processes(course):
        if is_grading_worker(process):
            process.kill()
    _wait("the sleeper graded after its worker was killed", lambda: _done(course, sleeper), service)


def _policy_students(course, exchange, folder, students, service) -> None:
    _policy(course, "full", service)
    full = students["roc_swapped_dice_iou"] = _student(course, exchange, folder, "roc_swapped_dice_iou")
    _works(course, full, "roc_swapped_dice_iou")
    full.submit(ASSIGNMENT)
    _wait("the hand-in under the full policy", lambda: _done(course, full), service)
    _policy(course, "none", service)
    quiet = students["cosine_wrong_axis_roc_strict"] = _student(course, exchange, folder, "cosine_wrong_axis_roc_strict")
    _works(course, quiet, "cosine_wrong_axis_roc_strict")
    quiet.submit(ASSIGNMENT)
    _wait("the hand-in under the none policy", lambda: _done(course, quiet), service)


def _deadline(course, exchange, students, service) -> None:
    """The deadline a few seconds after every hand-in so far; an extension of a day for the quiet student."""
    (course.root / "extensions.csv").write_text(
        "student_id,assignment,extra_days,new_deadline,reason\ncosine_wrong_axis_roc_strict,loss_and_metric,1,,ill\n",
        encoding="utf-8")
    due = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=3)
    _set(course, f"assignments.{ASSIGNMENT}", "due", due.isoformat(timespec="seconds"))
    on_time = set(students) - {"cosine_wrong_axis_roc_strict"}
    _wait("the final feedback of every student past the deadline", lambda: on_time <= _finals(course), service)
    late = students["macro_as_precision"]
    while dt.datetime.now(dt.timezone.utc) <= due:
        time.sleep(0.2)
    late.submit(ASSIGNMENT)
    _wait("the late hand-in", lambda: _done(course, late), service)


def _last_done(served: Served) -> dict[str, tuple]:
    """student -> (status, score, feedback) of their newest hand-in that was graded."""
    done = sorted((ts, student, row) for (student, ts), row in served.rows.items() if row[0] == "done")
    return {student: row[1:] for _, student, row in done}


def test_each_student_gets_their_own_feedback_with_no_instructor_command(served):
    for name, student in served.students.items():
        assert served.pages[name], name
        assert served.finals[name], name
        others = set(served.students) - {name}
        assert not any(f">{other}<" in served.pages[name] for other in others)
    assert "results per task" in served.pages["perfect"] and 'class="bad"' not in served.pages["perfect"]


def page_text_of(page: str) -> str:
    raw = re.sub(r"<(style|script)\b.*?</\1>", "", page, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", raw).split())


def test_a_second_hand_in_before_grading_replaces_the_first(served):
    perfect = sorted((ts, row) for (student, ts), row in served.rows.items() if student == "perfect")
    assert [row[0] for _, row in perfect] == ["superseded", "done"]
    assert _last_done(served)["perfect"][1] == 100


def test_a_sigkill_loses_nothing_records_nothing_twice_and_leaves_no_process(served):
    assert served.left_after_kill == []
    recorded = re.findall(r" (\S+) loss_and_metric recorded \(.*hand-in of ([^)]+)\)", served.log)
    assert recorded and len(recorded) == len(set(recorded)), recorded  # no hand-in recorded twice
    kept = re.findall(r" (\S+) loss_and_metric was recorded before a restart", served.log)
    done = {student for (student, _), row in served.rows.items() if row[0] == "done"}
    assert done == {student for student, _ in recorded} | set(kept)
    assert all(row[0] in ("done", "superseded") for row in served.rows.values()), served.rows
    while_down = served.students["ssim_added_reshape"].submissions()[0]
    assert served.rows[("ssim_added_reshape", while_down)][0] == "done"


def test_the_service_holds_the_course_so_a_manual_autograde_or_collect_refuses(served):
    for refused in (served.autograde_busy, served.collect_busy):
        assert refused.returncode == 9
        assert "mllab serve" in refused.stderr and "serve-status" in refused.stderr


def test_a_grader_side_failure_is_tried_again_and_never_a_zero(served):
    assert "sleeper loss_and_metric error (try 1 of 3, will retry)" in served.log
    assert len(re.findall(r" sleeper loss_and_metric recorded ", served.log)) == 1
    assert _last_done(served)["sleeper"][:2] == ("graded", 100)


def test_tasks_feedback_names_the_mistake_and_shows_no_hidden_input_or_test_code(served, repo):
    page = served.pages["macro_as_precision"]
    text = page_text_of(page)
    assert "✗" in text and "✓" in text and "macro" in text.lower()
    source = nbformat.read(repo.source_notebook(ASSIGNMENT), as_version=4)
    assert not [line for line in hidden_lines(source) if line in page]
    assert "HIDDEN TESTS" not in page and "tensor(" not in page and "def test" not in page


def test_the_full_policy_shows_the_whole_feedback_page(served):
    page = served.pages["roc_swapped_dice_iou"]
    assert "Summary:" in page and "test_mse_own" in page and "BEGIN HIDDEN TESTS" in page


def test_the_none_policy_gives_a_receipt_and_grades_silently(served):
    text = page_text_of(served.pages["cosine_wrong_axis_roc_strict"])
    assert "arrived and was graded" in text and "after the deadline" in text
    assert "points" not in text
    assert _last_done(served)["cosine_wrong_axis_roc_strict"][1] is not None


def test_the_feedback_limit_keeps_the_hand_in_and_says_when_the_next_comes(served):
    text = page_text_of(served.pages["ssim_added_reshape"])
    assert "is kept" in text and "next graded feedback comes at" in text and "2 graded feedbacks" in text
    eager = sorted((ts, row) for (student, ts), row in served.rows.items() if student == "ssim_added_reshape")
    assert [row[3] for _, row in eager] == ["tasks", "tasks", "final"]


def test_at_the_deadline_the_last_hand_in_gets_its_final_feedback_except_with_an_extension(served):
    for name in ("perfect", "patcher", "ssim_added_reshape", "roc_swapped_dice_iou"):
        assert "Summary:" in served.finals[name], name  # nbgrader's whole page
    quiet = page_text_of(served.finals["cosine_wrong_axis_roc_strict"])
    assert "arrived and was graded" in quiet  # still the receipt: the extension runs for another day


def test_a_late_hand_in_loses_the_late_penalty(served):
    late = sorted((ts, row) for (student, ts), row in served.rows.items() if student == "macro_as_precision")
    assert [row[3] for _, row in late] == ["tasks", "full"]
    score = served.scores["macro_as_precision"]
    assert score.late.seconds_late > 0 and score.late.penalty == pytest.approx(0.1 * score.auto_score)
    assert "late" in page_text_of(served.finals["macro_as_precision"])
    assert served.scores["perfect"].late.seconds_late <= 0


def test_broken_and_hostile_hand_ins_get_their_status_and_feedback(served):
    last = _last_done(served)
    assert last["broken"][0] == "ungradable" and last["broken"][1] == 0
    assert "could not be graded" in page_text_of(served.pages["broken"])
    assert last["patcher"][0] == "tampered" and last["patcher"][1] < 100


def test_the_grades_equal_those_of_a_class_run_on_the_same_notebooks(served):
    last = _last_done(served)
    assert set(served.batch) == set(BATCH)
    for student, score in served.batch.items():
        assert last[student][1] == pytest.approx(score), student


def test_the_status_says_what_the_service_did_and_sigterm_stops_it_cleanly(served):
    assert "running" in served.status and "queue: 0 waiting" in served.status and "last graded" in served.status
    assert "policy in force: feedback before the deadline tasks, at most 2 graded feedbacks" in served.status
    assert served.stopped == 0
    assert served.left_after_stop == []
