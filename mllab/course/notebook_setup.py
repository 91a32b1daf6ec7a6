"""The parts of a source notebook made from the course's configuration, kept fresh by `mllab release`.

Three cells of every source notebook are generated, so that nothing in them is typed twice (and
the code cells between the self-check helpers and the self-check are tagged, see below):

- the header's first line, the Open-in-Colab link (from ``course.toml``);
- the locked setup cell (grade id ``setup``): it finds the course's ``data/`` folder by walking
  up from the notebook, or downloads the files the notebook reads into ``./data`` from the
  course's raw files (or ``MLLAB_DATA_URL``) and checks their SHA-256; it installs the pinned
  torchmetrics when it is missing (Colab); it silences library warnings; it prints one line
  saying where the data came from, after the assignment's own last lines (``setup`` in its
  table of ``course.toml``; the files it reads are that table's ``data``);
- the locked self-check helpers (grade id ``self_check_helpers``): the same code in every
  notebook around the notebook's own ``TASKS`` dict.

The README's Colab links and clone command are generated the same way. ``sync_course`` rewrites what is
stale and says what it changed; the tests check that the committed files are fresh.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from string import Template

import nbformat

from mllab.checks.contracts import Contract, contracts, docstring
from mllab.course.assignments import assignment as declaration
from mllab.course.config import SET_REPOSITORY, CourseWeb, load_course_web
from mllab.course.deadlines import header_line
from mllab.errors import UsageError

HEADER_ID, SETUP_ID = "header", "setup"
HELPERS_ID, SELF_CHECK_ID = "self_check_helpers", "self_check"
RUN_ON_TAG = "raises-exception"  # Run All goes on past an error in a cell with this tag
COLAB_LINE = re.compile(r"^\[Open in Colab\]\(\S*\).*$", re.M)
DUE_LINE = re.compile(r"^\*\*Due:\*\*.*\n?", re.M)

SETUP = Template('''\
# Setup: run this cell first. It finds the course's data/ folder or downloads the files into ./data,
# installs torchmetrics where it is missing (as on Colab), and keeps library warnings out of the checks.
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import urllib.request
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")
TORCHMETRICS = "$torchmetrics"
DATA_URL = os.environ.get("MLLAB_DATA_URL", "$data_url")
DATA_FILES = {  # the files of data/ this notebook reads, with their SHA-256
$files}

if importlib.util.find_spec("torchmetrics") is None:
    _pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", TORCHMETRICS],
                          capture_output=True, text=True)
    if _pip.returncode:
        raise RuntimeError(f"could not install {TORCHMETRICS}: {_pip.stderr.strip()[-1500:]}\\n"
                           f"Install it yourself (pip install {TORCHMETRICS}), then run this cell again.")
    importlib.invalidate_caches()


def _find_or_download_data():
    for folder in (Path.cwd(), *Path.cwd().resolve().parents):
        if all((folder / "data" / name).is_file() for name in DATA_FILES):
            return folder / "data", f"the course folder {folder}"
    for name, sha256 in DATA_FILES.items():
        url, path = f"{DATA_URL.rstrip('/')}/{name}", Path("data", name)
        try:
            payload = urllib.request.urlopen(url, timeout=60).read()
        except (OSError, ValueError) as error:
            raise RuntimeError(f"cannot download {url} ({error}). Check your internet connection, or put "
                               "the course's data/ folder next to this notebook, or set MLLAB_DATA_URL.") from None
        if hashlib.sha256(payload).hexdigest() != sha256:
            raise RuntimeError(f"{url} is not the file this notebook needs (its SHA-256 differs): "
                               "set MLLAB_DATA_URL to the data/ folder of this course version.")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.with_name(path.name + ".part").write_bytes(payload)
        path.with_name(path.name + ".part").replace(path)
    return Path("data").resolve(), f"{DATA_URL} (downloaded into ./data)"


import matplotlib.pyplot as plt
import numpy as np
import torch
import torchmetrics

%matplotlib inline
DATA, _data_source = _find_or_download_data()
$tail''')

# The setup cell's last lines when the assignment's table of course.toml has no `setup`.
DEFAULT_TAIL = 'print(f"Data from {_data_source}")'

# The locked self-check helper cell of every notebook: this comment, the notebook's own ``TASKS``
# dict (kept as the notebook has it), then the same body everywhere.
HELPERS_HEAD = """\
# Self-check helpers. Each test cell below runs its visible checks through @visible_check, which
# keeps them; the last cell of the notebook runs them all again. No hidden test is in this notebook.
"""
TASKS_DICT = re.compile(r"^TASKS = \{.*?\}$", re.M | re.S)
HELPERS_BODY = '''
_visible_checks = {}  # (task, what it checks) -> (the check, optional?)


def _problem(check):
    """None if the check passes, else what went wrong in one line."""
    try:
        check()
    except NotImplementedError:
        return "not implemented yet"
    except Exception as error:  # a wrong result (AssertionError) or a crash
        return f"{type(error).__name__}: {error}"
    return None


def visible_check(task, what, optional=False):
    """Run the check below at once and keep it for the self-check. A failing mandatory check fails
    its cell like any test; an optional one only says so."""
    def keep(check):
        __tracebackhide__ = True  # a failing check's traceback starts at the check itself
        _visible_checks[task, what] = check, optional
        problem = _problem(check) if optional else check()
        print(f"✓ {what}" if problem is None else f"✗ {what}: {problem}")
        return check
    return keep


def self_check():
    """Run every visible check again; print a ✓/✗ line per task and what failed."""
    passed = 0
    for task, title in TASKS.items():
        checks = {what: check for (t, what), (check, _) in _visible_checks.items() if t == task}
        problems = {what: _problem(check) for what, check in checks.items()}
        failed = {what: p for what, p in problems.items() if p}
        name = f"Task {task} {title}" if task.isdigit() else title
        if not checks:
            print(f"✗ {name}: not run yet (run its cells, or Run All)" if task.isdigit() else f"· {name}: not run")
        else:
            print(f"{'✗' if failed else '✓'} {name}: {len(checks) - len(failed)}/{len(checks)} visible checks pass")
            passed += task.isdigit() and not failed
        for what, problem in failed.items():
            print(f"      ✗ {what}: {problem}")
    mandatory = sum(task.isdigit() for task in TASKS)
    print(f"{passed} of {mandatory} tasks pass their visible checks (the grader also runs hidden tests).")'''


def torchmetrics_pin(root: Path) -> str:
    """The ``torchmetrics==X`` line of the course's requirements.txt."""
    path = Path(root) / "requirements.txt"
    pins = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip().lower().startswith("torchmetrics==")]
    if len(pins) != 1:
        raise UsageError(f"{path} must pin torchmetrics exactly once (torchmetrics==X.Y.Z); the setup cell "
                         "installs that version where it is missing")
    return pins[0]


