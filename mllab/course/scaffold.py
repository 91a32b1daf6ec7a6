"""`mllab new-assignment NAME` and `mllab remove-assignment NAME`: a session added in one step, and taken out.

A new assignment is four files and one table, all named after it:

* ``source/NAME/NAME.ipynb``: the source notebook with one worked example task;
* ``mllab/checks/NAME.py``: its hidden check, with the contract and two named mistakes;
* ``mllab/classes/corpus_NAME.py``: two correct alternatives, the two mistakes, the demo class;
* ``[assignments.NAME]`` in course.toml: the declaration naming those modules, with a deadline.

The modules go into the package the running ``mllab`` is imported from: in the course repository
(``make venv`` installs it in editable mode) that is the repository's own ``mllab/`` folder, where
the autograder and its sandboxed kernels import them from.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import keyword
import re
import shutil
from pathlib import Path
from string import Template

import nbformat

import mllab
from mllab.course import scaffold_templates as templates
from mllab.course.assignments import CONFIG_FILE, TABLE, assignment, declared
from mllab.course.paths import Course
from mllab.errors import UsageError

NAME = re.compile(r"[a-z][a-z0-9_]{1,39}")
DEFAULT_WEEKS = 2
LOCKED = {"grade": False, "locked": True, "schema_version": 3, "solution": False, "task": False}


def package_dir() -> Path:
    """The mllab package this command runs from (where a new assignment's modules are written)."""
    return Path(mllab.__file__).resolve().parent


def own_files(course: Course, name: str) -> dict[str, Path]:
    """The files ``mllab new-assignment NAME`` writes, by what they are."""
    package = package_dir()
    return {"source notebook": course.source_notebook(name), "hidden checks": package / "checks" / f"{name}.py",
            "alternatives, mistakes and demo class": package / "classes" / f"corpus_{name}.py"}


def _check_package_is_the_courses() -> None:
    """The modules of a session belong in the course repository: refuse to write into an installed copy."""
    if {"site-packages", "dist-packages"} & set(package_dir().parts):
        raise UsageError(f"mllab runs from an installed copy ({package_dir()}), where a new session's modules would "
                         "be lost at the next install: run it from the course repository's own environment "
                         "(`make venv` installs the repository in editable mode)")


def _check_new_name(course: Course, name: str) -> None:
    if not NAME.fullmatch(name) or keyword.iskeyword(name):
        raise UsageError(f"{name!r} cannot name an assignment: use 2 to 40 lower case letters, digits and _, "
                         "starting with a letter (it becomes the folder source/NAME/ and the module mllab.checks.NAME)")
    if name in declared(course.root):
        raise UsageError(f"{course.root / CONFIG_FILE} already declares {name!r}: pick another name, or "
                         f"`mllab remove-assignment {name}` first")
    taken = [str(path) for path in own_files(course, name).values() if path.exists()]
    taken += [str(p) for p in (course.source / name, course.release / name) if p.exists()]
    for module in (f"mllab.checks.{name}", f"mllab.classes.corpus_{name}"):
        if importlib.util.find_spec(module) is not None:
            taken.append(module)
    if taken:
        raise UsageError(f"{name!r} is taken: {', '.join(dict.fromkeys(taken))} already exists; pick another name")


def default_due(course: Course) -> str:
    """Two weeks after the last declared deadline (or after today), at 23:59 in the same UTC offset."""
    dues = [a.due for a in declared(course.root).values() if a.due is not None]
    last = max(dues, default=None)
    base = last if last is not None else dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    due = (base + dt.timedelta(weeks=DEFAULT_WEEKS)).replace(hour=23, minute=59, second=0)
    return due.isoformat()


def _due(value: str | None, course: Course) -> str:
    if value is None:
        return default_due(course)
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise UsageError(f"--due {value!r}: give a date and time with its UTC offset, e.g. 2027-02-12T23:59:00+01:00")
    return moment.isoformat()


def _cell(kind: str, source: str, grade_id: str | None = None, **nbgrader) -> nbformat.NotebookNode:
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = make(source, id=(grade_id or "task-1").replace("_", "-"))  # stable ids, as in the course's notebooks
    if grade_id:
        cell.metadata["nbgrader"] = {**LOCKED, **nbgrader, "grade_id": grade_id}
    return cell


def notebook(name: str, title: str) -> nbformat.NotebookNode:
    """The source notebook of a new assignment: header, setup, helpers, the worked example, the self-check."""
    fill = lambda text: Template(text).safe_substitute(name=name, title=title)
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
                   "language_info": {"name": "python"}}
    nb.cells = [
        _cell("markdown", fill(templates.HEADER), "header"),
        _cell("code", "# made by `mllab release` from course.toml", "setup"),
        _cell("code", templates.TASKS, "self_check_helpers"),
        _cell("markdown", templates.TASK_TEXT),
        _cell("code", templates.SOLUTION, "huber_own", locked=False, solution=True),
        _cell("code", fill(templates.TEST), "test_huber_own", grade=True, points=10),
        _cell("markdown", fill(templates.HAND_IN), "hand_in"),
        _cell("code", "self_check()", "self_check"),
    ]
    return nb


