"""Are students kept apart on the course's exchange when they are real, different Unix users?

An instructor account (not root) hands the assignment out with `mllab hand-out`; two students fetch
and submit with nbgrader's own apps under the hub's student configuration (hub/nbgrader_config.py).
Then the second student tries, as themselves, what a student could try: hand in under the other's
id, list, read, change or delete the other's hand-in or feedback (even knowing its name), change the
release, the course's source/ or gradebook. The instructor collects (the refused hand-in is set
aside, named) and returns feedback, which each student fetches for themselves.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import nbformat
import pytest

from mllab.course import inbound
from mllab.course.exchange import COURSE_MODES, EXCHANGE_VARIABLE, QUARANTINE
from tests.conftest import REPO, copy_course
from tests.unix_users import needs_root, run_as, shared_folder, unix_users, users_bin

pytestmark = needs_root
ASSIGNMENT = "loss_and_metric"
COURSE_ID = "loss_and_metric_lab"
TEACHER, VICTIM, ATTACKER = "mlx_teach", "mlx_s1", "mlx_s2"
MARK = "handed in by the attacker"


@pytest.fixture(scope="module")
def course_on_a_hub():
    """The round as far as the hand-ins: {base, course, exchange, inbound, log lines}."""
    with shared_folder("mllab-exchange-") as base, unix_users([TEACHER, VICTIM, ATTACKER], base / "home") as users:
        course = copy_course(base / "course")
        srv = base / "srv"
        srv.mkdir()
        for path in (course.root, srv):
            shutil.chown(path, TEACHER, TEACHER)
            subprocess.run(["chown", "-R", f"{TEACHER}:{TEACHER}", str(path)], check=True)
        course.root.chmod(0o700)  # as the README asks: the course folder is the instructor's alone
        exchange = srv / "exchange"
        world = {"base": base, "course": course, "exchange": exchange, "users": users,
                 "inbound": exchange / COURSE_ID / "inbound"}
        handed = _instructor(world, [str(users_bin() / "mllab"), "hand-out", ASSIGNMENT])
        assert handed.returncode == 0, handed.stderr
        for student in (VICTIM, ATTACKER):
            _ok(_student(world, student, "fetch_assignment", ASSIGNMENT))
        _ok(_student(world, VICTIM, "submit", ASSIGNMENT))
        notebook = Path(users[ATTACKER].pw_dir) / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        _ok(run_as(ATTACKER, [str(users_bin() / "python"), "-c", _MARK_NOTEBOOK, str(notebook)]))
        world["impostor"] = _student(world, ATTACKER, "submit", ASSIGNMENT, f"--student={VICTIM}")
        _ok(_student(world, ATTACKER, "submit", ASSIGNMENT))
        yield world


_MARK_NOTEBOOK = f"""import sys, nbformat
nb = nbformat.read(sys.argv[1], as_version=4)
nb.cells.append(nbformat.v4.new_markdown_cell({MARK!r}))
nbformat.write(nb, sys.argv[1])"""


def _ok(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _instructor(world, argv: list[str]) -> subprocess.CompletedProcess:
    return run_as(TEACHER, argv, cwd=world["course"].root, env={EXCHANGE_VARIABLE: str(world["exchange"])})


def _student(world, student: str, app: str, *args: str) -> subprocess.CompletedProcess:
    """nbgrader's student app as that student, with the hub's student configuration."""
    env = {"JUPYTER_CONFIG_PATH": str(REPO / "hub"), EXCHANGE_VARIABLE: str(world["exchange"])}
    return run_as(student, [str(users_bin() / "nbgrader"), app, *args], env=env)


def _as_attacker(code: str, *args: str) -> subprocess.CompletedProcess:
    """Python code run by the attacking student; it prints what got through."""
    return run_as(ATTACKER, [str(users_bin() / "python"), "-c", code, *args])


def _entries(world, student: str) -> list[inbound.InboundEntry]:
    return [e for e in inbound.inbound_entries(world["inbound"], ASSIGNMENT) if e.student == student]


def _tree(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


# What an attacking student tries on a path, as themselves; it prints each attempt that got through.
# With "may-read" as the second argument, reading is allowed (the release is for everyone to read).
_ATTEMPTS = """
import os, shutil, sys
path, may_read = sys.argv[1], sys.argv[2:] == ["may-read"]
def attempt(what, action):
    try:
        action()
    except OSError:
        return
    print("GOT THROUGH:", what, path)
def open_it():
    if os.path.isdir(path):
        os.listdir(path)
    else:
        open(path, "rb").read()
def write_into():
    if os.path.isdir(path):
        open(os.path.join(path, "planted.txt"), "w").write("x")
    else:
        open(path, "ab").write(b"x")
def delete():
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)
if not may_read:
    attempt("open", open_it)
