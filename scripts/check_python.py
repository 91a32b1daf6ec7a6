"""Say, before anything is installed, whether this Python can run the course (the Makefile runs it first).

Standard library only: it runs on the interpreter that is about to create .venv/. Exit 0 when the
version is supported and `venv` can create an environment with pip; else a message saying which
Python the course needs, why, and what to run.
"""

from __future__ import annotations

import sys

# The supported Pythons: 3.11 from Debian 12's 3.11.2 on, and 3.12 (Ubuntu 24.04).
# tests/test_requirements_pins.py resolves requirements.txt on each of TESTED_VERSIONS.
OLDEST = (3, 11, 2)
NEWEST_MINOR = (3, 12)
TESTED_VERSIONS = ("3.11.2", "3.12.0")
WHY = ("the pinned requirements (PyTorch 2.13, nbgrader 0.9.6, JupyterLab 4.6, ...) need Python 3.11 or newer; "
       "they are tested on 3.11 (from 3.11.2, Debian 12's) and 3.12 (Ubuntu 24.04's) only")


def problem(version: tuple[int, ...]) -> str | None:
    """Why this Python version cannot run the course, or None when it can."""
    shown = ".".join(map(str, version[:3]))
    if tuple(version[:3]) < OLDEST:
        return f"Python {shown} is too old: {WHY}"
    if tuple(version[:2]) > NEWEST_MINOR:
        return f"Python {shown} is newer than the course supports: {WHY}"
    return None


def missing_venv() -> str | None:
    """Debian and Ubuntu ship `venv` without ensurepip unless python3-venv is installed."""
    try:
        import ensurepip  # noqa: F401
        import venv  # noqa: F401
    except ImportError:
        minor = f"{sys.version_info.major}.{sys.version_info.minor}"
        return (f"this Python ({sys.executable}) cannot create a virtual environment with pip: "
                f"install python{minor}-venv (as root: apt-get install python{minor}-venv)")
    return None


def main() -> int:
    reason = problem(sys.version_info) or missing_venv()
    if reason is None:
        return 0
    print(f"make: {reason}.\n"
          f"Choose a supported interpreter with PYTHON, for example `make PYTHON=python3.12 venv` or "
          f"`make PYTHON=/usr/bin/python3.11 demo`.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
