"""Do the pinned requirements install on every Python the README promises, and does `make` say which
Python it needs before it installs anything on another one?

The pins are checked, not installed: the package index's page of each pinned project (PyPI's simple
API, the one pip reads, as JSON; the pages fetched side by side) lists its files with their
Requires-Python. A pin holds on a Python version when one of its release's wheels is not yanked,
admits that version and fits it on this platform: the wheel `pip install --only-binary=:all:
--python-version X` would choose. Debian 12's 3.11.2 could not install soupsieve 4.1.2 (it needs 3.11.5).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import socket
import subprocess
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from packaging import tags
from packaging.specifiers import SpecifierSet
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
INDEX = "https://pypi.org/simple"


def _check_python():
    spec = importlib.util.spec_from_file_location("check_python", REPO / "scripts" / "check_python.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_python = _check_python()


def _pins() -> dict[str, str]:
    lines = (line.split("#")[0].strip() for line in (REPO / "requirements.txt").read_text().splitlines())
    return dict(line.split("==") for line in lines if line)


def _wheels(name: str, version: str) -> list[dict]:
    """The index's wheels of the release ``name==version``: filename, requires-python, yanked."""
    request = urllib.request.Request(f"{INDEX}/{canonicalize_name(name)}/",
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        files = json.load(response)["files"]
    return [f for f in files if _wheel_version(f["filename"]) == Version(version)]


def _wheel_version(filename: str) -> Version | None:
    try:
        return parse_wheel_filename(filename)[1] if filename.endswith(".whl") else None
    except InvalidWheelFilename:  # a few very old uploads have names no installer accepts
        return None


@pytest.fixture(scope="module")
def releases() -> dict[str, list[dict]]:
    """{pinned name==version: the index's wheels of that release}."""
    try:
        socket.create_connection(("pypi.org", 443), timeout=5).close()
    except OSError:
        pytest.skip("pypi.org cannot be reached: the pins are checked against the package index's metadata")
    pins = _pins()
    with ThreadPoolExecutor(16) as pool:
        return dict(zip((f"{n}=={v}" for n, v in pins.items()), pool.map(_wheels, pins, pins.values())))


def _target_tags(version: str) -> set[tags.Tag]:
    """The wheel tags CPython `version` accepts on this platform."""
    python = tuple(int(part) for part in version.split(".")[:2])
    platforms = list(tags.platform_tags())
    return set(tags.cpython_tags(python, platforms=platforms)) | set(tags.compatible_tags(python, platforms=platforms))


def _why_not(wheels: list[dict], version: str) -> str | None:
    """Why no wheel of a release installs on Python ``version`` here, or None when one does."""
    if not wheels:
        return "has no wheel on the index"
    usable = [w for w in wheels if not w.get("yanked")]
    admitted = [w for w in usable if not w.get("requires-python") or Version(version) in SpecifierSet(w["requires-python"])]
    if usable and not admitted:
        return f"needs Python {usable[0]['requires-python']}"
    accepted = _target_tags(version)
    if not any(set(parse_wheel_filename(w["filename"])[3]) & accepted for w in admitted):
        return "has no wheel that is not yanked and fits it on this platform"
    return None


@pytest.mark.parametrize("version", check_python.TESTED_VERSIONS)
def test_every_pin_installs_on_each_supported_python(releases, version):
    problems = {pin: _why_not(wheels, version) for pin, wheels in releases.items()}
    assert {pin: why for pin, why in problems.items() if why} == {}


def test_the_check_refuses_what_pip_refuses():
    """soupsieve 4.1.2 needs 3.11.5 (the reason for this test); a yanked wheel, or a cp312 one on 3.11, does not do."""
    wheel = {"filename": "x-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", "yanked": False, "requires-python": None}
    assert "3.11.5" in _why_not([{**wheel, "requires-python": ">=3.11.5"}], "3.11.2")
    assert "no wheel" in _why_not([wheel], "3.11.2")
    assert "no wheel" in _why_not([{**wheel, "yanked": "broken re"}], "3.12.0")
    assert _why_not([wheel], "3.12.0") is None


def test_the_check_names_the_supported_pythons():
    assert check_python.problem((3, 11, 2)) is None
    assert check_python.problem((3, 12, 3)) is None
    for version in ((3, 10, 13), (3, 11, 1), (3, 13, 0)):
        assert "3.11" in check_python.problem(version) and "3.12" in check_python.problem(version)
    assert all(check_python.problem(tuple(map(int, v.split(".")))) is None for v in check_python.TESTED_VERSIONS)


UNSUPPORTED = [Path(p) for p in ("/root/.pyenv/versions/3.13.0/bin/python3", "/root/.pyenv/versions/3.10.13/bin/python3",
                                 "/usr/bin/python3.13", "/usr/bin/python3.10")]


def test_make_refuses_an_unsupported_python_before_installing(tmp_path):
    python = next((p for p in UNSUPPORTED if p.exists()), None)
    if python is None or shutil.which("make") is None:
        pytest.skip("no unsupported Python (3.10 or 3.13) or no make on this machine")
    venv = tmp_path / "venv"
    run = subprocess.run(["make", "-s", "-C", str(REPO), "venv", f"VENV={venv}", f"PYTHON={python}"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert "3.11.2" in run.stderr and "3.12" in run.stderr and "PYTHON=" in run.stderr, run.stderr
    assert not venv.exists()