attempt("write into", write_into)
attempt("rename", lambda: os.rename(path, path + "-moved"))
attempt("delete", delete)
"""


def _attack(path: Path, *, may_read: bool = False) -> str:
    return _as_attacker(_ATTEMPTS, str(path), *(["may-read"] if may_read else [])).stdout


def test_the_exchange_has_the_modes_that_keep_students_apart(course_on_a_hub):
    course_folder = course_on_a_hub["exchange"] / COURSE_ID
    assert stat.S_IMODE(course_on_a_hub["exchange"].stat().st_mode) == 0o1777
    for name, mode in COURSE_MODES.items():
        info = (course_folder / name).stat()
        assert (stat.S_IMODE(info.st_mode), info.st_uid) == (mode, course_on_a_hub["users"][TEACHER].pw_uid), name


def test_a_student_cannot_list_the_hand_ins_or_feedback_of_others(course_on_a_hub, returned_feedback):
    course_folder = course_on_a_hub["exchange"] / COURSE_ID
    for folder in ("inbound", "feedback", QUARANTINE):
        done = _as_attacker("import os, sys; print(os.listdir(sys.argv[1]))", str(course_folder / folder))
        assert done.returncode != 0 and "PermissionError" in done.stderr, (folder, done.stdout)
    listed = _student(course_on_a_hub, ATTACKER, "list", "--inbound")
    assert VICTIM not in listed.stdout + listed.stderr


def test_a_student_cannot_open_change_or_delete_anothers_hand_in_even_by_its_name(course_on_a_hub):
    victim = course_on_a_hub["users"][VICTIM].pw_uid
    entries = [e for e in _entries(course_on_a_hub, VICTIM) if e.owner == victim]
    assert len(entries) == 1
    before = _tree(entries[0].path)
    assert f"{ASSIGNMENT}.ipynb" in before
    for path in [entries[0].path, *(entries[0].path / name for name in before)]:
        assert _attack(path) == "", path
    assert _tree(entries[0].path) == before


def test_a_hand_in_under_another_students_id_is_refused_and_set_aside(course_on_a_hub, collected):
    course = course_on_a_hub["course"]
    assert course_on_a_hub["impostor"].returncode == 0  # nbgrader itself accepts it
    assert "refused" in collected.stdout and f"made by the Unix user {ATTACKER}, not by {VICTIM}" in collected.stdout
    victims = nbformat.read(course.submission_dir(VICTIM, ASSIGNMENT) / f"{ASSIGNMENT}.ipynb", as_version=4)
    attackers = nbformat.read(course.submission_dir(ATTACKER, ASSIGNMENT) / f"{ASSIGNMENT}.ipynb", as_version=4)
    assert MARK not in str(victims.cells) and MARK in str(attackers.cells)
    quarantined = list((course_on_a_hub["exchange"] / COURSE_ID / QUARANTINE).iterdir())
    assert [p.name.split("+")[0] for p in quarantined] == [VICTIM]
    assert quarantined[0].stat().st_uid == course_on_a_hub["users"][ATTACKER].pw_uid


def test_a_student_cannot_change_the_release_the_course_or_the_gradebook(course_on_a_hub, collected):
    course = course_on_a_hub["course"]
    release = course_on_a_hub["exchange"] / COURSE_ID / "outbound" / ASSIGNMENT
    before = _tree(release)
    for path in (release, release / f"{ASSIGNMENT}.ipynb"):
        assert _attack(path, may_read=True) == "", path
    for path in (course.root, course.source / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", course.gradebook,
                 course.submission_dir(VICTIM, ASSIGNMENT), course.root / "nbgrader_config.py"):
        assert _attack(path) == "", path
    assert _tree(release) == before


def test_each_student_fetches_only_their_own_feedback(course_on_a_hub, returned_feedback):
    for student, own in returned_feedback["pages"].items():
        home = Path(course_on_a_hub["users"][student].pw_dir)
        fetched = sorted((home / ASSIGNMENT / "feedback").glob("*/*.html"))
        assert fetched and {p.read_text() for p in fetched} == {own}
    # Its name is a hash of a secret only the victim has; even knowing it, nobody else changes the page.
    assert _attack(returned_feedback["released"][VICTIM], may_read=True) == ""


def test_the_student_apps_still_list_what_a_student_sees(course_on_a_hub, returned_feedback):
    released = _ok(_student(course_on_a_hub, VICTIM, "list"))
    assert f"{COURSE_ID} {ASSIGNMENT}" in released.stdout + released.stderr
    cached = _ok(_student(course_on_a_hub, VICTIM, "list", "--cached"))
    assert f"{COURSE_ID} {VICTIM} {ASSIGNMENT}" in cached.stdout + cached.stderr


@pytest.fixture(scope="module")
def collected(course_on_a_hub):
    """The instructor's collect (mllab's: refused hand-ins set aside first, then nbgrader collect)."""
    code = ("from mllab.course.exchange import collect; from mllab.course.paths import Course; from pathlib import Path; "
            "collect(Course(Path.cwd()), 'loss_and_metric')")
    return _ok(_instructor(course_on_a_hub, [str(users_bin() / "python"), "-c", code]))


@pytest.fixture(scope="module")
def returned_feedback(course_on_a_hub, collected):
    """A feedback page per student (its content says whose), released by the instructor with nbgrader's
    release_feedback and fetched by each student with fetch_feedback."""
    course, pages = course_on_a_hub["course"], {}
    for student in (VICTIM, ATTACKER):
        pages[student] = f"<html>feedback for {student}</html>"
        code = (f"from pathlib import Path; p = Path('feedback/{student}/{ASSIGNMENT}'); p.mkdir(parents=True); "
                f"(p / '{ASSIGNMENT}.html').write_text({pages[student]!r}); import shutil; "
                f"[shutil.copy(Path('submitted/{student}/{ASSIGNMENT}') / n, p / n) "
                f"for n in ('timestamp.txt', 'submission_secret.txt')]")
        _ok(_instructor(course_on_a_hub, [str(users_bin() / "python"), "-c", code]))
    _ok(_instructor(course_on_a_hub, [str(users_bin() / "nbgrader"), "release_feedback", ASSIGNMENT]))
    released = {}
    feedback = course_on_a_hub["exchange"] / COURSE_ID / "feedback"
    for page in feedback.iterdir():
        released[next(s for s, text in pages.items() if page.read_text() == text)] = page
    for student in pages:
        _ok(_student(course_on_a_hub, student, "fetch_feedback", ASSIGNMENT))
    return {"pages": pages, "released": released}


def test_a_course_folder_a_student_made_first_in_the_exchange_is_refused(course_on_a_hub):
    exchange = course_on_a_hub["base"] / "srv" / "early-exchange"
    _ok(_instructor(course_on_a_hub, ["/bin/sh", "-c", f"mkdir -m 1777 '{exchange}'"]))
    _ok(run_as(ATTACKER, ["/bin/mkdir", "-p", "-m", "3733", str(exchange / COURSE_ID / "inbound")]))
    code = ("from pathlib import Path; from mllab.course.exchange import ensure_exchange; "
            "from mllab.course.paths import Course; ensure_exchange(Course(Path.cwd()))")
    done = run_as(TEACHER, [str(users_bin() / "python"), "-c", code], cwd=course_on_a_hub["course"].root,
                  env={EXCHANGE_VARIABLE: str(exchange)})
    assert done.returncode != 0 and "not a folder of the course's accounts" in done.stderr, done.stderr


def test_only_a_students_own_plain_hand_in_counts_and_the_rest_is_set_aside(course_on_a_hub):
    """The rule of mllab.course.inbound on hand-ins made by hand, owned by real users."""
    users, stamp = course_on_a_hub["users"], "2026-12-01 10:00:00.000000 UTC"
    folder = course_on_a_hub["base"] / "inbound-cases"
    folder.mkdir()

    def entry(name: str, owner: str, files: dict[str, str] = {}) -> Path:  # noqa: B006 (read only)
        path = folder / name
        path.mkdir()
        (path / "timestamp.txt").write_text(stamp)
        for file, file_owner in {"timestamp.txt": owner, **files}.items():
            if not (path / file).exists():
                (path / file).write_text("{}")
            os.chown(path / file, users[file_owner].pw_uid, users[file_owner].pw_gid)
        os.chown(path, users[owner].pw_uid, users[owner].pw_gid)
        return path

    entry(f"{VICTIM}+{ASSIGNMENT}+{stamp}+own", VICTIM, {f"{ASSIGNMENT}.ipynb": VICTIM})
    entry(f"{VICTIM}+{ASSIGNMENT}+{stamp}+planted", VICTIM, {f"{ASSIGNMENT}.ipynb": ATTACKER})
    linked = entry(f"{VICTIM}+{ASSIGNMENT}+{stamp}+link", VICTIM)
    (linked / f"{ASSIGNMENT}.ipynb").symlink_to(course_on_a_hub["course"].source_notebook(ASSIGNMENT))
    os.symlink(folder / f"{VICTIM}+{ASSIGNMENT}+{stamp}+own", folder / f"{VICTIM}+{ASSIGNMENT}+{stamp}+alias")
    entry(f"{VICTIM}+{ASSIGNMENT}+yesterday+badtime", VICTIM)
    entry(f"{ATTACKER}+{ASSIGNMENT}+", ATTACKER)
    grader = users[TEACHER].pw_uid

    counted = inbound.counted_entries(folder, ASSIGNMENT, grader_uid=grader)
    assert [e.path.name.rsplit("+", 1)[1] for e in counted] == ["own"]
    reasons = {e.path.name.rsplit("+", 1)[1]: why for e, why in inbound.refused_entries(folder, ASSIGNMENT,
                                                                                       grader_uid=grader)}
    assert set(reasons) == {"planted", "link", "alias", "badtime"}
    assert "another user" in reasons["planted"] and "symbolic link" in reasons["link"]
    assert "not a folder" in reasons["alias"] and "timestamp" in reasons["badtime"]
    moved = inbound.quarantine(folder, folder.parent / "cases-quarantine", ASSIGNMENT, grader_uid=grader)
    assert len(moved) == 5  # the four refused and the one whose name nbgrader's collect cannot parse
    assert sorted(p.name for p in folder.iterdir()) == [f"{VICTIM}+{ASSIGNMENT}+{stamp}+own"]
