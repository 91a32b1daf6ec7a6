"""Real Unix users for the tests of a multi-user course (students and an instructor), made with
useradd and removed with userdel at the end; commands run as one of them, as a hub would run them.

Only root can do this: `needs_root` skips a test elsewhere, saying why.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PROJECT_BIN = Path(sys.executable).parent
needs_root = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("useradd") is None,
                                reason="creates real Unix users (students, an instructor): run as root (CI does)")


def _users_venv():
    spec = importlib.util.spec_from_file_location("users_venv", REPO / "scripts" / "users_venv.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_USERS_BIN: list[Path] = []


def users_bin() -> Path:
    """The bin/ folder the test users run the course's packages from (scripts/users_venv.py), made
    once per test process in a folder every user can reach, removed at exit."""
    if not _USERS_BIN:
        # beside .venv, on its file system: the users' environment is hard links to its packages
        (REPO / ".mllab").mkdir(exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="test-users-venv-", dir=REPO / ".mllab"))
        folder.chmod(0o755)
        atexit.register(shutil.rmtree, folder, True)
        if not _users_venv().open_to_all(folder):
            pytest.skip(f"the checkout {REPO} cannot be reached by other users")
        _USERS_BIN.append(_users_venv().users_bin(PROJECT_BIN, folder / "venv"))
    return _USERS_BIN[0]


@contextlib.contextmanager
def shared_folder(prefix: str) -> Iterator[Path]:
    """A scratch folder every test user can reach (pytest's own tmp folders are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def unix_users(names: list[str], homes: Path) -> Iterator[dict[str, pwd.struct_passwd]]:
    """Create each user (own group, home in ``homes``), yield their entries, remove them at the end
    with every process they still run."""
    for name in names:
        _remove(name)
        subprocess.run(["useradd", "--create-home", "--home-dir", str(homes / name), "--user-group",
                        "--shell", "/bin/bash", name], check=True, capture_output=True)
        (homes / name).chmod(0o700)
    try:
        yield {name: pwd.getpwnam(name) for name in names}
    finally:
        for name in names:
            _remove(name)


def _remove(name: str) -> None:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return
    subprocess.run(["userdel", "--force", name], capture_output=True)
    subprocess.run(["groupdel", name], capture_output=True)


def run_as(user: str, argv: list[str], *, cwd: Path | None = None, env: dict | None = None,
           timeout: float = 300) -> subprocess.CompletedProcess:
    """``argv`` as ``user`` (uid, gid and groups), with the user's HOME and users_bin() first on PATH."""
    entry = pwd.getpwnam(user)
    environment = {"HOME": entry.pw_dir, "USER": user, "LOGNAME": user, "LANG": "C.UTF-8",
                   "PATH": f"{users_bin()}:/usr/local/bin:/usr/bin:/bin", **(env or {})}
    return subprocess.run(argv, cwd=cwd or entry.pw_dir, env=environment, user=entry.pw_uid, group=entry.pw_gid,
                          extra_groups=os.getgrouplist(user, entry.pw_gid), capture_output=True, text=True,
                          timeout=timeout)