def _sha256(path: Path) -> str:
    if not path.is_file():
        raise UsageError(f"{path} is missing: run `mllab make-data` in the course folder")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def setup_source(root: Path, assignment: str, web: CourseWeb) -> str:
    """The setup cell of ``assignment``'s notebook, for the course in ``root``."""
    declared = declaration(root, assignment)
    files = "".join(f'    "{name}": "{_sha256(Path(root) / "data" / name)}",\n' for name in declared.data)
    return SETUP.substitute(torchmetrics=torchmetrics_pin(root), data_url=web.data_url, files=files,
                            tail=DEFAULT_TAIL if declared.setup is None else declared.setup)


def helpers_source(current: str, path: Path) -> str:
    """The self-check helper cell: the standard comment and body around the notebook's TASKS dict."""
    tasks = TASKS_DICT.search(current)
    if tasks is None:
        raise UsageError(f"{path}: the {HELPERS_ID} cell must define TASKS = {{\"1\": \"title\", ...}}, the tasks "
                         "the self-check reports on (a key that is not a number marks an optional task)")
    return f"{HELPERS_HEAD}{tasks.group(0)}{HELPERS_BODY}"


def colab_line(web: CourseWeb, assignment: str) -> str:
    """The header's Colab line; while course.toml names the placeholder repository, with what to set first."""
    line = (f"[Open in Colab]({web.colab_url(assignment)}) · in Colab, run the setup cell first: "
            "it downloads the data and installs torchmetrics.")
    if web.is_placeholder:
        line += (f" *(This link is a placeholder: it opens nothing until the instructor has {SET_REPOSITORY}. "
                 "Until then, open this notebook from the course folder.)*")
    return line


def _header_source(current: str, line: str, due: str | None = None) -> str:
    """The header with the Colab line (and the deadline line right after it, when there is one)."""
    current = DUE_LINE.sub("", current).replace("\n\n\n", "\n\n")
    line = f"{line}\n\n{due}" if due else line
    if COLAB_LINE.search(current):
        return COLAB_LINE.sub(lambda _: line, current, count=1)
    title, _, rest = current.partition("\n")
    return f"{title}\n\n{line}\n{rest}" if rest else f"{title}\n\n{line}"


def _cell(nb, grade_id: str, path: Path):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return cell
    raise UsageError(f"{path} has no cell with grade id {grade_id!r}: the course tools need its "
                     f"{grade_id} cell (see \"Made from course.toml\" in docs/instructors.md)")


