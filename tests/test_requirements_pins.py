"""Do the pinned requirements install on every Python the README promises, and does `make` say which
Python it needs before it installs anything on another one?

The pins are resolved, not installed: pip's dry run for another interpreter version picks each pinned
distribution's wheel for that version and checks its Requires-Python (Debian 12's 3.11.2 could not
install soupsieve 4.1.2, which needs 3.11.5). It asks the package index (PyPI, as `make venv` does).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

REPO = Path(__file__).resolve().parents[1]


def _check_python():
    spec = importlib.util.spec_from_file_location("check_python", REPO / "scripts" / "check_python.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_python = _check_python()


def _pins() -> dict[str, str]:
    lines = (line.split("#")[0].strip() for line in (REPO / "requirements.txt").read_text().splitlines())
    return dict(line.split("==") for line in lines if line)


def _pypi_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=5).close()
        return True
    except OSError:
        return False


def _dry_run(version: str, report: Path) -> subprocess.Popen:
    """pip's resolution of every pin (no dependencies: each is pinned itself) for Python `version`."""
    return subprocess.Popen(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--no-deps", "--quiet",
         "--only-binary=:all:", "--python-version", version, "--target", str(report.parent / "target"),
         "--report", str(report), "-r", str(REPO / "requirements.txt")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.fixture(scope="module")
def resolutions(tmp_path_factory):
    """{version: pip's installation report}, the versions resolved side by side."""
    if not _pypi_reachable():
        pytest.skip("pypi.org cannot be reached: the pins are resolved against the package index")
    runs = {}
    for version in check_python.TESTED_VERSIONS:
        report = tmp_path_factory.mktemp(f"py{version}") / "report.json"
        runs[version] = (report, _dry_run(version, report))
    reports = {}
    for version, (report, run) in runs.items():
        output, _ = run.communicate(timeout=300)
        errors = [line for line in output.splitlines() if "is ignored" not in line]  # a local mirror's gaps
        assert run.returncode == 0, f"the pins do not resolve on Python {version}:\n" + "\n".join(errors[-20:])
        reports[version] = json.loads(report.read_text())
    return reports


@pytest.mark.parametrize("version", check_python.TESTED_VERSIONS)
def test_every_pin_has_a_wheel_for_each_supported_python(resolutions, version):
    chosen = {item["metadata"]["name"].lower(): item for item in resolutions[version]["install"]}
    pins = {name.lower(): pinned for name, pinned in _pins().items()}
    assert set(chosen) == set(pins)
    for name, item in chosen.items():
        assert item["metadata"]["version"].split("+")[0] == pins[name], name
        requires = item["metadata"].get("requires_python")
        assert not requires or version in SpecifierSet(requires), f"{name} needs Python {requires}"


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