def _write_new(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as handle:  # never overwrite: _check_new_name looked first
        handle.write(text)
    return path


def new_assignment(course: Course, name: str, *, title: str | None = None, due: str | None = None) -> list[Path]:
    """Write a new assignment ready for `mllab release`, `demo-class`, `autograde` and `check-tests`.
    Returns the files written (course.toml last: the declaration)."""
    from mllab.course.notebook_setup import fresh_notebook

    _check_package_is_the_courses()
    _check_new_name(course, name)
    due_text = _due(due, course)
    title = title or name.replace("_", " ").capitalize()
    files = own_files(course, name)
    fill = lambda text: Template(text).substitute(name=name, due=due_text)
    config = course.root / CONFIG_FILE
    before = config.read_text(encoding="utf-8")
    written: list[Path] = []
    try:  # all or nothing: a failure half-way takes back what was written
        written.append(_write_new(files["hidden checks"], fill(templates.CHECKS)))
        written.append(_write_new(files["alternatives, mistakes and demo class"], fill(templates.CORPUS)))
        config.write_text(before + ("" if before.endswith("\n") else "\n") + fill(templates.DECLARATION),
                          encoding="utf-8")
        importlib.invalidate_caches()
        path = files["source notebook"]
        nb = fresh_notebook(course.root, name, notebook(name, title), path)
        path.parent.mkdir(parents=True)
        written.append(path)
        nbformat.write(nb, path)
    except BaseException:
        for made in written:
            if made.suffix == ".ipynb":
                shutil.rmtree(made.parent)  # the notebook's folder source/NAME/, made here
            else:
                _remove_file(made)
        config.write_text(before, encoding="utf-8")
        raise
    return [*written, config]


# ---------------------------------------------------------------------- taking one out

def _without_table(text: str, name: str) -> str:
    """``text`` without the table ``[assignments.NAME]``: its header, its lines, and the blank lines before
    it; the comments heading the next table stay with that table."""
    lines = text.splitlines(keepends=True)
    header = re.compile(rf"\[{TABLE}\.{re.escape(name)}\]\s*(#.*)?$")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        return text
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")), len(lines))
    while end > start + 1 and (lines[end - 1].startswith("#") or not lines[end - 1].strip()) and end < len(lines):
        end -= 1  # the comment block (and blank lines) that introduce the next table
    while start > 0 and not lines[start - 1].strip():
        start -= 1
    kept = lines[:start] + lines[end:]
    return "".join(kept)


def refresh_readme(root: Path) -> list[Path]:
    """The README's generated blocks (the Colab links) made anew for the assignments declared now."""
    from mllab.course.config import load_course_web
    from mllab.course.notebook_setup import fresh_readme

    readme = Path(root) / "README.md"
    names = tuple(declared(root))
    if not readme.is_file() or not names:
        return []
    text = readme.read_text(encoding="utf-8")
    fresh = fresh_readme(text, load_course_web(root), names, readme)
    if fresh == text:
        return []
    readme.write_text(fresh, encoding="utf-8")
    return [readme]


def _module_file(module: str) -> Path | None:
    """The file of a module of this package (None for one elsewhere, which is not ours to delete)."""
    parts = module.split(".")
    if parts[0] != "mllab" or len(parts) < 2:
        return None
    path = package_dir().joinpath(*parts[1:]).with_suffix(".py")
    return path if path.is_file() else None


def _modules_of(course: Course, name: str) -> list[Path]:
    """The modules that belong to ``name`` alone: named after it, and named by its declaration."""
    declared_as = assignment(course.root, name)
    modules = [declared_as.checks, f"mllab.checks.contracts.{name}", declared_as.corpus,
               (declared_as.demo or "").partition(":")[0]]
    own = [m for m in dict.fromkeys(modules) if m and m.rsplit(".", 1)[-1] in (name, f"corpus_{name}")]
    return [path for path in map(_module_file, own) if path is not None]


def _no_gradebook(course: Course) -> bool:
    """A SQLite gradebook not made yet (opening it would create it: nothing to look at or take out)."""
    return course.uses_sqlite and not course.gradebook.exists()


def _graded(course: Course, name: str) -> int:
    """How many submissions of ``name`` the gradebook holds (0 when it does not know the assignment)."""
    from nbgrader.api import Gradebook, MissingEntry

    if _no_gradebook(course):
        return 0
    with Gradebook(course.db_url) as gradebook:
        try:
            return len(gradebook.find_assignment(name).submissions)
        except MissingEntry:
            return 0


def _forget(course: Course, name: str) -> None:
    from nbgrader.api import Gradebook, MissingEntry

    if _no_gradebook(course):
        return
    with Gradebook(course.db_url) as gradebook:
        try:
            gradebook.remove_assignment(name)
        except MissingEntry:
            pass


def _student_folders(course: Course, name: str) -> list[Path]:
    return [folder for base in (course.submitted, course.autograded, course.feedback)
            for folder in sorted(base.glob(f"*/{name}")) if folder.is_dir()]


def _grader_state(course: Course, name: str) -> list[Path]:
    """What the grader keeps of ``name`` under .mllab/ (its staging, work folders, logs, progress)."""
    state = course.root / ".mllab"
    return sorted({*state.glob(f"*/{name}"), *state.glob(f"*/{name}.*")})


def _reports(course: Course, name: str) -> list[Path]:
    reports = course.root / "reports"
    return sorted({*reports.glob(f"{name}.*"), *reports.glob(f"{name}-*")})


def _remove(path: Path) -> None:
    """Delete a file or folder; a student's folder (or a state folder) it leaves empty goes too."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
    if path.parent.is_dir() and not any(path.parent.iterdir()) and path.parent.parent.name in (
            "submitted", "autograded", "feedback", ".mllab"):
        path.parent.rmdir()


def _remove_file(path: Path) -> None:
    path.unlink(missing_ok=True)
    cached = Path(importlib.util.cache_from_source(str(path)))
    for stale in cached.parent.glob(f"{path.stem}.*.pyc"):
        stale.unlink()


def remove_assignment(course: Course, name: str, *, force: bool = False) -> list[Path]:
    """Take ``name`` out of the course: its folders, its own modules, its table, its gradebook entry.
    Refuses while students' work of it exists, unless ``force``. Returns what was removed."""
    modules = _modules_of(course, name)
    work = _student_folders(course, name)
    graded = _graded(course, name)
    if (work or graded) and not force:
        raise UsageError(f"{name} has students' work: {graded} submission(s) in the gradebook and {len(work)} "
                         f"folder(s) in submitted/, autograded/ or feedback/. `mllab remove-assignment {name} "
                         "--force` deletes them with it (export the grades first, e.g. `nbgrader export --to=grades.csv`).")
    removed = []
    for path in [course.source / name, course.release / name, *work, *_reports(course, name),
                 *_grader_state(course, name)]:
        if path.exists() or path.is_symlink():
            _remove(path)
            removed.append(path)
    for path in modules:
        _remove_file(path)
        removed.append(path)
    _forget(course, name)
    config = course.root / CONFIG_FILE
    config.write_text(_without_table(config.read_text(encoding="utf-8"), name), encoding="utf-8")
    removed.append(config)
    removed += refresh_readme(course.root)
    return removed
