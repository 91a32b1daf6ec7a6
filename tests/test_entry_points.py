"""Do `python -m mllab` and the `mllab` script run the same command?"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "mllab"  # the script pip installed next to this interpreter


def _output(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("args", [["--help"], ["report", "--help"]], ids=["mllab", "mllab report"])
def test_python_m_mllab_prints_the_same_help_as_the_mllab_script(args):
    module = _output(sys.executable, "-m", "mllab", *args)
    script = _output(str(SCRIPT), *args)
    assert module.returncode == script.returncode == 0, module.stderr + script.stderr
    assert module.stdout == script.stdout
    assert module.stdout.startswith("usage: mllab ")


def test_python_m_mllab_passes_on_the_exit_code_of_a_wrong_command():
    module = _output(sys.executable, "-m", "mllab", "grade-everything")
    assert module.returncode == 2 and "usage: mllab" in module.stderr
