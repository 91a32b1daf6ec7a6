"""What can code inside a worker's sandbox see, write, reach and start?"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mllab.autograde.sandbox import UID_ENV, Sandbox, SandboxUnavailable, first_uid, probe

PROBE = r"""
import json, os, socket, sys
course = sys.argv[1]
seen = {"uid": os.getuid(), "cwd": os.getcwd()}
for name in ("source", "gradebook.db", "submitted"):
    seen[name] = os.path.exists(os.path.join(course, name))
seen["workspace"] = sorted(os.listdir(os.path.join(course, "work")))
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=2)
    seen["network"] = True
except OSError:
    seen["network"] = False
def writes(path):
    try:
        with open(path, "w") as f:
            f.write("x")
        return True
    except OSError:
        return False
seen["writes_data"] = writes(os.path.join(course, "work", "data", "x"))
seen["writes_own_folder"] = writes(os.path.join(os.getcwd(), "x"))
seen["writes_venv"] = writes(os.path.join(sys.prefix, "x"))
seen["home"] = os.path.expanduser("~")
print(json.dumps(seen))
"""


@pytest.fixture()
def course(tmp_path):
    """A course folder with secrets beside a worker workspace (work/) that holds data and a student."""
    for name in ("source/a", "submitted/other", "work/data", "work/autograded/student"):
        (tmp_path / name).mkdir(parents=True)
    (tmp_path / "gradebook.db").write_text("grades")
    (tmp_path / "work" / "data" / "cat.png").write_text("pixels")
    return tmp_path


def _python(box: Sandbox, code: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run Python ``code`` in the sandbox, dropping to its uid first as the zygote does."""
    box.prepare()
    ids = ", ".join([str(box.uid)] * 3)
    drop = "" if box.uid is None else f"import os; os.setgroups([]); os.setresgid({ids}); os.setresuid({ids})\n"
    return subprocess.run(box.command([sys.executable, "-c", drop + code, *args], cwd=cwd), capture_output=True,
                          text=True, timeout=120, **box.popen_options())


def test_a_kernel_sees_its_folder_and_the_data_but_no_secret_and_no_network(course):
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    box = Sandbox.for_worker(course / "work", 0)
    try:
        done = _python(box, PROBE, str(course), str(listener.getsockname()[1]),
                       cwd=course / "work" / "autograded" / "student")
    finally:
        box.remove()
        listener.close()
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert not any(seen[name] for name in ("source", "gradebook.db", "submitted"))
    assert seen["workspace"] == ["autograded", "data", "sandbox"]
    assert seen["network"] is False
    assert (seen["writes_data"], seen["writes_venv"], seen["writes_own_folder"]) == (False, False, True)
    assert seen["uid"] != 0 or box.uid is None


def test_a_fork_bomb_hits_the_process_limit(course):
    bomb = ("import os\ncount = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            import time; "
            "time.sleep(5); os._exit(0)\n        count += 1\nexcept OSError:\n    print(count)")
    box = Sandbox.for_worker(course / "work", 0)
    try:
        done = _python(box, bomb, cwd=course / "work" / "autograded")
    finally:
        box.remove()
    assert done.returncode == 0, done.stderr
    assert 0 < int(done.stdout) < box.max_processes


def test_the_sandbox_refuses_clearly_when_bubblewrap_is_missing(course, monkeypatch):
    monkeypatch.setenv("MLLAB_BWRAP", "/nonexistent/bwrap")
    box = Sandbox.for_worker(course / "work", 0)
    try:
        with pytest.raises(SandboxUnavailable, match="--unsafe-no-sandbox"):
            probe(box)
    finally:
        box.remove()


def test_the_disk_guard_stops_a_notebook_that_writes_too_much(tmp_path):
    import time

    from mllab.autograde.disk_guard import DiskGuard

    reasons: list[str] = []
    guard = DiskGuard([tmp_path], reasons.append, limit=10 * 1024**2, files=50)
    guard.start()
    try:
        (tmp_path / "big").write_bytes(b"x" * 11 * 1024**2)
        deadline = time.monotonic() + 10
        while not reasons and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        guard.close()
    assert reasons and "MB" in reasons[0] and "limit" in reasons[0]


@pytest.mark.parametrize("value", ["12", "sixty", "-5"])
def test_a_first_sandbox_uid_that_is_no_uid_is_refused_with_advice(monkeypatch, value):
    monkeypatch.setenv(UID_ENV, value)
    with pytest.raises(SandboxUnavailable, match=f"{UID_ENV}=.* is not a uid .*unset it"):
        first_uid()
    monkeypatch.setenv(UID_ENV, "70000")
    assert first_uid() == 70000