def _tag_cells_run_all_may_pass(nb, path: Path) -> None:
    """Tag every code cell between the self-check helpers and the self-check ``raises-exception``:
    JupyterLab's Run All (and nbclient) then goes on past a failing check or an unfinished task, so
    the self-check at the end always runs. nbgrader still sees each error in the cell's output."""
    start = nb.cells.index(_cell(nb, HELPERS_ID, path)) + 1
    end = nb.cells.index(_cell(nb, SELF_CHECK_ID, path))
    for cell in nb.cells[start:end]:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "code" and RUN_ON_TAG not in tags:
            cell.metadata["tags"] = [*tags, RUN_ON_TAG]


def _docstring_span(lines: list[str], at: int) -> int:
    """How many lines the docstring right after line ``at`` takes (0 when there is none)."""
    first = lines[at + 1].strip() if at + 1 < len(lines) else ""
    if not first.startswith('"""'):
        return 0
    if len(first) > 3 and first.endswith('"""'):
        return 1
    end = next(k for k in range(at + 2, len(lines)) if lines[k].strip().endswith('"""'))
    return end - at


def with_contract(source: str, contract: Contract, path: Path) -> str:
    """``source`` with the contract's docstring right under ``def name(...)`` (or ``class name``)."""
    lines = source.split("\n")
    starts = (f"def {contract.name}(", f"class {contract.name}(", f"class {contract.name}:")
    at = next((i for i, line in enumerate(lines) if line.startswith(starts)), None)
    if at is None or not lines[at].rstrip().endswith(":"):
        raise UsageError(f"{path}: cell {contract.grade_id} has no one-line `def {contract.name}(...):` for the "
                         f"docstring of its contract (mllab/checks/contracts/)")
    lines[at + 1:at + 1 + _docstring_span(lines, at)] = docstring(contract).split("\n")
    return "\n".join(lines)


def fresh_notebook(root: Path, assignment: str, nb, path: Path):
    """``nb`` with its header link, setup cell and self-check helpers made anew, and the cells Run All
    may pass tagged (in place)."""
    web = load_course_web(root)
    header = _cell(nb, HEADER_ID, path)
    header.source = _header_source(header.source, colab_line(web, assignment), header_line(root, assignment))
    _cell(nb, SETUP_ID, path).source = setup_source(root, assignment, web)
    helpers = _cell(nb, HELPERS_ID, path)
    helpers.source = helpers_source(helpers.source, path)
    _tag_cells_run_all_may_pass(nb, path)
    for contract in contracts(assignment):
        cell = _cell(nb, contract.grade_id, path)
        cell.source = with_contract(cell.source, contract, path)
    return nb


def _readme_blocks(web: CourseWeb, assignments: tuple[str, ...]) -> dict[str, str]:
    """The README's generated blocks by name: the Colab links, and the commands to get started."""
    first = assignments[0]
    links = [f"- [{a} in Colab]({web.colab_url(a)})" for a in assignments]
    placeholder = web.is_placeholder
    return {
        "colab-links": "\n".join(links + ([f"\n*Placeholders: they open nothing until an instructor has {SET_REPOSITORY}.*"]
                                          if placeholder else [])),
        "clone": "\n".join([
            "```bash",
            *(["# a placeholder address until an instructor sets [repository] in course.toml (see above)"]
              if placeholder else []),
            f"git clone {web.clone_url} mllab-course && cd mllab-course",
            "make venv                      # or: python3 -m venv .venv && .venv/bin/pip install -r requirements.txt",
            f".venv/bin/jupyter lab release/{first}/{first}.ipynb",
            "```"]),
    }


def fresh_readme(text: str, web: CourseWeb, assignments: tuple[str, ...], path: Path) -> str:
    """``text`` with each block between ``<!-- begin NAME ... -->`` and ``<!-- end NAME -->`` made anew."""
    for name, body in _readme_blocks(web, assignments).items():
        pattern = re.compile(rf"(<!-- begin {name} [^\n]*-->\n).*?(<!-- end {name} -->)", re.S)
        if not pattern.search(text):
            raise UsageError(f"{path} has no block <!-- begin {name} (made by `mllab release` from course.toml) --> "
                             f"... <!-- end {name} -->: put it back where the README should show it")
        text = pattern.sub(lambda match: f"{match.group(1)}{body}\n{match.group(2)}", text, count=1)
    return text


def sync_course(root: Path, assignment: str, assignments: tuple[str, ...]) -> list[str]:
    """Rewrite the stale generated parts of the source notebook and the README; name what changed."""
    root = Path(root)
    changed = []
    path = root / "source" / assignment / f"{assignment}.ipynb"
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    if nbformat.writes(fresh_notebook(root, assignment, nb, path)) != before:
        nbformat.write(nb, path)
        changed.append(str(path))
    readme = root / "README.md"
    if readme.is_file():  # a course copy made for grading has no README
        text = readme.read_text(encoding="utf-8")
        fresh = fresh_readme(text, load_course_web(root), assignments, readme)
        if fresh != text:
            readme.write_text(fresh, encoding="utf-8")
            changed.append(str(readme))
    return changed
