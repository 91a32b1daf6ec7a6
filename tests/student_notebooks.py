"""Test support: notebooks as students have them, run where students run them.

- ``solved_release``: the release notebook with the instructor's solutions filled in (the
  ``perfect`` demo student's notebook), i.e. what a student who finished hands in.
- ``DataServer``: a copy of the course's data/ served over HTTP on loopback, recording requests.
- ``execute``: run a notebook with nbclient in a folder, with extra environment variables and
  optionally another Python (a kernel spec written for it).
- ``fresh_venv``: a new virtual environment without torchmetrics and without mllab.
- ``colab_roundtrip``: what Google Colab makes of a notebook it saves.
"""

from __future__ import annotations

import functools
import os
import random
import shutil
import string
import subprocess
import sysconfig
import threading
import venv
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

from mllab.classes.demo import demo_class, submission
from mllab.course.paths import Course
from tests.conftest import ASSIGNMENT, REPO


def solved_release(source: Path = REPO / "source", release: Path = REPO / "release", assignment: str = ASSIGNMENT):
    """The committed release with every solution of the instructor notebook filled in."""
    source_nb = nbformat.read(source / assignment / f"{assignment}.ipynb", as_version=4)
    release_nb = nbformat.read(release / assignment / f"{assignment}.ipynb", as_version=4)
    perfect = next(s for s in demo_class(Course(REPO), assignment) if s.student_id == "perfect")
    return submission(source_nb, release_nb, perfect)


class DataServer:
    """``folder`` served on 127.0.0.1 in a thread; ``url`` is its address, ``requests`` the paths asked for."""

    def __init__(self, folder: Path):
        self.requests: list[str] = []
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output quiet; note the path instead
                server.requests.append(self.path)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> "DataServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _kernel_for(python: Path, folder: Path) -> KernelManager:
    """A kernel manager starting ipykernel with ``python`` (a kernel spec in ``folder``)."""
    spec = folder / "kernels" / "student"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(
        '{"argv": ["%s", "-m", "ipykernel_launcher", "-f", "{connection_file}"], '
        '"display_name": "student", "language": "python"}' % python, encoding="utf-8")
    return KernelManager(kernel_name="student", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec.parent)]))


def execute(nb, folder: Path, *, env: dict[str, str] | None = None, python: Path | None = None,
            allow_errors: bool = False, timeout: int = 300):
    """Run ``nb`` (in place) as Jupyter would with ``folder`` as the working directory."""
    folder.mkdir(parents=True, exist_ok=True)
    km = _kernel_for(python, folder.parent / f".{folder.name}-kernel") if python else None
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", km=km, allow_errors=allow_errors,
                            resources={"metadata": {"path": str(folder)}})
    client.execute(env={**os.environ, **(env or {})})
    return nb


LEFT_OUT = ("torchmetrics", "lightning_utilities", "mllab", "__editable__", "_mllab", "pip", "setuptools",
            "_distutils_hack", "distutils-precedence")


def fresh_venv(folder: Path) -> Path:
    """A new virtual environment (with its own pip) that has every package of ours except
    torchmetrics (and its helper lightning-utilities) and mllab: as Colab has none of them.
    The other packages are linked from our environment instead of being installed again, which
    would take minutes (torch alone is 700 MB). Returns its python."""
    venv.create(folder, with_pip=True, symlinks=True)
    ours = Path(sysconfig.get_paths()["purelib"])
    theirs = Path(sysconfig.get_paths(vars={"base": str(folder)})["purelib"])
    for entry in ours.iterdir():
        if not entry.name.startswith(LEFT_OUT) and not (theirs / entry.name).exists():
            (theirs / entry.name).symlink_to(entry)
    return folder / "bin" / "python"


def installed_version(python: Path, package: str) -> str | None:
    """The version of ``package`` installed for ``python``, or None."""
    result = subprocess.run([str(python), "-c", f"import importlib.metadata as m; print(m.version({package!r}))"],
                            capture_output=True, text=True, cwd=python.parent)  # not next to our own checkout
    return result.stdout.strip() if result.returncode == 0 else None


def _colab_id(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits + "-_") for _ in range(12))


def colab_roundtrip(nb, *, seed: int = 0):
    """What Colab saves of ``nb`` (executed, with outputs): nbformat 4.0 without cell ids, each cell's
    metadata replaced by a Colab id (so the nbgrader metadata is gone), code cells with Colab's output
    metadata, and the notebook metadata Colab writes."""
    rng = random.Random(seed)
    saved = nbformat.from_dict(nb)
    saved.nbformat_minor = 0
    saved.metadata = {"colab": {"provenance": [], "toc_visible": True}, "accelerator": "GPU",
                      "kernelspec": {"name": "python3", "display_name": "Python 3"},
                      "language_info": {"name": "python"}}
    for cell in saved.cells:
        cell.pop("id", None)
        cell.metadata = {"id": _colab_id(rng)}
        if cell.cell_type == "code":
            cell.metadata.update({"colab": {"base_uri": "https://localhost:8080/"}, "outputId": _colab_id(rng)})
    return saved


def copy_data(destination: Path) -> Path:
    """A copy of the course's committed data/ (no downloads) in ``destination``/data."""
    shutil.copytree(REPO / "data", destination / "data", ignore=shutil.ignore_patterns("downloaded"))
    return destination / "data"
